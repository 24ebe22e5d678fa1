"""The catalog: search, add, edit, deactivate, and import a CSV of items."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from orders import clock
from orders.domain.catalog.fields import (
    CSV_COLUMNS,
    OPTIONAL_CSV_COLUMNS,
    CatalogFileError,
    item_values,
    parse_catalog_csv,
    parse_item,
)
from orders.domain.catalog.items import import_catalog, save_item, set_item_active
from orders.domain.models import CatalogItem
from orders.domain.refusals import Conflict
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.screens.admin import bp, queries
from orders.web.screens.admin.base import load_or_404
from orders.web.screens.admin.forms import CatalogImportForm, ItemForm


@bp.route("/catalog")
@admin_only
def catalog():
    """Search the catalog by title, author or ISBN (inactive items included)."""
    text = queries.search_text(request.args.get("q"))
    page = queries.catalog_page(text, queries.page_number(request.args.get("page")))
    return render_template("admin/catalog.html", q=text, page=page)


ITEM_FORM_FIELDS = ("title", "authors", "isbn", "publisher", "edition", "delivery", "student_price", "copyright_year",
                    "list_price", "zero_cost", "courseware_for_graded_work", "data_terms_url")


def _item_form_page(form: ItemForm, item: CatalogItem | None):
    """Validate and save the item form; re-render with errors (422; 409 when another change took the ISBN first)."""
    status = 422
    if form.validate_on_submit():
        fields, errors = parse_item({name: form[name].data for name in ITEM_FORM_FIELDS}
                                    | {"active": item.active if item else True})
        for name, message in errors.items():
            form[name].errors = [message]
        if fields is not None:
            outcome = run_change(lambda: save_item(item, fields, actor=actor(), now=clock.now()))
            if not outcome.ok:
                form.isbn.errors = [outcome.message]
                status = 409 if isinstance(outcome.refusal, Conflict) else status
            else:
                saved, changed = outcome.result()
                flash(f"“{saved.title}” {'saved' if changed else 'unchanged'}.", "status")
                return redirect(url_for("admin.catalog", q=saved.isbn13), code=303)
    return render_template(
        "admin/item_form.html", form=form, item=item, error="Nothing was saved: correct the errors below."
    ), status


@bp.route("/catalog/new", methods=["GET", "POST"])
@admin_only
def new_item():
    """Add a catalog item."""
    form = ItemForm()
    if request.method == "GET":
        return render_template("admin/item_form.html", form=form, item=None, error=None)
    return _item_form_page(form, None)


@bp.route("/catalog/<int:item_id>", methods=["GET", "POST"])
@admin_only
def edit_item(item_id: int):
    """Change a catalog item (its ISBN too, while no other item has the new one)."""
    item = load_or_404(CatalogItem, item_id, "catalog item")
    form = ItemForm()
    if request.method == "GET":
        values = item_values(item)
        form.process(data={**values, "isbn": item.isbn13})
        return render_template("admin/item_form.html", form=form, item=item, error=None)
    return _item_form_page(form, item)


@bp.route("/catalog/<int:item_id>/deactivate", methods=["POST"], defaults={"action": "deactivate"})
@bp.route("/catalog/<int:item_id>/reactivate", methods=["POST"], defaults={"action": "reactivate"})
@admin_only
def change_item(item_id: int, action: str):
    """Deactivate (no longer orderable; orders keep it) or reactivate an item."""
    item = load_or_404(CatalogItem, item_id, "catalog item")
    entry = run_change(lambda: set_item_active(item, action == "reactivate", actor=actor(), now=clock.now())).result()
    if entry is not None:
        flash(f"“{item.title}” is {'orderable again' if item.active else 'no longer orderable'}.", "status")
    return redirect(
        request.form.get("back") == "edit"
        and url_for("admin.edit_item", item_id=item.id)
        or url_for("admin.catalog", q=item.isbn13),
        code=303,
    )


@bp.route("/catalog/import", methods=["GET", "POST"])
@admin_only
def import_items():
    """Upload a CSV of items, upserted by ISBN; any invalid row refuses the whole file."""
    form = CatalogImportForm()
    problems: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            data = upload.read(5_000_001)
            filename = (upload.filename or "upload.csv").replace("\x00", "")[:200]
            try:
                items = parse_catalog_csv(data)
            except CatalogFileError as refused:
                problems = refused.problems
            else:
                outcome = run_change(lambda: import_catalog(items, filename, actor=actor(), now=clock.now()))
                if outcome.ok:
                    result = outcome.result()
                    flash(
                        f"Imported {filename}: {result.inserted} added, {result.updated} changed, "
                        f"{result.unchanged} unchanged.",
                        "status",
                    )
                    return redirect(url_for("admin.catalog"), code=303)
                # Refused whole (another change added one of its ISBNs first): said on the page, nothing applied.
                return _import_page(form, [outcome.message], outcome.refusal.status if outcome.refusal else 409)
        status = 422
    else:
        status = 200
    return _import_page(form, problems, status)


def _import_page(form: CatalogImportForm, problems: list[str], status: int):
    return render_template(
        "admin/catalog_import.html",
        form=form,
        problems=problems,
        columns=CSV_COLUMNS,
        optional_columns=OPTIONAL_CSV_COLUMNS,
    ), status

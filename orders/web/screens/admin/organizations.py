"""Organizations (docs/spec.md §8): each organization's ordering policy and pre-approved list (search the catalog,
add, remove, import a CSV of ISBNs), and the institution's royalty review threshold. Audited."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from orders import clock
from orders.domain.catalog.fields import parse_optional_amount
from orders.domain.catalog.search import MIN_SEARCH_LENGTH, search_catalog
from orders.domain.institution import institution
from orders.domain.models import CatalogItem, OrderingPolicy, Organization, PreApprovedItem
from orders.domain.review import organizations as review_settings
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.parsing import parse_id
from orders.web.screens.admin import bp
from orders.web.screens.admin.base import load_or_404
from orders.web.screens.admin.forms import CatalogImportForm, PolicyForm, RoyaltyThresholdForm


def _list_sizes() -> dict[int, int]:
    return dict(db.session.execute(
        select(PreApprovedItem.organization_id, func.count()).group_by(PreApprovedItem.organization_id)
    ).all())


@bp.route("/organizations", methods=["GET", "POST"])
@admin_only
def organizations():
    """Every organization's policy and list size; the royalty review threshold (POST saves it)."""
    inst = institution()
    form = RoyaltyThresholdForm()
    status = 200
    if request.method == "GET":
        form.review.data = "always" if inst.royalty_review_threshold is None else "above"
        form.amount.data = "" if inst.royalty_review_threshold is None else f"{inst.royalty_review_threshold:.2f}"
    elif form.validate_on_submit():
        amount, problem = (None, None)
        if form.review.data == "above":
            amount, problem = parse_optional_amount(form.amount.data or "", "The amount", example="500.00")
            if amount is None and problem is None:
                problem = "Enter the amount above which a royalty Yes is reviewed, like 500.00."
        if problem:
            form.amount.errors = [problem]
            status = 422
        else:
            changed = run_change(
                lambda: review_settings.set_royalty_threshold(inst, amount, actor=actor(), now=clock.now())
            ).result()
            flash("Royalty review saved." if changed else "Royalty review unchanged.", "status")
            return redirect(url_for("admin.organizations"), code=303)
    else:
        status = 422
    rows = list(db.session.scalars(select(Organization).order_by(Organization.name)))
    return render_template("admin/organizations.html", rows=rows, sizes=_list_sizes(), form=form), status


def _organization_page(
    organization: Organization,
    *,
    form: PolicyForm | None = None,
    import_form: CatalogImportForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
):
    query = request.args.get("q", "")
    listed = review_settings.listed_items(organization)
    if form is None:
        form = PolicyForm(policy=organization.ordering_policy.value)
    return render_template(
        "admin/organization.html",
        organization=organization,
        form=form,
        import_form=import_form or CatalogImportForm(),
        listed=listed,
        listed_ids={entry.catalog_item_id for entry in listed},
        search=search_catalog(query),
        min_length=MIN_SEARCH_LENGTH,
        problems=problems or [],
    ), status


@bp.route("/organizations/<int:organization_id>")
@admin_only
def organization(organization_id: int):
    """One organization: its policy, its pre-approved list, a catalog search to add to it, the list import."""
    return _organization_page(load_or_404(Organization, organization_id, "organization"))


@bp.route("/organizations/<int:organization_id>/policy", methods=["POST"])
@admin_only
def set_organization_policy(organization_id: int):
    """Change the ordering policy (orders already waiting keep waiting)."""
    found = load_or_404(Organization, organization_id, "organization")
    form = PolicyForm()
    if not form.validate_on_submit():
        return _organization_page(found, form=form, status=422)
    policy = OrderingPolicy(form.policy.data)
    changed = run_change(lambda: review_settings.set_policy(found, policy, actor=actor(), now=clock.now())).result()
    flash(
        f"{found.name}: ordering policy {policy.label}."
        if changed
        else f"{found.name}: the policy was already {policy.label}.",
        "status",
    )
    return redirect(url_for("admin.organization", organization_id=found.id), code=303)


@bp.route("/organizations/<int:organization_id>/list", methods=["POST"])
@admin_only
def add_pre_approved(organization_id: int):
    """Put a catalog item on the pre-approved list."""
    found = load_or_404(Organization, organization_id, "organization")
    item_id = parse_id(request.form.get("item_id"))
    item = db.session.get(CatalogItem, item_id) if item_id is not None else None
    if item is None:
        flash("That item is not in the catalog. Search again and choose it from the results.", "error")
    else:
        added = run_change(lambda: review_settings.add_to_list(found, item, actor=actor(), now=clock.now())).result()
        flash(
            f"Added “{item.title}” to the pre-approved list." if added else f"“{item.title}” is already on the list.",
            "status",
        )
    return redirect(url_for("admin.organization", organization_id=found.id, q=request.form.get("q") or None), code=303)


@bp.route("/organizations/<int:organization_id>/list/<int:item_id>/remove", methods=["POST"])
@admin_only
def remove_pre_approved(organization_id: int, item_id: int):
    """Take a catalog item off the pre-approved list."""
    found = load_or_404(Organization, organization_id, "organization")
    item = load_or_404(CatalogItem, item_id, "catalog item")
    removed = run_change(lambda: review_settings.remove_from_list(found, item, actor=actor(), now=clock.now())).result()
    flash(
        f"Removed “{item.title}” from the pre-approved list." if removed else f"“{item.title}” was not on the list.",
        "status",
    )
    return redirect(url_for("admin.organization", organization_id=found.id), code=303)


@bp.route("/organizations/<int:organization_id>/list/import", methods=["POST"])
@admin_only
def import_pre_approved(organization_id: int):
    """Import a CSV of ISBNs onto the pre-approved list: an invalid or unknown ISBN refuses the whole file."""
    found = load_or_404(Organization, organization_id, "organization")
    form = CatalogImportForm()
    if not form.validate_on_submit():
        return _organization_page(found, import_form=form, status=422)
    upload = form.file.data
    filename = (upload.filename or "upload.csv")[:200]

    def run():
        codes = review_settings.parse_isbn_list(upload.read(review_settings.MAX_LIST_BYTES + 1))
        return review_settings.import_list(found, codes, filename, actor=actor(), now=clock.now())

    outcome = run_change(run)
    if not outcome.ok:
        problems = getattr(outcome.refusal, "problems", None) or [outcome.message]
        return _organization_page(found, import_form=form, problems=problems, status=422)
    done = outcome.result()
    flash(f"Imported: {done.added} added to the pre-approved list, {done.already} already on it.", "status")
    return redirect(url_for("admin.organization", organization_id=found.id), code=303)

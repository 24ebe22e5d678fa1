"""The back office at /admin: thin views (parse, load, call one service, commit once, render).

Every route is `admin_only`; refused rules come back from the services as RuleBroken and are shown
as an error banner with nothing saved.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from orders import clock
from orders.domain.accounts.grants import GrantScope, add_grant, remove_grant
from orders.domain.accounts.users import set_program_admin, set_user_active
from orders.domain.catalog.fields import (
    CSV_COLUMNS,
    OPTIONAL_CSV_COLUMNS,
    CatalogFileError,
    item_values,
    parse_catalog_csv,
    parse_item,
)
from orders.domain.catalog.items import import_catalog, save_item, set_item_active
from orders.domain.institution import InstitutionFields, update_institution
from orders.domain.lookups import all_terms
from orders.domain.models import CatalogItem, CoordinatorGrant, CourseLevel, Institution, Term, User
from orders.domain.periods import period_state, save_period
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.forms import EmptyForm
from orders.web.guards import admin_only
from orders.web.htmx import is_htmx
from orders.web.localtime import LocalTimeError, describe, is_timezone, parse_local, to_input
from orders.web.parsing import parse_id
from orders.web.screens.admin import audit_words, queries
from orders.web.screens.admin.forms import CatalogImportForm, GrantForm, InstitutionForm, ItemForm, PeriodForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

def _load(model, ident: int, what: str):
    """The row the URL names, or a 404 that says what was missing (the int converter bounds the id)."""
    found = db.session.get(model, ident)
    if found is None:
        abort(404, f"There is no {what} with that number.")
    return found


def _institution() -> Institution | None:
    return db.session.scalars(select(Institution).limit(1)).first()


def _timezone() -> str:
    inst = _institution()
    return inst.timezone if inst else "UTC"


def _refused(message: str, target: str):
    """A rule said no: nothing was saved; say why on the page the admin came from."""
    flash(message, "error")
    return redirect(target, code=303)


@bp.app_template_global()
def admin_time(moment, tz_name):
    return describe(moment, tz_name) if moment is not None else "—"


bp.add_app_template_global(audit_words.kind_label, "audit_kind")
bp.add_app_template_global(audit_words.changes, "audit_changes")


@bp.route("/")
@admin_only
def index():
    """The back office's table of contents."""
    return render_template("admin/index.html")


# --- Ordering periods -----------------------------------------------------------------------------


@bp.route("/periods")
@admin_only
def periods():
    """Every term with its ordering period, in the institution's timezone."""
    now = clock.now()
    terms = all_terms()
    return render_template("admin/periods.html", terms=terms, states={t.id: period_state(t, now) for t in terms}, tz=_timezone())


@bp.route("/periods/<int:term_id>", methods=["GET", "POST"])
@admin_only
def edit_period(term_id: int):
    """Set a term's opens / soft close / closes; invalid values save nothing."""
    term = _load(Term, term_id, "term")
    tz = _timezone()
    form = PeriodForm()
    if request.method == "GET":
        period = term.period
        if period is not None:
            form.opens.data = to_input(period.opens_at, tz)
            form.soft_close.data = to_input(period.soft_close_at, tz)
            form.closes.data = to_input(period.closes_at, tz)
        return render_template("admin/period_form.html", term=term, form=form, tz=tz, error=None)
    error = None
    if form.validate_on_submit():
        values = {}
        for name in ("opens", "soft_close", "closes"):
            field = form[name]
            if not field.data:
                values[name] = None
                continue
            try:
                values[name] = parse_local(field.data, tz)
            except LocalTimeError as problem:
                field.errors = [str(problem)]
        if not any(form[name].errors for name in ("opens", "soft_close", "closes")):
            outcome = run_change(lambda: save_period(term, values["opens"], values["soft_close"], values["closes"],
                                                     actor=current_user, now=clock.now()))
            if not outcome.ok:
                error = f"Nothing was saved: {outcome.message}"
            else:
                entry = outcome.value
                flash(f"{term.name} ordering period saved." if entry else f"{term.name} ordering period unchanged.", "status")
                return redirect(url_for("admin.periods"), code=303)
    return render_template("admin/period_form.html", term=term, form=form, tz=tz, error=error or "Nothing was saved: correct the errors below."), 422


# --- Users and coordinator grants --------------------------------------------------------------------


@bp.route("/users")
@admin_only
def users():
    """Search people by name or email."""
    text = queries.search_text(request.args.get("q"))
    page = queries.users_page(text, queries.page_number(request.args.get("page")))
    return render_template("admin/users.html", q=text, page=page)


def _grant_scope(form: GrantForm) -> GrantScope:
    return GrantScope(
        subject=form.subject.data or None,
        level=CourseLevel(form.level.data) if form.level.data else None,
        organization_id=parse_id(form.organization.data),  # the field's choices already passed validation
        campus_id=parse_id(form.campus.data),
    )


def _user_page(user: User, form: GrantForm, terms, *, preview: bool, status: int = 200, error: str | None = None):
    term = next((t for t in terms if str(t.id) == form.term.data), None) or queries.default_preview_term(terms, clock.now())
    if term is not None:
        form.term.data = str(term.id)
    count = queries.covered_section_count(_grant_scope(form).grant(), term) if preview and term and not form.errors else None
    context = dict(user=user, form=form, grants=queries.user_grants(user), preview_term=term, preview_count=count, error=error)
    if is_htmx() and request.method == "GET":
        return render_template("admin/_grant_preview.html", **context), status
    return render_template("admin/user.html", **context), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def user_detail(user_id: int):
    """A user's account, flags and coordinator grants; POST adds a grant (or previews it)."""
    user = _load(User, user_id, "user")
    terms = all_terms()
    form = GrantForm()
    form.set_choices(queries.grant_options(), terms)
    if request.method == "GET":
        form.term.data = request.args.get("term", "")
        return _user_page(user, form, terms, preview=True)
    if not form.validate_on_submit():
        return _user_page(user, form, terms, preview=False, status=422, error="Nothing was saved: correct the errors below.")
    if "preview" in request.form:
        return _user_page(user, form, terms, preview=True)
    outcome = run_change(lambda: add_grant(user, _grant_scope(form), actor=current_user, now=clock.now()))
    if not outcome.ok:
        return _user_page(user, form, terms, preview=True, status=422, error=f"Nothing was saved: {outcome.message}")
    grant = outcome.value
    flash(f"Grant added: {grant.describe()}.", "status")
    return redirect(url_for("admin.user_detail", user_id=user.id), code=303)


@bp.route("/users/<int:user_id>/grant-preview")
@admin_only
def grant_preview(user_id: int):
    """How many sections a grant with these dimensions would cover (htmx fragment, or the page)."""
    user = _load(User, user_id, "user")
    terms = all_terms()
    form = GrantForm(formdata=request.args, meta={"csrf": False})
    form.set_choices(queries.grant_options(), terms)
    valid = form.validate()
    return _user_page(user, form, terms, preview=valid, status=200 if valid else 422)


@bp.route("/users/<int:user_id>/grants/<int:grant_id>/remove", methods=["POST"])
@admin_only
def remove_user_grant(user_id: int, grant_id: int):
    """Take one coordinator grant away."""
    user = _load(User, user_id, "user")
    grant = _load(CoordinatorGrant, grant_id, "grant")
    back = url_for("admin.user_detail", user_id=user.id)
    if grant.user_id != user.id:
        abort(404, "That grant does not belong to this user.")
    if EmptyForm().validate_on_submit():
        described = grant.describe()
        run_change(lambda: remove_grant(grant, actor=current_user, now=clock.now())).result()
        flash(f"Grant removed: {described}.", "status")
    return redirect(back, code=303)


_USER_ACTIONS = {
    "activate": (set_user_active, True, "{name} can sign in again."),
    "deactivate": (set_user_active, False, "{name} was deactivated and can no longer sign in."),
    "grant-admin": (set_program_admin, True, "{name} is now a Program Administrator."),
    "revoke-admin": (set_program_admin, False, "{name} is no longer a Program Administrator."),
}


@bp.route("/users/<int:user_id>/activate", methods=["POST"], defaults={"action": "activate"})
@bp.route("/users/<int:user_id>/deactivate", methods=["POST"], defaults={"action": "deactivate"})
@bp.route("/users/<int:user_id>/grant-admin", methods=["POST"], defaults={"action": "grant-admin"})
@bp.route("/users/<int:user_id>/revoke-admin", methods=["POST"], defaults={"action": "revoke-admin"})
@admin_only
def change_user(user_id: int, action: str):
    """Activate / deactivate an account, or give / take the Program Administrator flag."""
    user = _load(User, user_id, "user")
    back = url_for("admin.user_detail", user_id=user.id)
    if not EmptyForm().validate_on_submit():
        return redirect(back, code=303)
    service, value, message = _USER_ACTIONS[action]
    outcome = run_change(lambda: service(user, value, actor=current_user, now=clock.now()))
    if not outcome.ok:
        return _refused(outcome.message, back)
    if outcome.value is not None:
        flash(message.format(name=user.name), "status")
    if not (current_user.is_program_admin and current_user.active):  # an admin who gave up their own flag
        return redirect(url_for("courses.index"), code=303)
    return redirect(back, code=303)


# --- Catalog -------------------------------------------------------------------------------------------


@bp.route("/catalog")
@admin_only
def catalog():
    """Search the catalog by title, author or ISBN (inactive items included)."""
    text = queries.search_text(request.args.get("q"))
    page = queries.catalog_page(text, queries.page_number(request.args.get("page")))
    return render_template("admin/catalog.html", q=text, page=page)


ITEM_FORM_FIELDS = ("title", "authors", "isbn", "publisher", "edition", "delivery", "student_price", "copyright_year",
                    "list_price", "zero_cost")


def _item_form_page(form: ItemForm, item: CatalogItem | None):
    """Validate and save the item form; re-render with errors (422) when anything is wrong."""
    if form.validate_on_submit():
        fields, errors = parse_item({name: form[name].data for name in ITEM_FORM_FIELDS}
                                    | {"active": item.active if item else True})
        for name, message in errors.items():
            form[name].errors = [message]
        if fields is not None:
            outcome = run_change(lambda: save_item(item, fields, actor=current_user, now=clock.now()))
            if not outcome.ok:
                form.isbn.errors = [outcome.message]
            else:
                saved, changed = outcome.value
                flash(f"“{saved.title}” {'saved' if changed else 'unchanged'}.", "status")
                return redirect(url_for("admin.catalog", q=saved.isbn13), code=303)
    return render_template("admin/item_form.html", form=form, item=item, error="Nothing was saved: correct the errors below."), 422


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
    item = _load(CatalogItem, item_id, "catalog item")
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
    item = _load(CatalogItem, item_id, "catalog item")
    if EmptyForm().validate_on_submit():
        entry = run_change(lambda: set_item_active(item, action == "reactivate", actor=current_user, now=clock.now())).result()
        if entry is not None:
            flash(f"“{item.title}” is {'orderable again' if item.active else 'no longer orderable'}.", "status")
    return redirect(request.form.get("back") == "edit" and url_for("admin.edit_item", item_id=item.id)
                    or url_for("admin.catalog", q=item.isbn13), code=303)


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
                result = run_change(lambda: import_catalog(items, filename, actor=current_user, now=clock.now())).result()
                flash(f"Imported {filename}: {result.inserted} added, {result.updated} changed, {result.unchanged} unchanged.", "status")
                return redirect(url_for("admin.catalog"), code=303)
        status = 422
    else:
        status = 200
    return render_template("admin/catalog_import.html", form=form, problems=problems, columns=CSV_COLUMNS,
                           optional_columns=OPTIONAL_CSV_COLUMNS), status


# --- Institution, imports, audit -------------------------------------------------------------------------


@bp.route("/institution", methods=["GET", "POST"])
@admin_only
def institution():
    """Name, timezone, contact email and reminders."""
    inst = _institution()
    form = InstitutionForm(obj=inst) if request.method == "GET" else InstitutionForm()
    if request.method == "POST":
        if form.validate_on_submit():
            name = " ".join(form.name.data.split())
            tz = form.timezone.data.strip()
            if not name:
                form.name.errors = ["Enter the institution's name."]
            elif not is_timezone(tz):
                form.timezone.errors = [f"“{tz[:64]}” is not an IANA timezone name; use one like America/Chicago."]
            else:
                fields = InstitutionFields(name=name, timezone=tz, contact_email=form.contact_email.data.strip().lower(),
                                           reminders_enabled=bool(form.reminders_enabled.data))
                entry = run_change(lambda: update_institution(inst, fields, actor=current_user, now=clock.now())).result()
                flash("Institution settings saved." if entry else "Institution settings unchanged.", "status")
                return redirect(url_for("admin.institution"), code=303)
        return render_template("admin/institution.html", form=form, error="Nothing was saved: correct the errors below."), 422
    return render_template("admin/institution.html", form=form, error=None)


@bp.route("/imports")
@admin_only
def imports():
    """The last SIS import's report."""
    return render_template("admin/imports.html", entry=queries.last_sis_import(), tz=_timezone())


@bp.route("/audit")
@admin_only
def audit():
    """Every back-office change and import, newest first; read-only."""
    filters = queries.AuditFilter.from_args(request.args)
    kinds, actors = queries.audit_choices()
    return render_template("admin/audit.html", filters=filters, page=queries.audit_page(filters), kinds=kinds, actors=actors, tz=_timezone())

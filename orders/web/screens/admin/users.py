"""Users: search, activate or deactivate, the Program Administrator flag, and coordinator grants."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from orders import clock
from orders.domain.accounts.grants import GrantScope, add_grant, remove_grant, set_grant_flags
from orders.domain.accounts.users import set_program_admin, set_user_active
from orders.domain.lookups import all_terms
from orders.domain.models import CoordinatorGrant, CourseLevel, User
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.htmx import is_htmx
from orders.web.parsing import parse_id
from orders.web.screens.admin import bp, queries
from orders.web.screens.admin.base import load_or_404, refuse
from orders.web.screens.admin.forms import GrantFlagsForm, GrantForm


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
    term = next((t for t in terms if str(t.id) == form.term.data), None) or queries.default_preview_term(
        terms, clock.now()
    )
    if term is not None:
        form.term.data = str(term.id)
    count = (
        queries.covered_section_count(_grant_scope(form).grant(), term)
        if preview and term and not form.errors
        else None
    )
    context = dict(
        user=user, form=form, grants=queries.user_grants(user), preview_term=term, preview_count=count, error=error
    )
    if is_htmx() and request.method == "GET":
        return render_template("admin/_grant_preview.html", **context), status
    return render_template("admin/user.html", **context), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def user_detail(user_id: int):
    """A user's account, flags and coordinator grants; POST adds a grant (or previews it)."""
    user = load_or_404(User, user_id, "user")
    terms = all_terms()
    form = GrantForm()
    form.set_choices(queries.grant_options(), terms)
    if request.method == "GET":
        form.term.data = request.args.get("term", "")
        return _user_page(user, form, terms, preview=True)
    if not form.validate_on_submit():
        return _user_page(
            user, form, terms, preview=False, status=422, error="Nothing was saved: correct the errors below."
        )
    if "preview" in request.form:
        return _user_page(user, form, terms, preview=True)
    outcome = run_change(
        lambda: add_grant(
            user,
            _grant_scope(form),
            actor=actor(),
            now=clock.now(),
            may_approve=bool(form.may_approve.data),
            may_review_royalties=bool(form.may_review_royalties.data),
        )
    )
    if not outcome.ok:
        return _user_page(user, form, terms, preview=True, status=422, error=f"Nothing was saved: {outcome.message}")
    grant = outcome.result()
    flags = grant.describe_flags()
    flash(f"Grant added: {grant.describe()}{f' ({flags})' if flags else ''}.", "status")
    return redirect(url_for("admin.user_detail", user_id=user.id), code=303)


@bp.route("/users/<int:user_id>/grant-preview")
@admin_only
def grant_preview(user_id: int):
    """How many sections a grant with these dimensions would cover (htmx fragment, or the page)."""
    user = load_or_404(User, user_id, "user")
    terms = all_terms()
    form = GrantForm(formdata=request.args, meta={"csrf": False})
    form.set_choices(queries.grant_options(), terms)
    valid = form.validate()
    return _user_page(user, form, terms, preview=valid, status=200 if valid else 422)


@bp.route("/users/<int:user_id>/grants/<int:grant_id>/flags", methods=["POST"])
@admin_only
def set_user_grant_flags(user_id: int, grant_id: int):
    """Change what a grant lets its holder decide: approve orders, review royalties (docs/spec.md §8)."""
    user = load_or_404(User, user_id, "user")
    grant = load_or_404(CoordinatorGrant, grant_id, "grant")
    if grant.user_id != user.id:
        abort(404, "That grant does not belong to this user.")
    form = GrantFlagsForm()
    if not form.validate_on_submit():
        return refuse(
            "Your change could not be checked. Please try again.", url_for("admin.user_detail", user_id=user.id)
        )
    changed = run_change(
        lambda: set_grant_flags(
            grant,
            may_approve=bool(form.may_approve.data),
            may_review_royalties=bool(form.may_review_royalties.data),
            actor=actor(),
            now=clock.now(),
        )
    ).result()
    flags = grant.describe_flags() or "no approval flags"
    flash(f"Grant {grant.describe()}: {flags}." if changed else f"Grant {grant.describe()} unchanged.", "status")
    return redirect(url_for("admin.user_detail", user_id=user.id), code=303)


@bp.route("/users/<int:user_id>/grants/<int:grant_id>/remove", methods=["POST"])
@admin_only
def remove_user_grant(user_id: int, grant_id: int):
    """Take one coordinator grant away."""
    user = load_or_404(User, user_id, "user")
    grant = load_or_404(CoordinatorGrant, grant_id, "grant")
    back = url_for("admin.user_detail", user_id=user.id)
    if grant.user_id != user.id:
        abort(404, "That grant does not belong to this user.")
    described = grant.describe()
    run_change(lambda: remove_grant(grant, actor=actor(), now=clock.now())).result()
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
    user = load_or_404(User, user_id, "user")
    back = url_for("admin.user_detail", user_id=user.id)
    service, value, message = _USER_ACTIONS[action]
    outcome = run_change(lambda: service(user, value, actor=actor(), now=clock.now()))
    if not outcome.ok:
        return refuse(outcome.message, back)
    if outcome.value is not None:
        flash(message.format(name=user.name), "status")
    if not (actor().is_program_admin and actor().active):  # an admin who gave up their own flag
        return redirect(url_for("courses.index"), code=303)
    return redirect(back, code=303)

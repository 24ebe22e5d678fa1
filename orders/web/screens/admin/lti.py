"""Back office → LMS connections (docs/spec.md §9): platforms, the tool's URLs and keys, registration links."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from orders import clock
from orders.domain.lti import connections, keys, registration
from orders.domain.lti.connections import ConnectionFields
from orders.domain.models import LtiConnection
from orders.web.changes import run_change
from orders.web.forms import EmptyForm
from orders.web.guards import actor, admin_only
from orders.web.screens.admin import bp
from orders.web.screens.admin.base import load_or_404, timezone_name
from orders.web.screens.admin.forms import ConnectionForm


def _allow_http() -> bool:
    """Platforms on plain http only in development and the test suite (the demo LMS, the fake platform)."""
    return bool(current_app.config.get("DEVELOPMENT") or current_app.config.get("TESTING"))


def _fields(form: ConnectionForm) -> ConnectionFields:
    return ConnectionFields(
        issuer=form.issuer.data or "", client_id=form.client_id.data or "",
        deployment_ids=tuple((form.deployment_ids.data or "").replace(",", "\n").splitlines()),
        auth_url=form.auth_url.data or "", token_url=form.token_url.data or "", jwks_url=form.jwks_url.data or "",
        match=form.match.data or "", lms_url=form.lms_url.data or "",
    )


@bp.route("/lms")
@admin_only
def lti_connections():
    """The registered platforms, the URLs to paste into an LMS, and the tool's keys."""
    return _overview(EmptyForm(), link=None)


def _overview(form: EmptyForm, *, link: str | None):
    """The LMS connections page (with the one-time registration link just made, if any)."""
    return render_template(
        "admin/lti_connections.html",
        connections=connections.all_connections(),
        keys=keys.published(),
        form=form,
        link=link,
        tz=timezone_name(),
    )


@bp.route("/lms/new", methods=["GET", "POST"])
@admin_only
def new_lti_connection():
    """Register a platform by hand (issuer, client id, deployment ids, its URLs, the matching rule)."""
    form = ConnectionForm()
    if request.method == "POST" and form.validate_on_submit():
        outcome = run_change(
            lambda: connections.register(_fields(form), actor=actor(), now=clock.now(), allow_http=_allow_http())
        )
        if outcome.ok:
            flash(f"{outcome.result().issuer} can now launch the tool.", "status")
            return redirect(url_for("admin.lti_connections"), code=303)
        return render_template(
            "admin/lti_connection_form.html", form=form, connection=None, error=f"Nothing was saved: {outcome.message}"
        ), 422
    status = 422 if request.method == "POST" else 200
    error = "Nothing was saved: correct the errors below." if request.method == "POST" else None
    return render_template("admin/lti_connection_form.html", form=form, connection=None, error=error), status


@bp.route("/lms/<int:connection_id>", methods=["GET", "POST"])
@admin_only
def edit_lti_connection(connection_id: int):
    """Change a platform's fields or deployment ids; only what changed is audited."""
    connection = load_or_404(LtiConnection, connection_id, "LMS connection")
    form = ConnectionForm(obj=None if request.method == "POST" else _Values(connection))
    if request.method == "POST" and form.validate_on_submit():
        outcome = run_change(
            lambda: connections.update(
                connection, _fields(form), actor=actor(), now=clock.now(), allow_http=_allow_http()
            )
        )
        if outcome.ok:
            flash(f"{connection.issuer} saved.", "status")
            return redirect(url_for("admin.lti_connections"), code=303)
        return render_template(
            "admin/lti_connection_form.html",
            form=form,
            connection=connection,
            error=f"Nothing was saved: {outcome.message}",
        ), 422
    status = 422 if request.method == "POST" else 200
    error = "Nothing was saved: correct the errors below." if request.method == "POST" else None
    return render_template("admin/lti_connection_form.html", form=form, connection=connection, error=error), status


class _Values:
    """A connection as the form's initial values."""

    def __init__(self, connection: LtiConnection):
        self.issuer, self.client_id = connection.issuer, connection.client_id
        self.deployment_ids = "\n".join(connection.deployment_ids)
        self.auth_url, self.token_url, self.jwks_url = connection.auth_url, connection.token_url, connection.jwks_url
        self.match, self.lms_url = connection.match.value, connection.lms_url or ""


@bp.route("/lms/<int:connection_id>/remove", methods=["GET", "POST"])
@admin_only
def remove_lti_connection(connection_id: int):
    """Ask first (a page of its own); then remove the platform, its remembered people and course links."""
    connection = load_or_404(LtiConnection, connection_id, "LMS connection")
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        issuer = connection.issuer
        run_change(lambda: connections.remove(connection, actor=actor(), now=clock.now())).result()
        flash(f"{issuer} can no longer launch the tool.", "status")
        return redirect(url_for("admin.lti_connections"), code=303)
    return render_template("admin/lti_connection_remove.html", connection=connection, form=form)


@bp.route("/lms/keys/rotate", methods=["POST"])
@admin_only
def rotate_lti_key():
    """A new current key; the key set keeps publishing the previous one."""
    if EmptyForm().validate_on_submit():
        key = run_change(lambda: keys.rotate(actor=actor(), now=clock.now())).result()
        flash(f"New tool key {key.kid}; the previous key stays published until the next rotation.", "status")
    return redirect(url_for("admin.lti_connections"), code=303)


@bp.route("/lms/registration-link", methods=["POST"])
@admin_only
def lti_registration_link():
    """A one-time LTI Dynamic Registration link (a day), shown once, for an LMS administrator to paste."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.lti_connections"), code=303)
    token = run_change(lambda: registration.issue(actor=actor(), now=clock.now())).result()
    return _overview(form, link=url_for("lti.register", code=token, _external=True))

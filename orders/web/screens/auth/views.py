"""Sign in (local password, throttled), the single sign-on refusal page, and sign out."""
from __future__ import annotations

import math
import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from werkzeug.security import check_password_hash

from orders import clock
from orders.domain.accounts import throttle
from orders.domain.institution import institution
from orders.domain.models import User
from orders.extensions import db
from orders.web.auth import sessions
from orders.web.auth.header import header_mode_on, local_mode_on
from orders.web.auth.network import client_address, reached_over_plain_http
from orders.web.changes import run_change
from orders.web.errors import https_sign_in_url, plain_http_refused
from orders.web.guards import public, signed_in
from orders.web.screens.auth import bp
from orders.web.screens.auth.forms import SignInForm

# A real hash of a random password: checking it costs the same as checking a real user's,
# so response times do not reveal which emails have accounts.
_DUMMY_HASH = "scrypt:32768:8:1$Lq0zX5vQmS3yJk8e$" + "0" * 128
WRONG_PAIR = "That email and password do not match an active account."
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # CR/LF would split the Location header


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in; anything else goes home."""
    if not target or _CONTROL.search(target):  # checked before urlsplit, which silently drops CR, LF and TAB
        return url_for("courses.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("courses.index")
    return target


def _render(form: SignInForm, error: str | None, status: int, headers: dict | None = None):
    plain_http = reached_over_plain_http()
    page = render_template(
        "auth/sign_in.html", form=form, error=error, local=local_mode_on(), single_sign_on=header_mode_on(),
        publishing=institution().publish_course_materials,  # no link to a lookup that answers 404
        plain_http=plain_http, https_url=https_sign_in_url() if plain_http else None,
    )
    return page, status, headers or {}


def _try_again_message(until: datetime, now: datetime) -> str:
    """"Try again at 4:52 PM (in 15 minutes)", in the institution's time zone."""
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    local = until.astimezone(ZoneInfo(institution().timezone))
    at = f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"
    plural = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts. Try again at {at} (in {minutes} {plural})."


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    """Show the sign-in form; on a correct pair, sign in and go where the user was headed."""
    form = SignInForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")), code=303)
    if not local_mode_on():
        return _render(form, None, 403 if request.method == "POST" else 200)
    if request.method != "POST":
        return _render(form, None, 200)
    if reached_over_plain_http():  # a session started now would be dropped by the browser: say why instead
        return plain_http_refused()
    if not form.validate_on_submit():
        return _render(form, "Enter your email and password.", 400)
    email, password = form.email.data, form.password.data
    assert email is not None and password is not None  # both DataRequired
    now = clock.now()
    attempt = throttle.Attempt.of(email, client_address())
    until = throttle.locked_until(attempt, now)
    if until is not None:  # refused before the slow hash: a locked guesser costs one indexed query
        retry = max(1, math.ceil((until - now).total_seconds()))
        return _render(form, _try_again_message(until, now), 429, {"Retry-After": str(retry)})
    # counted (and committed) before the hash, so parallel guesses cannot overtake the count
    until = run_change(lambda: throttle.reserve(attempt, now)).result()
    if until is not None:
        retry = max(1, math.ceil((until - now).total_seconds()))
        return _render(form, _try_again_message(until, now), 429, {"Retry-After": str(retry)})
    user = db.session.scalars(
        select(User)
        .where(func.lower(User.email) == email.strip().lower())
        .options(undefer(User.password_hash))
    ).first()
    password_ok = check_password_hash((user.password_hash if user else None) or _DUMMY_HASH, password)
    if user is not None and password_ok and user.active:

        def sign_in_now() -> None:
            throttle.clear_account(attempt)
            sessions.start_session(user, now, via="password")

        run_change(sign_in_now).result()
        return redirect(safe_next(request.args.get("next")), code=303)
    run_change(lambda: throttle.record_failure(attempt, now)).result()
    return _render(form, WRONG_PAIR, 401)


@bp.route("/login")
@public
def login():
    """Where many people type first: the sign-in page (which sends a signed-in user home)."""
    next_url = request.args.get("next")
    return redirect(
        url_for("auth.sign_in", next=next_url if next_url and safe_next(next_url) == next_url else None), code=302
    )


@bp.route("/sign-out", methods=["POST"])
@signed_in
def sign_out():
    """End the session on the server (a POST with CSRF), then the campus sign-on's own, when configured."""
    run_change(sessions.sign_out).result()
    logout_url = current_app.config["SSO_LOGOUT_URL"]
    if logout_url and header_mode_on():
        return redirect(logout_url, code=303)
    flash("You are signed out.", "status")
    return redirect(url_for("auth.sign_in"), code=303)

"""Error pages and fragments: clear words, the right status, nothing internal."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import HTTPException

from orders.domain.refusals import DraftClosed, Refused
from orders.extensions import db, login_manager
from orders.web.auth.network import reached_over_plain_http
from orders.web.branding import UNBRANDED
from orders.web.htmx import is_htmx, redirect_to, unauthorized_redirect

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be handled",
    403: "You can't do that",
    404: "Not found",
    405: "That action isn't available here",
    409: "Something changed",
    413: "That was too much to send",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
MESSAGES = {
    413: "What you sent is larger than this site accepts (1 MB). Nothing was changed.",
}


def render_error(status: int, message: str):
    """The error page, or just its message block for htmx."""
    try:
        db.session.rollback()  # a refused or failed request changes nothing
    except SQLAlchemyError:  # the connection itself is gone: nothing to undo
        db.session.remove()
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, title=TITLES.get(status, "Error"), message=message), status


def _returning_page() -> str:
    """The page the expired form was on (a same-site Referer), for signing in again; else home."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/") and not referrer.path.startswith("/sign-in"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("courses.index")


def plain_http_refused():
    """A form sent over plain HTTP to a production server: its Secure session cookie never came back, so
    say that the site must be reached over HTTPS (not that a session ended), with the https address."""
    db.session.rollback()
    return render_template("errors/plain_http.html", https_url=https_sign_in_url()), 400


def https_sign_in_url() -> str:
    """This server's sign-in page over HTTPS, for the words about plain HTTP."""
    return f"https://{request.host}{url_for('auth.sign_in')}"


def session_ended():
    """A form sent after its session ended: say so, in the normal layout, with a sign-in link back to the page."""
    db.session.rollback()
    sign_in_url = url_for("auth.sign_in", next=_returning_page())
    if is_htmx():
        return unauthorized_redirect(sign_in_url)
    return render_template("errors/session_ended.html", sign_in_url=sign_in_url), 400


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(Refused)
    def refused(error: Refused):
        """The one handler of the Refused family, for every refusal no view answered itself: its page and status.

        A draft placed or discarded meanwhile (a double submit, another tab) is answered calmly instead:
        straight to where it went, with a notice.
        """
        if isinstance(error, DraftClosed):
            db.session.rollback()
            flash(error.message, "notice")
            if error.draft.number is not None:  # placed, awaiting approval or canceled: its summary says which
                return redirect_to(url_for("orders.summary", number=error.draft.number))
            return redirect_to(url_for("courses.index"))
        return render_error(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if reached_over_plain_http():  # the CSRF token's session cookie was Secure: the browser never sent it back
            return plain_http_refused()
        # Signed out meanwhile (another tab, idle timeout): the token went with the session.
        if not current_user.is_authenticated:
            return session_ended()
        return render_error(
            400, "Your form expired or was not sent from this site. Go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status == 404:
            message = (
                error.description
                if error.description and "requested URL" not in error.description
                else ("There is nothing at this address. Check the link, or go back to your courses.")
            )
        else:
            message = MESSAGES.get(status) or error.description or TITLES.get(status, "Error")
        return render_error(status, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(SQLAlchemyTimeoutError)
    def database_unavailable(error: Exception):
        """A locked, overloaded or unreachable database: a quick 503 the client may retry, not a hang or a 500."""
        log.warning("Database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
        if "_login_user" not in g:  # the page header must not ask the database who is signed in
            g._login_user = login_manager.anonymous_user()
        g.setdefault("brand", UNBRANDED)  # nor which institution it is
        body, status = render_error(
            503, "The database is busy or unreachable. Nothing was changed; please try again in a moment."
        )
        return body, status, {"Retry-After": str(current_app.config.get("RETRY_AFTER_SECONDS", 30))}

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("Unhandled error")
        return render_error(500, "The problem has been logged. Nothing was changed; please try again in a moment.")

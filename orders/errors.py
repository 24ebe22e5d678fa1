"""Error pages and fragments: clear words, the right status, nothing internal."""
from __future__ import annotations

import logging

from flask import Flask, flash, render_template, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from orders.extensions import db
from orders.htmx import is_htmx, redirect_to
from orders.models import OrderStatus
from orders.refusals import DraftClosed, PermissionDenied

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be handled",
    403: "You can't do that",
    404: "Not found",
    405: "That action isn't available here",
    409: "Something changed",
    500: "Something went wrong",
}


def render_error(status: int, message: str):
    """The error page, or just its message block for htmx."""
    db.session.rollback()  # a refused or failed request changes nothing
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, status=status, title=TITLES.get(status, "Error"), message=message), status


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(PermissionDenied)
    def permission_denied(error: PermissionDenied):
        return render_error(403, error.message)

    @app.errorhandler(DraftClosed)
    def draft_closed(closed: DraftClosed):
        """A step on a draft that was placed or discarded meanwhile: go where it went, calmly."""
        db.session.rollback()
        flash(closed.message, "notice")
        if closed.draft.status is OrderStatus.PLACED:
            return redirect_to(url_for("orders.summary", number=closed.draft.number))
        return redirect_to(url_for("courses.index"))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, "Your form expired or was not sent from this site. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status == 404:
            message = error.description if error.description and "requested URL" not in error.description else (
                "There is nothing at this address. Check the link, or go back to your courses."
            )
        else:
            message = error.description or TITLES.get(status, "Error")
        return render_error(status, message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("Unhandled error")
        return render_error(500, "The problem has been logged. Nothing was changed; please try again in a moment.")

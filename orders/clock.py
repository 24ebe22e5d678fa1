"""The one place the app reads the wall clock; services receive `now` from here.

Views, guards and templates read `now()`: one moment per request. Commands and the mail worker read `utcnow()`.
"""
from datetime import datetime, timezone

from flask import g, has_request_context


def utcnow() -> datetime:
    """Current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def now() -> datetime:
    """This request's moment, read once, so the guard, the service and the re-render agree."""
    if not has_request_context():
        return utcnow()
    if "now" not in g:
        g.now = utcnow()
    return g.now

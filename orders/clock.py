"""The one place the app reads the wall clock; services receive `now` from here."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current time, aware, in UTC."""
    return datetime.now(timezone.utc)

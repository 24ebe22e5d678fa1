"""Moments as files write them: ISO 8601 in UTC to the second (the feeds' and exports' one format)."""
from __future__ import annotations

from datetime import datetime, timezone


def iso_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC to the second, e.g. 2027-01-05T14:03:00Z; empty for no time."""
    if moment is None:
        return ""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

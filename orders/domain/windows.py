"""One state machine for every window of time the rules ask about: the ordering period, the choice window.

Open iff opens_at <= now < closes_at; a window with no dates is NOT_SET (no ordering period yet, or
students see their materials but cannot choose yet).
"""
from __future__ import annotations

import enum
from datetime import datetime


class WindowState(enum.Enum):
    NOT_SET = "not set"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


def window_state_of(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> WindowState:
    """Where `now` falls in the window [opens_at, closes_at)."""
    if opens_at is None or closes_at is None:
        return WindowState.NOT_SET
    if now < opens_at:
        return WindowState.UPCOMING
    if now < closes_at:
        return WindowState.OPEN
    return WindowState.CLOSED

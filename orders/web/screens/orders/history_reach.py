"""Which plan a history page uses: an estimate of how many orders the user's view rule reaches.

A narrow reach is fastest as a set built once (reach_table.viewable_orders: the reachable orders hashed,
then sorted and counted exactly); a wide one (a large coordinator sees most of 50,000 orders) is
fastest walking the newest-first index and probing each order until the page and the capped count
are full, as a Program Administrator's history does. The estimate is the exact total the narrow
plan last counted for the same user, grants and filters, kept per process for a while: no extra
statement, and a wrong guess costs time, never a different answer.
"""
from __future__ import annotations

import threading
import time

from orders.domain.models import User

WIDE_AT = 5000  # reachable orders from which the index walk wins (measured on the bench's 50,000)
KEEP_SECONDS = 900  # grants and orders change slowly; re-measure every quarter of an hour
MAX_ENTRIES = 10000

_lock = threading.Lock()
_totals: dict[tuple, tuple[float, int]] = {}  # key -> (expires at, total the narrow plan counted)


def _key(user: User, filters) -> tuple:
    grants = tuple(sorted((g.id, g.subject, g.level, g.organization_id, g.campus_id) for g in user.grants))
    return (user.id, grants, filters.term, filters.status, filters.q)


def is_wide(user: User, filters) -> bool:
    """Whether the last exact count for this user and filters reached WIDE_AT orders."""
    if user.is_program_admin:
        return True
    with _lock:
        found = _totals.get(_key(user, filters))
    return found is not None and found[0] > time.monotonic() and found[1] >= WIDE_AT


def remember(user: User, filters, total: int) -> None:
    """Record the exact total the narrow plan just counted."""
    with _lock:
        if len(_totals) >= MAX_ENTRIES:
            _totals.clear()
        _totals[_key(user, filters)] = (time.monotonic() + KEEP_SECONDS, total)


def forget_all() -> None:
    """Drop every estimate (tests)."""
    with _lock:
        _totals.clear()

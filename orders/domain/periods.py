"""Ordering period rules: open iff opens_at <= now < closes_at."""
from __future__ import annotations

import enum
from datetime import datetime

from orders.domain.models import Term


class PeriodState(enum.Enum):
    OPEN = "Open"
    UPCOMING = "Not yet open"
    CLOSED = "Closed"
    NONE = "No ordering period"


def period_state(term: Term, now: datetime) -> PeriodState:
    """Where `now` falls relative to the term's ordering period."""
    period = term.period
    if period is None:
        return PeriodState.NONE
    if now < period.opens_at:
        return PeriodState.UPCOMING
    if now < period.closes_at:
        return PeriodState.OPEN
    return PeriodState.CLOSED


def is_open(term: Term, now: datetime) -> bool:
    """True while the term's ordering period is open."""
    return period_state(term, now) is PeriodState.OPEN

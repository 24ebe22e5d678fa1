"""Ordering period rules: open iff opens_at <= now < closes_at."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol, overload

from orders.domain.audit import audit_time, record
from orders.domain.decisions import ALLOWED, Decision
from orders.domain.models import AdminAuditEntry, OrderingPeriod, Term, User
from orders.domain.refusals import RuleBroken
from orders.domain.windows import WindowState, window_state_of
from orders.extensions import db

# The back office's words for each state of a term's ordering period.
PERIOD_STATE_WORDS = {
    WindowState.OPEN: "Open",
    WindowState.UPCOMING: "Not yet open",
    WindowState.CLOSED: "Closed",
    WindowState.NOT_SET: "No ordering period",
}


class PeriodTimes(Protocol):
    """What period_state reads of an ordering period."""

    @property
    def opens_at(self) -> datetime: ...
    @property
    def closes_at(self) -> datetime: ...


class HasPeriod(Protocol):
    """What period_state reads of a term: a Term, or a read model's lean term row."""

    @property
    def period(self) -> PeriodTimes | None: ...


def period_state(term: HasPeriod, now: datetime) -> WindowState:
    """Where `now` falls relative to the term's ordering period (NOT_SET: the term has none)."""
    period = term.period
    return window_state_of(period.opens_at, period.closes_at, now) if period else WindowState.NOT_SET


def is_open(term: HasPeriod, now: datetime) -> bool:
    """True while the term's ordering period is open."""
    return period_state(term, now) is WindowState.OPEN


@overload
def _kept(stored: datetime | None, sent: datetime) -> datetime: ...
@overload
def _kept(stored: datetime | None, sent: None) -> None: ...
def _kept(stored: datetime | None, sent: datetime | None) -> datetime | None:
    """The stored moment when `sent` is the same minute, else `sent`."""
    if (
        stored is not None
        and sent is not None
        and stored.replace(second=0, microsecond=0) == sent.replace(second=0, microsecond=0)
    ):
        return stored
    return sent


def period_dates_decision(opens_at: datetime, soft_close_at: datetime | None, closes_at: datetime) -> Decision:
    """The rule opens < soft close <= closes (soft close optional), or why the values break it."""
    if not opens_at < closes_at:
        return Decision(False, "The period must open before it closes.")
    if soft_close_at is not None and not opens_at < soft_close_at:
        return Decision(False, "The soft close must come after the opening.")
    if soft_close_at is not None and not soft_close_at <= closes_at:
        return Decision(False, "The soft close must not come after the close.")
    return ALLOWED


def save_period(
    term: Term, opens_at: datetime, soft_close_at: datetime | None, closes_at: datetime, *, actor: User, now: datetime
) -> AdminAuditEntry | None:
    """Create or change a term's ordering period; None when the values are already those."""
    decision = period_dates_decision(opens_at, soft_close_at, closes_at)
    if not decision:
        raise RuleBroken(decision.reason)
    period = term.period
    if period is not None:
        # The form shows times to the minute: a time sent back unchanged keeps its stored seconds, so
        # it is not a change (and is not logged as one).
        opens_at = _kept(period.opens_at, opens_at)
        soft_close_at = _kept(period.soft_close_at, soft_close_at)
        closes_at = _kept(period.closes_at, closes_at)
    after = {
        "opens_at": audit_time(opens_at),
        "soft_close_at": audit_time(soft_close_at),
        "closes_at": audit_time(closes_at),
    }
    if period is None:
        term.period = OrderingPeriod(opens_at=opens_at, soft_close_at=soft_close_at, closes_at=closes_at)
        db.session.flush()
        return record("period.created", f"{term.name} ordering period", None, after, actor=actor, now=now)
    before = {
        "opens_at": audit_time(period.opens_at),
        "soft_close_at": audit_time(period.soft_close_at),
        "closes_at": audit_time(period.closes_at),
    }
    changed = [k for k in after if before[k] != after[k]]
    if not changed:
        return None
    period.opens_at, period.soft_close_at, period.closes_at = opens_at, soft_close_at, closes_at
    db.session.flush()
    # Only what changed: a new soft close alone is logged as that, not as three changes.
    return record(
        "period.updated",
        f"{term.name} ordering period",
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
        actor=actor,
        now=now,
    )

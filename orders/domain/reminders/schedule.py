"""When reminders are due and how many days are left: the soft close (OrderingPeriod.deadline) rules."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from orders.domain.models import OrderingPeriod, ReminderKind

CLOSING_WINDOW = timedelta(days=7)  # "closes on <soft close>" goes out from 7 days before it


def due_kind(period: OrderingPeriod | None, now: datetime) -> ReminderKind | None:
    """The reminder due for a period now, if any.

    Opening: from the moment the period opens until the closing window starts (a period that opens
    inside the window only gets the closing reminder: one email saying both). Closing: during the 7
    days before the soft close. Nothing once the soft close has passed (the hard close may be later).
    """
    if period is None or not (period.opens_at <= now < period.closes_at):
        return None
    deadline = period.deadline
    if now >= deadline:
        return None
    if now >= deadline - CLOSING_WINDOW:
        return ReminderKind.CLOSING
    return ReminderKind.OPENING


def days_left(period: OrderingPeriod | None, now: datetime, timezone: str) -> int | None:
    """Calendar days (institution's timezone) until the soft close, during its last 7 days; else None.

    0 means the soft close is today.
    """
    if period is None or not (period.opens_at <= now < period.deadline) or period.deadline - now > CLOSING_WINDOW:
        return None
    zone = ZoneInfo(timezone)
    return (period.deadline.astimezone(zone).date() - now.astimezone(zone).date()).days


def days_left_text(days: int) -> str:
    """"3 days left", "1 day left", "last day"."""
    if days <= 0:
        return "last day"
    return f"{days} day{'s' if days != 1 else ''} left"

"""The audit trails, in one place: each order's events and the back office's entries.

Every change to an order appends an OrderEvent, and every back-office or catalog write an
AdminAuditEntry, in the same transaction as the change. The request id that made the change rides
on the database session (`REQUEST_ID`, set by the web layer per request), so services need not pass it.
"""
from __future__ import annotations

from datetime import datetime

from orders.domain.models import AdminAuditEntry, EventKind, Order, OrderEvent, User
from orders.domain.reach import teaches
from orders.extensions import db

REQUEST_ID = "request_id"  # db.session.info key: the request (or None for a command) behind this session's writes


def on_behalf_of(actor: User, order: Order) -> list[User]:
    """Instructors of record the actor acted for: empty when the actor teaches a section."""
    if any(teaches(actor, section) for section in order.sections):
        return []
    return order.instructors


def record_event(
    order: Order, kind: EventKind, *, actor: User, now: datetime, request_id: str | None, details: dict | None = None
) -> OrderEvent:
    """Append one audit row for a change to the order."""
    event = OrderEvent(
        order_id=order.id,
        kind=kind,
        actor_id=actor.id,
        actor=actor,
        on_behalf_of=[{"id": u.id, "name": u.name} for u in on_behalf_of(actor, order)],
        occurred_at=now,
        request_id=request_id,
        details=details or {},
    )
    db.session.add(event)
    db.session.flush()
    return event


def record(
    kind: str, target: str, before: dict | None, after: dict | None, *, actor: User | None, now: datetime
) -> AdminAuditEntry:
    """Append one audit entry (who, when, what, before -> after)."""
    entry = AdminAuditEntry(
        actor_id=actor.id if actor is not None else None,
        occurred_at=now,
        kind=kind,
        target=target[:300],
        before=before,
        after=after,
        request_id=db.session.info.get(REQUEST_ID),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def audit_time(moment: datetime | None) -> str | None:
    """A moment as an audit entry's before/after value (ISO 8601, or None for no time)."""
    return moment.isoformat() if moment is not None else None

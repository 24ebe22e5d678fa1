"""The order's append-only audit trail."""
from __future__ import annotations

from datetime import datetime

from orders.domain.models import EventKind, Order, OrderEvent, User
from orders.domain.reach import teaches
from orders.extensions import db


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

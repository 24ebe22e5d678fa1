"""Domain operations shared by every capability: events, order numbers, cancel. They flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from orders import mail
from orders.extensions import db
from orders.models import (
    EventKind,
    Order,
    OrderEvent,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    User,
)
from orders.permissions import PermissionDenied, cancel_decision, cancel_refusal_message, teaches

FIRST_ORDER_NUMBER = 1001


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


def next_order_number() -> int:
    """Hand out the next order number; the row update serialises concurrent callers."""
    bumped = db.session.execute(
        update(OrderNumberCounter)
        .where(OrderNumberCounter.id == 1)
        .values(last_number=OrderNumberCounter.last_number + 1)
        .returning(OrderNumberCounter.last_number)
    ).scalar()
    if bumped is None:
        db.session.add(OrderNumberCounter(id=1, last_number=FIRST_ORDER_NUMBER))
        db.session.flush()
        return FIRST_ORDER_NUMBER
    return bumped


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancel request did: `changed` is False when someone got there first."""

    order: Order
    changed: bool
    event: OrderEvent | None = None


class StaleOrder(Exception):
    """The order changed since the user's form was rendered (not by a cancel)."""


def cancel_order(
    order: Order, *, actor: User, now: datetime, request_id: str | None, expected_version: int | None = None
) -> CancelOutcome:
    """Cancel a placed order once: re-check the rule, flip the status, write the event and the emails.

    The status change is a guarded UPDATE (status still placed, version unchanged). It takes the row
    lock on PostgreSQL, so of concurrent requests exactly one matches; the rest find the order already
    canceled and change nothing.
    """
    if order.status is OrderStatus.CANCELED:
        return CancelOutcome(order, changed=False)
    if expected_version is not None and expected_version != order.version:
        raise StaleOrder()
    decision = cancel_decision(actor, order, now)
    if not decision.allowed:
        raise PermissionDenied(cancel_refusal_message(decision.refusal, order))
    changed = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.PLACED, Order.version == order.version)
        .values(status=OrderStatus.CANCELED, canceled_by_id=actor.id, canceled_at=now, version=Order.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # someone else changed it first: find out what they did
        db.session.refresh(order)
        if order.status is OrderStatus.CANCELED:
            return CancelOutcome(order, changed=False)
        raise StaleOrder()
    db.session.execute(
        update(OrderSection).where(OrderSection.order_id == order.id).values(claimed=False)
        .execution_options(synchronize_session=False)
    )  # the sections become orderable again
    mirror_update(order, status=OrderStatus.CANCELED, canceled_by_id=actor.id, canceled_by=actor, canceled_at=now,
            version=order.version + 1)
    for link in order.order_sections:
        set_committed_value(link, "claimed", False)
    event = record_event(order, EventKind.CANCELED, actor=actor, now=now, request_id=request_id)
    mail.enqueue_cancel_emails(order, event, now=now)
    return CancelOutcome(order, changed=True, event=event)


def mirror_update(obj, **values) -> None:
    """Reflect what an UPDATE statement wrote onto the loaded object, without reloading it."""
    for key, value in values.items():
        set_committed_value(obj, key, value)

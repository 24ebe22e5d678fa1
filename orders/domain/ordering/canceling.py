"""Cancel a placed order: check, change, record the event, enqueue the receipts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from orders.domain import outbox as mail
from orders.domain.audit import record_event
from orders.domain.institution import local_time
from orders.domain.models import EventKind, Order, OrderEvent, OrderStatus, User
from orders.domain.ordering.content_requests import cancel_request
from orders.domain.refusals import PermissionDenied, StaleOrder
from orders.domain.rules import cancel_decision
from orders.domain.transitions import set_claimed, transition


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancel request did: `changed` is False when someone got there first."""

    order: Order
    changed: bool
    event: OrderEvent | None = None


def already_canceled_notice(order: Order) -> str:
    """The calm notice for a repeated, late or racing confirmation."""
    who = order.canceled_by.name if order.canceled_by else "another user"
    canceled_at = cast(datetime, order.canceled_at)  # the cancel transition sets it with the status
    return f"This order was already canceled by {who} on {local_time(canceled_at)}."


def cancel_order(
    order: Order, *, actor: User, now: datetime, request_id: str | None, expected_version: int | None = None
) -> CancelOutcome:
    """Cancel a placed order once; of concurrent calls one changes it and the rest learn it was canceled."""
    if order.status is OrderStatus.CANCELED:
        return CancelOutcome(order, changed=False)
    if expected_version is not None and expected_version != order.version:
        raise StaleOrder()
    decision = cancel_decision(actor, order, now)
    if not decision:
        raise PermissionDenied(decision.reason)
    was = order.status  # placed, or awaiting approval or returned (withdrawn: docs/spec.md §8)
    if not transition(
        order, expected=was, to=OrderStatus.CANCELED, now=now,
        canceled_by_id=actor.id, canceled_at=now, related={"canceled_by": actor},
    ):
        if order.status is OrderStatus.CANCELED:
            return CancelOutcome(order, changed=False)
        raise StaleOrder()
    set_claimed(order, False)  # the sections become orderable again
    for request in order.current_requests:
        cancel_request(request, now)
    event = record_event(order, EventKind.CANCELED, actor=actor, now=now, request_id=request_id)
    mail.enqueue_cancel_emails(order, event, now=now)
    return CancelOutcome(order, changed=True, event=event)

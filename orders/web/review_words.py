"""What several screens say about review (docs/spec.md §8): the banner after placing, the return's reason, an earlier
royalty answer. The ordering workflow and the order summary both read these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orders.domain.lookups import order_events
from orders.domain.models import EventKind, Order, OrderEvent, OrderStatus
from orders.domain.review.royalty import RoyaltyAnswer


def earlier_royalty(order: Order) -> RoyaltyAnswer | None:
    """The royalty answer the order was last submitted with (None: never asked), from its marked lines."""
    if order.royalty_answer is None:
        return None
    return RoyaltyAnswer(order.royalty_answer, {
        line.catalog_item_id: line.royalty_per_copy for line in order.current_lines if line.instructor_authored
    })


def placed_message(order: Order) -> str:
    """The banner after "Place order": placed, or waiting for an approver."""
    if order.status is OrderStatus.AWAITING_APPROVAL:
        return (f"Order #{order.number} was submitted for approval. It counts nowhere (not delivered, billed or "
                "published) until an approver approves it; you will get an email when they decide.")
    return f"Order #{order.number} placed."


@dataclass(frozen=True)
class Returned:
    """The last return of an order to its placer: who, when, why."""

    by: str
    at: datetime
    reason: str


def last_decision(
    order: Order, kinds: tuple[EventKind, ...], events: list[OrderEvent] | None = None
) -> OrderEvent | None:
    """The order's latest event of these kinds about the order itself (not about a change to it)."""
    for event in reversed(events if events is not None else order_events(order)):
        if event.kind in kinds and "change_id" not in (event.details or {}):
            return event
    return None


def returned_context(order: Order, events: list[OrderEvent] | None = None) -> Returned | None:
    """Why the order is back with its placer, when it is."""
    if order.status is not OrderStatus.RETURNED:
        return None
    event = last_decision(order, (EventKind.RETURNED,), events)
    if event is None:
        return None
    return Returned(event.actor.name, event.occurred_at, (event.details or {}).get("reason", ""))

"""Approve or return (docs/spec.md §8): an order awaiting approval, or a change to a placed order awaiting approval.

Each decision is one guarded write (the order's status and version, or the DELETE of the submitted change),
so of two approvers deciding at once exactly one decides: one event, one set of emails. The other, like a
repeat of a decision already made or one on an order withdrawn meanwhile, is no error: the outcome says calmly
who decided and when, and nothing is applied twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from orders.domain import outbox as mail
from orders.domain.audit import record_event
from orders.domain.formats.text import clean_text
from orders.domain.institution import local_time
from orders.domain.lookups import order_events
from orders.domain.models import EventKind, Order, OrderEvent, OrderStatus, PendingEdit, User
from orders.domain.ordering.editing import apply_change, check_change
from orders.domain.refusals import PermissionDenied, Refused, StaleOrder
from orders.domain.review import notices
from orders.domain.review.changes import read_change
from orders.domain.review.rules import approve_decision, change_decision
from orders.domain.review.submitting import mark_authored, royalty_details
from orders.domain.transitions import transition
from orders.extensions import db

REASON_REQUIRED = "Give a reason: tell the placer what to change before it can be approved."
MAX_REASON = 2000
CHANGED_MEANWHILE = "This order changed while you were looking at it. Nothing was decided: review it and decide again."
STALE_CHANGE = (
    "The order changed after these changes were submitted, so they can no longer be applied as submitted. Nothing was "
    "applied: return them to their author, who can submit them again against the order as it is now."
)


@dataclass(frozen=True)
class Decided:
    """What a decision did, with the words.

    `changed` is False when nothing was applied (decided before, withdrawn, stale).
    """

    order: Order
    changed: bool
    message: str
    event: OrderEvent | None = None


def decided_notice(order: Order, change_id: int | None = None) -> str:
    """Who decided and when (the latest decision on this order, or on this change), or what became of it."""
    for event in reversed(order_events(order)):
        if event.kind not in (EventKind.APPROVED, EventKind.RETURNED):
            continue
        if (event.details or {}).get("change_id") != change_id:
            continue
        verb = "approved" if event.kind is EventKind.APPROVED else "returned"
        what = "These changes were" if change_id is not None else "Already"
        if change_id is None:
            return f"{what} {verb} by {event.actor.name} on {local_time(event.occurred_at)}."
        return f"{what} already {verb} by {event.actor.name} on {local_time(event.occurred_at)}."
    if change_id is not None:
        return "These changes no longer await approval: their author withdrew them, or the order was canceled."
    if order.status is OrderStatus.CANCELED:
        who = order.canceled_by.name if order.canceled_by else "another user"
        when = local_time(order.canceled_at) if order.canceled_at else "earlier"
        return f"This order was withdrawn (canceled) by {who} on {when}; there is nothing to decide."
    return "This order is not awaiting approval."


def clean_reason(reason: str | None) -> str:
    """The reason as kept: its lines, without invisible characters; refused when nothing visible is left."""
    cleaned = clean_text(reason or "")
    if not cleaned:
        raise Refused(REASON_REQUIRED)
    if len(cleaned) > MAX_REASON:
        raise Refused("Keep the reason under 2,000 characters.")
    return cleaned


def _require(decision) -> None:
    if not decision:
        raise PermissionDenied(decision.reason)


# --- Orders awaiting approval -------------------------------------------------------------------------------


def approve_order(
    order: Order, *, actor: User, now: datetime, request_id: str | None, expected_version: int
) -> Decided:
    """Approve an order awaiting approval: it is placed now (placed at = now), counted everywhere, receipts sent."""
    if order.status is not OrderStatus.AWAITING_APPROVAL:
        return Decided(order, False, decided_notice(order))
    _require(approve_decision(actor, order, now))
    if expected_version != order.version:
        raise StaleOrder(CHANGED_MEANWHILE)
    placer = order.placed_by
    if not transition(order, expected=OrderStatus.AWAITING_APPROVAL, to=OrderStatus.PLACED, now=now, placed_at=now):
        if order.status is not OrderStatus.AWAITING_APPROVAL:
            return Decided(order, False, decided_notice(order))
        raise StaleOrder(CHANGED_MEANWHILE)
    event = record_event(
        order,
        EventKind.APPROVED,
        actor=actor,
        now=now,
        request_id=request_id,
        details={"royalty_review": order.royalty_review, "royalty": _order_royalty(order)},
    )
    if placer is not None:
        notices.enqueue_approved(order, event, now=now, submitter=placer, change=False)
    return Decided(order, True, f"Order #{order.number} was approved. It is now placed and counts everywhere.", event)


def _order_royalty(order: Order) -> dict:
    lines = [line for line in order.current_lines if line.instructor_authored]
    return {
        "authored": bool(order.royalty_answer),
        "lines": [
            {
                "id": line.catalog_item_id,
                "title": line.item.title,
                "royalty_per_copy": None if line.royalty_per_copy is None else str(line.royalty_per_copy),
            }
            for line in lines
        ],
    }


def return_order(
    order: Order, reason: str | None, *, actor: User, now: datetime, request_id: str | None, expected_version: int
) -> Decided:
    """Return an order awaiting approval to its placer, with the reason: it keeps its sections, counts nowhere,
    and its placer changes it and submits it again (or cancels it)."""
    if order.status is not OrderStatus.AWAITING_APPROVAL:
        return Decided(order, False, decided_notice(order))
    _require(approve_decision(actor, order, now))
    cleaned = clean_reason(reason)
    if expected_version != order.version:
        raise StaleOrder(CHANGED_MEANWHILE)
    placer = order.placed_by
    if not transition(order, expected=OrderStatus.AWAITING_APPROVAL, to=OrderStatus.RETURNED, now=now):
        if order.status is not OrderStatus.AWAITING_APPROVAL:
            return Decided(order, False, decided_notice(order))
        raise StaleOrder(CHANGED_MEANWHILE)
    event = record_event(
        order, EventKind.RETURNED, actor=actor, now=now, request_id=request_id, details={"reason": cleaned}
    )
    if placer is not None:
        notices.enqueue_returned(order, event, now=now, submitter=placer, change=False)
    return Decided(
        order, True, f"Order #{order.number} was returned to {placer.name if placer else 'its placer'}.", event
    )


# --- Changes to placed orders awaiting approval -----------------------------------------------------------------


def _submitted(order: Order, change_id: int) -> PendingEdit | None:
    pending = db.session.get(PendingEdit, change_id)
    if (
        pending is None
        or pending.order_id != order.id
        or pending.submitted_at is None
        or order.status is not OrderStatus.PLACED
    ):
        return None
    return pending


def _take(pending: PendingEdit) -> bool:
    """Delete the submitted change, guarded: of two decisions at once exactly one finds it (the row lock)."""
    gone = db.session.execute(
        delete(PendingEdit)
        .where(PendingEdit.id == pending.id, PendingEdit.submitted_at.is_not(None))
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", gone).rowcount != 1:
        return False
    db.session.expunge(pending)
    return True


def approve_change(
    order: Order, change_id: int, *, actor: User, now: datetime, request_id: str | None, expected_version: int
) -> Decided:
    """Apply a submitted change, version-checked like every edit: one `approved` and one `edited` event, the
    author's "changes were approved", and the usual "Order changed" notices to the order's other people."""
    pending = _submitted(order, change_id)
    if pending is None:
        return Decided(order, False, decided_notice(order, change_id))
    change = read_change(order, pending)
    _require(change_decision(actor, order, pending, change.diff.added_sections, now))
    if expected_version != order.version:
        return Decided(order, False, CHANGED_MEANWHILE)
    if change.stale:
        return Decided(order, False, STALE_CHANGE)
    author = pending.user
    if not _take(pending):
        return Decided(order, False, decided_notice(order, change_id))
    if not transition(order, expected=OrderStatus.PLACED, now=now):
        raise StaleOrder(CHANGED_MEANWHILE)  # rolls the DELETE back: the change still waits
    check_change(order, change.diff)
    apply_change(order, change.diff, author, now)
    if change.royalty is not None:
        mark_authored(order, change.royalty, only={item.id for item in change.diff.added_items})
    details = dict(change.diff.details(), change_id=change_id)
    if change.royalty is not None and change.royalty.authored:
        details["royalty"] = royalty_details(change.royalty)
    approved = record_event(order, EventKind.APPROVED, actor=actor, now=now, request_id=request_id, details=details)
    edited = record_event(
        order,
        EventKind.EDITED,
        actor=author,
        now=now,
        request_id=request_id,
        details=dict(change.diff.details(), approved_by=actor.name),
    )
    notices.enqueue_approved(order, approved, now=now, submitter=author, change=True)
    dropped = tuple(person for section in change.diff.removed_sections for person in section.instructors)
    mail.enqueue_changed_emails(order, edited, now=now, also=dropped, receipt=False)
    return Decided(order, True, f"The changes to order #{order.number} were approved and applied.", approved)


def return_change(
    order: Order, change_id: int, reason: str | None, *, actor: User, now: datetime, request_id: str | None
) -> Decided:
    """Drop a submitted change with the reason (the order stays as it was), and tell its author."""
    pending = _submitted(order, change_id)
    if pending is None:
        return Decided(order, False, decided_notice(order, change_id))
    change = read_change(order, pending)
    _require(change_decision(actor, order, pending, change.diff.added_sections, now))
    cleaned = clean_reason(reason)
    author = pending.user
    if not _take(pending):
        return Decided(order, False, decided_notice(order, change_id))
    event = record_event(
        order,
        EventKind.RETURNED,
        actor=actor,
        now=now,
        request_id=request_id,
        details=dict(change.diff.details(), change_id=change_id, reason=cleaned),
    )
    notices.enqueue_returned(order, event, now=now, submitter=author, change=True)
    return Decided(order, True, f"The changes to order #{order.number} were returned to {author.name}.", event)

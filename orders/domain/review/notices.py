"""The review's emails (docs/spec.md §4 "Approval emails"), as outbox rows in the transaction of the change.

"Order #N awaits your approval" to the approvers of its sections; "Order #N was approved" to the placer (their
receipt: the order in full) and a notice to the instructors of record they ordered for; "Order #N was returned"
with the reason to the placer. The same for a change to a placed order ("Changes to order #N ...").
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from orders.domain.audit import on_behalf_of
from orders.domain.models import Order, OrderEvent, OutboundEmail, User
from orders.domain.outbox import email_row, order_context, public_url, unique_recipients

TEMPLATE = "order_review"


def _about(order: Order) -> str:
    return f"{order.course.code} {order.course.title}, {order.term.name}"


def _rows(order: Order, event: OrderEvent, now: datetime, recipients: list[User], kind: str, subject: str,
          review: dict) -> list[dict]:
    context = order_context(order, event)
    context["review"] = dict(review, approvals_link=public_url("/approvals"))
    return [
        email_row(
            kind,
            person.email,
            subject,
            now,
            TEMPLATE,
            dict(context, recipient={"id": person.id, "name": person.name}, is_receipt=False),
            event_id=event.id,
        )
        for person in recipients
    ]


def _insert(rows: list[dict]) -> None:
    if rows:
        from orders.extensions import db

        db.session.execute(insert(OutboundEmail), rows)


def _royalty_lines(event: OrderEvent) -> list[dict]:
    royalty = (event.details or {}).get("royalty") or {}
    return list(royalty.get("lines") or []) if royalty.get("authored") else []


def enqueue_awaiting(order: Order, event: OrderEvent, approvers: list[User], *, now: datetime, change: bool) -> None:
    """ "Order #N awaits your approval" (or "Changes to order #N await ...") to each approver, at once."""
    who = event.actor.name
    if change:
        subject = f"Changes to order #{order.number} await your approval — {_about(order)}"
        message = (
            f"{who} submitted changes to order #{order.number} for your approval. The order stays as it is "
            "everywhere (feed, students, public lookup) until you or another approver approves them."
        )
    else:
        subject = f"Order #{order.number} awaits your approval — {_about(order)}"
        message = (
            f"{who} submitted order #{order.number} for your approval. It counts nowhere (it is not delivered, "
            "billed or published) until you or another approver approves it."
        )
    review = {
        "kind": "awaits",
        "change": change,
        "message": message,
        "actor_label": "Submitted by",
        "why": (event.details or {}).get("why", ""),
        "royalty_lines": _royalty_lines(event),
    }
    _insert(_rows(order, event, now, approvers, "review_awaits", subject, review))


def enqueue_approved(order: Order, event: OrderEvent, *, now: datetime, submitter: User, change: bool) -> None:
    """ "Order #N was approved" to its placer (their receipt), and a notice to the instructors of record they
    ordered for; for a change, "Changes to order #N were approved" to its author (the order's other people get
    the usual "Order changed" notices from the edit itself)."""
    approver = event.actor.name
    if change:
        subject = f"Changes to order #{order.number} were approved — {_about(order)}"
        review = {
            "kind": "approved",
            "change": True,
            "actor_label": "Approved by",
            "message": f"{approver} approved your changes to order #{order.number}. They apply now.",
        }
        _insert(_rows(order, event, now, [submitter], "review_approved", subject, review))
        return
    receipt = {
        "kind": "approved",
        "change": False,
        "actor_label": "Approved by",
        "message": f"{approver} approved your order #{order.number}. It is now placed: this email is your receipt.",
        "royalty_lines": _royalty_lines(event),
    }
    rows = _rows(
        order,
        event,
        now,
        [submitter],
        "review_approved",
        f"Order #{order.number} was approved — {_about(order)}",
        receipt,
    )
    others = [u for u in unique_recipients(None, *on_behalf_of(submitter, order)) if u.id != submitter.id]
    notice = {
        "kind": "approved",
        "change": False,
        "actor_label": "Approved by",
        "message": f"{submitter.name} placed order #{order.number} for your course, and {approver} approved it.",
    }
    rows += _rows(
        order,
        event,
        now,
        others,
        "review_approved_notice",
        f"Order #{order.number} placed for you by {submitter.name} — {_about(order)}",
        notice,
    )
    _insert(rows)


def enqueue_returned(order: Order, event: OrderEvent, *, now: datetime, submitter: User, change: bool) -> None:
    """ "Order #N was returned" (or "Changes to order #N were returned") to whoever submitted it, with the reason."""
    approver = event.actor.name
    if change:
        subject = f"Changes to order #{order.number} were returned — {_about(order)}"
        message = (
            f"{approver} returned your changes to order #{order.number}; they were not applied, and the order "
            "stays as it was. You can edit the order again and submit new changes."
        )
    else:
        subject = f"Order #{order.number} was returned — {_about(order)}"
        message = (
            f"{approver} returned your order #{order.number} to you. It counts nowhere until you change it and "
            "submit it again (Edit and submit again, on the order), or cancel it."
        )
    review = {
        "kind": "returned",
        "change": change,
        "message": message,
        "actor_label": "Returned by",
        "reason": (event.details or {}).get("reason", ""),
    }
    _insert(_rows(order, event, now, [submitter], "review_returned", subject, review))

"""The outbox: emails written in the same transaction as the change they report (orders.worker delivers them)."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import insert

from orders.domain import branding
from orders.domain.costs import other_costs
from orders.domain.institution import institution, local_time
from orders.domain.lines import total_per_student
from orders.domain.models import (
    ContentRequest,
    EmailStatus,
    EventKind,
    Institution,
    Order,
    OrderEvent,
    OutboundEmail,
    User,
)
from orders.extensions import db

log = logging.getLogger(__name__)

_UNSAFE_HEADER_CHARS = re.compile(r"[\x00-\x1f\x7f]+")


def header_safe(value: str, limit: int = 200) -> str:
    """Collapse control characters (CR/LF included) so user text can never start a new header."""
    return _UNSAFE_HEADER_CHARS.sub(" ", value).strip()[:limit]


def order_url(order: Order) -> str:
    """Absolute link to the order summary, from PUBLIC_BASE_URL (requests may come via a proxy)."""
    return public_url(f"/orders/{order.number}")


def _pending(
    kind: str, recipient: str, subject: str, now: datetime, template: str, context: dict, event_id=None
) -> dict:
    """A pending outbox row that carries its email as a snapshot; the worker renders it at delivery.

    `context` holds plain values only (strings, numbers, lists, dicts), so the email shows what was
    true at the change however the order changes before the worker sends it.
    """
    return dict(
        event_id=event_id,
        kind=kind,
        recipient=recipient,
        subject=header_safe(subject, 300),
        body_text="",
        body_html="",
        snapshot={"template": template, "context": context},
        status=EmailStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


def snapshot_row(*, kind: str, template: str, recipient: str, subject: str, now: datetime, context: dict) -> dict:
    """A pending outbox row the worker renders at delivery, for writers of many emails at once (student emails).

    `context` holds plain values only; insert the rows in the transaction of the change they report.
    """
    return _pending(kind, recipient, subject, now, template, context)


def outbox_row(*, kind: str, template: str, recipient: str, subject: str, now: datetime, context: dict) -> dict:
    """Render an email that reports no order event (reminders, digests) into a pending outbox row's values.

    The same row as a snapshot one, with its bodies rendered now (their context holds objects, not plain
    values). Insert the rows in the transaction of the change they report:
    `db.session.execute(insert(OutboundEmail), rows)`.
    """
    row = _pending(kind, recipient, subject, now, template, context)
    row.update(
        snapshot=None,
        body_text=render_template(f"emails/{template}.txt", **context),
        body_html=render_template(f"emails/{template}.html", **context),
    )
    return row


def public_url(path: str) -> str:
    """Absolute link for emails, from PUBLIC_BASE_URL; `path` starts with "/"."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}{path}"


EMAIL_LOGO = (48, 240)  # the logo's box in an email's header band: at most 48 px high and 240 px wide


def institution_snapshot(inst: Institution) -> dict:
    """The institution as every email shows it (emails/_brand.html): name, contact, accent and logo, plain values.

    The logo is a link to this site (PUBLIC_BASE_URL), at a URL with its digest; its box is in the HTML, so a mail
    client that blocks images keeps the layout, and the institution's name is written beside it anyway.
    """
    path, box = branding.logo_path(inst), branding.logo_box(inst, *EMAIL_LOGO)
    return {
        "name": inst.name,
        "contact_email": inst.contact_email,
        "accent": branding.accent_of(inst),
        "logo_url": public_url(path) if path and box else None,
        "logo_width": box[0] if box else None,
        "logo_height": box[1] if box else None,
    }


def _recipients(first: User | None, *others: User | None) -> list[User]:
    """Each user once, in order of importance."""
    seen: dict[int, User] = {}
    for user in (first, *others):
        if user is not None:
            seen.setdefault(user.id, user)
    return list(seen.values())


def _user(user: User) -> dict:
    return {"id": user.id, "name": user.name}


def _item(item) -> dict | None:
    # Prices as exact decimal strings (JSON has no Decimal); the templates format them with money().
    return (
        None
        if item is None
        else {
            "title": item.title,
            "isbn13": item.isbn13,
            "student_price": str(item.student_price),
            "zero_cost": bool(item.zero_cost),
        }
    )


def _request_snapshot(request: ContentRequest) -> dict:
    return {
        "id": request.id,
        "title": request.title,
        "isbn13": request.isbn13,
        "status": {"value": request.status.value, "label": request.status.label},
        "fulfilled_by": _item(request.fulfilled_by),
        "requirement": request.requirement.label,
    }


def order_snapshot(order: Order) -> dict:
    """The order as the emails show it, as plain values (the template names: order.course.code, ...)."""
    return {
        "number": order.number,
        "course": {"code": order.course.code, "title": order.course.title},
        "term": {"name": order.term.name},
        "sections": [{"label": s.label, "session": {"name": s.session.name}} for s in order.sections],
        "current_lines": [
            {"item": _item(line.item), "student_price": str(line.student_price), "requirement": line.requirement.label}
            for line in order.current_lines
        ],
        "current_requests": [_request_snapshot(r) for r in order.current_requests],
        "total_student_price": str(total_per_student(order)),
        "other_costs": other_costs.snapshot(order),  # disclosed, never billed: apart from the total
    }


def _order_context(order: Order, event: OrderEvent) -> dict:
    """What every order email shows, as a snapshot taken now."""
    inst = institution()
    return dict(
        order=order_snapshot(order),
        event={
            "id": event.id,
            "kind": {"value": event.kind.value},
            "actor": _user(event.actor),
            "details": event.details or {},
        },
        institution=institution_snapshot(inst),
        when=local_time(event.occurred_at, inst),
        link=order_url(order),
        on_behalf_of=", ".join(entry["name"] for entry in event.on_behalf_of),
    )


def _enqueue_all(
    order: Order,
    event: OrderEvent,
    now: datetime,
    *,
    recipients: list[User],
    template: str,
    kind: str,
    receipt_subject: str,
    notice_subject: str,
) -> None:
    """One row per recipient: the actor gets the receipt, everyone else a notice. One INSERT for all."""
    context = _order_context(order, event)
    rows = []
    for recipient in recipients:
        is_receipt = recipient.id == event.actor_id
        rows.append(
            _pending(
                f"{kind}_{'receipt' if is_receipt else 'notice'}",
                recipient.email,
                receipt_subject if is_receipt else notice_subject,
                now,
                template,
                dict(context, recipient=_user(recipient), is_receipt=is_receipt),
                event_id=event.id,
            )
        )
    if rows:
        db.session.execute(insert(OutboundEmail), rows)


def enqueue_cancel_emails(order: Order, event: OrderEvent, *, now: datetime) -> None:
    """Receipt to the canceler; notices to the placer and instructors of record who did neither."""
    about = f"{order.course.code} {order.course.title}, {order.term.name}"
    _enqueue_all(
        order,
        event,
        now,
        recipients=_recipients(event.actor, order.placed_by, *order.instructors),
        template="order_canceled",
        kind="cancel",
        receipt_subject=f"Order #{order.number} canceled — {about}",
        notice_subject=f"Order #{order.number} was canceled by {event.actor.name} — {about}",
    )


def enqueue_placed_emails(order: Order, event: OrderEvent, *, now: datetime) -> None:
    """Receipt to the placer, and to the instructors of record they ordered for."""
    about = f"{order.course.code} {order.course.title}, {order.term.name}"
    _enqueue_all(
        order,
        event,
        now,
        recipients=_recipients(event.actor, *(order.instructors if event.on_behalf_of else [])),
        template="order_placed",
        kind="placed",
        receipt_subject=f"Order #{order.number} placed — {about}",
        notice_subject=f"Order #{order.number} placed for you by {event.actor.name} — {about}",
    )


def enqueue_changed_emails(
    order: Order, event: OrderEvent, *, now: datetime, also: tuple[User, ...] = (), receipt: bool = True
) -> None:
    """ "Order #N changed" to the editor, and to the placer and instructors of record when someone else edited.

    `also`: the instructors of sections the change took off the order, who are no longer of record on it
    but must learn that their students lost these materials. `receipt` False: not to the editor (an approved
    change's author, whose "changes were approved" email is their receipt).
    """
    about = f"{order.course.code} {order.course.title}, {order.term.name}"
    recipients = _recipients(event.actor, order.placed_by, *order.instructors, *also)
    _enqueue_all(
        order,
        event,
        now,
        recipients=recipients if receipt else [u for u in recipients if u.id != event.actor_id],
        template="order_changed",
        kind="changed",
        receipt_subject=f"Order #{order.number} changed — {about}",
        notice_subject=f"Order #{order.number} changed by {event.actor.name} — {about}",
    )


def enqueue_request_update_emails(request: ContentRequest, event: OrderEvent, *, now: datetime) -> None:
    """ "Content request update" (a status change or a comment) to the requester and the order's placer."""
    order = request.order
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    context = dict(
        _order_context(order, event),
        request_link=f"{base}/requests/{request.id}",
        comment=event.details.get("comment", ""),
        on_behalf_of="",  # staff act on the request, not for the instructors
    )
    subject = f"Content request {request.status.label} — {request.title}, order #{order.number}"
    if event.kind is EventKind.CONTENT_REQUEST_COMMENT:
        subject = f"New comment on your content request — {request.title}, order #{order.number}"
    context["request"] = _request_snapshot(request)
    rows = [
        _pending(
            "request_update",
            recipient.email,
            subject,
            now,
            "content_request_update",
            dict(context, recipient=_user(recipient), is_receipt=False),
            event_id=event.id,
        )
        for recipient in _recipients(request.requested_by, order.placed_by)
    ]
    db.session.execute(insert(OutboundEmail), rows)


# --- Delivery --------------------------------------------------------------------------------------


def retry_reach(config) -> timedelta:
    """How long after the first failure the last attempt is made, with these settings."""
    base, cap = config["MAIL_BACKOFF_SECONDS"], config.get("MAIL_BACKOFF_MAX_SECONDS", 3600)
    return timedelta(seconds=sum(min(base * 2 ** min(n - 1, 60), cap) for n in range(1, config["MAIL_MAX_ATTEMPTS"])))


# --- For the writers of other capabilities' order emails (orders/domain/review/notices.py) ----------------

order_context = _order_context
email_row = _pending
unique_recipients = _recipients

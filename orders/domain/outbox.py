"""The outbox: emails written in the change's transaction, and the worker that delivers them."""
from __future__ import annotations

import hashlib
import json
import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.utils import parseaddr
from types import SimpleNamespace
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_mail import Connection, Message
from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from orders.domain.institution import institution, local_time
from orders.domain.models import ContentRequest, EmailStatus, EventKind, Order, OrderEvent, OutboundEmail, User
from orders.extensions import db

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=5)  # a worker that dies mid-send frees its rows after this
_UNSAFE_HEADER_CHARS = re.compile(r"[\x00-\x1f\x7f]+")


def header_safe(value: str, limit: int = 200) -> str:
    """Collapse control characters (CR/LF included) so user text can never start a new header."""
    return _UNSAFE_HEADER_CHARS.sub(" ", value).strip()[:limit]


def order_url(order: Order) -> str:
    """Absolute link to the order summary, from PUBLIC_BASE_URL (requests may come via a proxy)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/orders/{order.number}"


def _pending(kind: str, recipient: str, subject: str, now: datetime, template: str, context: dict, event_id=None) -> dict:
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


class Rendered(NamedTuple):
    text: str
    html: str


def _namespaces(value):
    """JSON values -> objects the templates read with attribute syntax (`order.course.code`)."""
    return json.loads(json.dumps(value), object_hook=lambda d: SimpleNamespace(**d))


def render(email: OutboundEmail, app=None) -> Rendered:
    """The email's text and HTML parts: rendered from its snapshot, or as stored for a row written rendered.

    `app`: render in that application's context (for callers outside one, e.g. tests).
    """
    if email.snapshot is None:
        return Rendered(email.body_text, email.body_html)
    if app is not None:
        with app.app_context():
            return render(email)
    template = email.snapshot["template"]
    context = vars(_namespaces(email.snapshot["context"]))
    return Rendered(
        render_template(f"emails/{template}.txt", **context),
        render_template(f"emails/{template}.html", **context),
    )


def outbox_row(*, kind: str, template: str, recipient: str, subject: str, now: datetime, context: dict) -> dict:
    """Render an email that reports no order event (reminders, digests) into a pending outbox row's values.

    Insert the rows in the transaction of the change they report: `db.session.execute(insert(OutboundEmail), rows)`.
    """
    return dict(
        event_id=None,
        kind=kind,
        recipient=recipient,
        subject=header_safe(subject, 300),
        body_text=render_template(f"emails/{template}.txt", **context),
        body_html=render_template(f"emails/{template}.html", **context),
        status=EmailStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


def public_url(path: str) -> str:
    """Absolute link for emails, from PUBLIC_BASE_URL; `path` starts with "/"."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}{path}"


def _recipients(first: User, *others: User) -> list[User]:
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
    return None if item is None else {"title": item.title, "isbn13": item.isbn13, "student_price": str(item.student_price)}


def _request_snapshot(request: ContentRequest) -> dict:
    return {
        "id": request.id, "title": request.title, "isbn13": request.isbn13,
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
        "total_student_price": str(order.total_student_price),
    }


def _order_context(order: Order, event: OrderEvent) -> dict:
    """What every order email shows, as a snapshot taken now."""
    inst = institution()
    return dict(
        order=order_snapshot(order),
        event={
            "id": event.id, "kind": {"value": event.kind.value}, "actor": _user(event.actor),
            "details": event.details or {},
        },
        institution={"name": inst.name, "contact_email": inst.contact_email},
        when=local_time(event.occurred_at, inst),
        link=order_url(order),
        on_behalf_of=", ".join(entry["name"] for entry in event.on_behalf_of),
    )


def _enqueue_all(
    order: Order, event: OrderEvent, now: datetime, *, recipients: list[User], template: str, kind: str,
    receipt_subject: str, notice_subject: str,
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
    db.session.execute(insert(OutboundEmail), rows)


def enqueue_cancel_emails(order: Order, event: OrderEvent, *, now: datetime) -> None:
    """Receipt to the canceler; notices to the placer and instructors of record who did neither."""
    about = f"{order.course.code} {order.course.title}, {order.term.name}"
    _enqueue_all(
        order, event, now,
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
        order, event, now,
        recipients=_recipients(event.actor, *(order.instructors if event.on_behalf_of else [])),
        template="order_placed",
        kind="placed",
        receipt_subject=f"Order #{order.number} placed — {about}",
        notice_subject=f"Order #{order.number} placed for you by {event.actor.name} — {about}",
    )


def enqueue_changed_emails(order: Order, event: OrderEvent, *, now: datetime, also: tuple[User, ...] = ()) -> None:
    """"Order #N changed" to the editor, and to the placer and instructors of record when someone else edited.

    `also`: the instructors of sections the change took off the order, who are no longer of record on it
    but must learn that their students lost these materials.
    """
    about = f"{order.course.code} {order.course.title}, {order.term.name}"
    _enqueue_all(
        order, event, now,
        recipients=_recipients(event.actor, order.placed_by, *order.instructors, *also),
        template="order_changed",
        kind="changed",
        receipt_subject=f"Order #{order.number} changed — {about}",
        notice_subject=f"Order #{order.number} changed by {event.actor.name} — {about}",
    )


def enqueue_request_update_emails(request: ContentRequest, event: OrderEvent, *, now: datetime) -> None:
    """"Content request update" (a status change or a comment) to the requester and the order's placer."""
    order = request.order
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    context = dict(
        _order_context(order, event), request_link=f"{base}/requests/{request.id}",
        comment=event.details.get("comment", ""),
        on_behalf_of="",  # staff act on the request, not for the instructors
    )
    subject = f"Content request {request.status.label} — {request.title}, order #{order.number}"
    if event.kind is EventKind.CONTENT_REQUEST_COMMENT:
        subject = f"New comment on your content request — {request.title}, order #{order.number}"
    context["request"] = _request_snapshot(request)
    rows = [
        _pending(
            "request_update", recipient.email, subject, now, "content_request_update",
            dict(context, recipient=_user(recipient), is_receipt=False), event_id=event.id,
        )
        for recipient in _recipients(request.requested_by, order.placed_by)
    ]
    db.session.execute(insert(OutboundEmail), rows)


# --- Delivery --------------------------------------------------------------------------------------


def _due_clause(now: datetime):
    """Rows ready to send: pending and due, or claimed by a worker whose lease ran out."""
    return OutboundEmail.status.in_([EmailStatus.PENDING, EmailStatus.SENDING]) & (OutboundEmail.next_attempt_at <= now)


def _mark_claimed(now: datetime, *conditions) -> int:
    """Mark the matching rows as being sent, under a lease; returns how many were marked."""
    return db.session.execute(
        update(OutboundEmail)
        .where(*conditions)
        .values(status=EmailStatus.SENDING, next_attempt_at=now + SEND_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount


def claim_batch(now: datetime, limit: int = 20) -> list[int]:
    """Claim due rows for this worker and commit the claim, so no other worker sends them."""
    session = db.session
    due = select(OutboundEmail.id).where(_due_clause(now)).order_by(OutboundEmail.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Rows another worker holds are skipped, so these ids are ours alone until the commit.
        ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        if ids:
            _mark_claimed(now, OutboundEmail.id.in_(ids))
    else:
        # SQLite has no SKIP LOCKED: claim row by row with a conditional update that only one worker wins.
        ids = [i for i in session.scalars(due).all() if _mark_claimed(now, OutboundEmail.id == i, _due_clause(now))]
    session.commit()
    return ids


class SMTPConnection(Connection):
    """Flask-Mail's connection, with a socket timeout (a stalled server must not hang the worker)
    and settings read at connect time."""

    def __init__(self) -> None:
        super().__init__(current_app.extensions["mail"])

    def configure_host(self) -> smtplib.SMTP:
        config = current_app.config
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        host = smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
        if config.get("MAIL_USE_TLS"):
            host.starttls()
        if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
            host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return host


def message_id(email: OutboundEmail) -> str:
    """The email's Message-ID, the same on every delivery attempt of its outbox row.

    Delivery is at least once (a failure between SMTP's acceptance and the "sent" mark sends the row
    again after its lease); receivers and support can drop the duplicate by this id. The hash keeps
    ids of different databases (staging, production) with the same row id apart.
    """
    config = current_app.config
    domain = parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1].rpartition("@")[2]
    if not domain:
        domain = urlsplit(config.get("PUBLIC_BASE_URL") or "").hostname or "localhost"
    created = email.created_at.isoformat() if email.created_at else ""
    digest = hashlib.sha256(f"{email.id}|{email.recipient}|{created}".encode()).hexdigest()[:16]
    return f"<outbox-{email.id}.{digest}@{header_safe(domain, 200)}>"


def _message(email: OutboundEmail, request_id: str | None = None) -> Message:
    """A Flask-Mail message; the subject was made header-safe when the row was written."""
    headers = {"X-Order-Email-Id": str(email.id)}
    if request_id:  # the request that made the change: support can follow it into the logs
        headers["X-Request-ID"] = header_safe(request_id, 64)
    message = Message(
        subject=email.subject,
        recipients=[email.recipient],
        body=email.body_text,
        html=email.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=headers,
    )
    message.msgId = message_id(email)
    return message


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: base, 2x, 4x, ... capped at MAIL_BACKOFF_MAX_SECONDS (default one hour)."""
    config = current_app.config
    base = config["MAIL_BACKOFF_SECONDS"]
    cap = config.get("MAIL_BACKOFF_MAX_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** min(attempts - 1, 60), cap))


def retry_reach(config) -> timedelta:
    """How long after the first failure the last attempt is made, with these settings."""
    base, cap = config["MAIL_BACKOFF_SECONDS"], config.get("MAIL_BACKOFF_MAX_SECONDS", 3600)
    return timedelta(seconds=sum(min(base * 2 ** min(n - 1, 60), cap) for n in range(1, config["MAIL_MAX_ATTEMPTS"])))


def _request_ids(emails: list[OutboundEmail]) -> dict[int, str]:
    """The request id of each order event these emails report (one query)."""
    event_ids = {email.event_id for email in emails if email.event_id is not None}
    if not event_ids:
        return {}
    rows = db.session.execute(select(OrderEvent.id, OrderEvent.request_id).where(OrderEvent.id.in_(event_ids)))
    return {event_id: request_id for event_id, request_id in rows if request_id}


def _mark_sent(email_id: int, now: datetime) -> None:
    """The "sent" mark: one small UPDATE in its own transaction, right after SMTP accepted the email."""
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email_id)
        .values(status=EmailStatus.SENT, attempts=OutboundEmail.attempts + 1, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver_due(now_fn, limit: int = 20) -> tuple[int, int]:
    """Send one batch of due emails over SMTP; returns (sent, failed attempts)."""
    ids = claim_batch(now_fn(), limit)
    if not ids:
        return 0, 0
    emails = list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(ids)).order_by(OutboundEmail.id)))
    sent = failed = 0
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    try:
        connection = SMTPConnection().__enter__()
    except Exception as error:  # SMTP down: every claimed row goes back with backoff, none lost
        for email in emails:
            _record_failure(email, error, now_fn(), max_attempts)
        db.session.commit()
        return 0, len(emails)
    request_ids = _request_ids(emails)
    try:
        for email in emails:
            rendered = email.snapshot is not None and not email.body_text
            try:
                if rendered:
                    # Rendered here, not in the request that wrote the row; kept as the record of what was sent.
                    email.body_text, email.body_html = render(email)
                message = _message(email, request_ids.get(email.event_id))
            except Exception as error:
                _record_failure(email, error, now_fn(), max_attempts)
                db.session.commit()
                failed += 1
                continue
            if rendered:
                db.session.commit()  # the body is stored before SMTP, so the "sent" mark stays one small UPDATE
            try:
                connection.send(message)
            except Exception as error:
                _record_failure(email, error, now_fn(), max_attempts)
                db.session.commit()
                failed += 1
                continue
            # SMTP accepted it. Should the mark fail (the database went away), the row stays claimed and is
            # sent again after its lease with the same Message-ID: delivery is at least once, deduplicable.
            sent_at = now_fn()
            _mark_sent(email.id, sent_at)
            for name, value in (("status", EmailStatus.SENT), ("attempts", email.attempts + 1), ("sent_at", sent_at), ("last_error", None)):
                set_committed_value(email, name, value)  # the loaded copy agrees with the committed row
            sent += 1
    finally:
        try:
            connection.__exit__(None, None, None)
        except Exception:  # the server vanished mid-batch; the rows are already recorded
            log.warning("SMTP connection did not close cleanly", exc_info=True)
    return sent, failed


def _record_failure(email: OutboundEmail, error: Exception, now: datetime, max_attempts: int) -> None:
    """Count the attempt and schedule a retry, or give up after max_attempts."""
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    if email.attempts >= max_attempts:
        email.status = EmailStatus.FAILED
        log.error("Giving up on email %s to %s: %s", email.id, email.recipient, email.last_error)
    else:
        email.status = EmailStatus.PENDING
        email.next_attempt_at = now + backoff(email.attempts)

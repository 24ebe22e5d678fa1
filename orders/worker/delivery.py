"""Delivering the outbox: claim due rows with a lease, render each from its snapshot, send over SMTP,
mark it sent in its own commit; failures back off exponentially until MAIL_MAX_ATTEMPTS."""
from __future__ import annotations

import hashlib
import json
import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import parseaddr
from types import SimpleNamespace
from typing import NamedTuple, cast
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_mail import Connection, Message
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm.attributes import set_committed_value

from orders.domain.models import EmailStatus, OrderEvent, OutboundEmail
from orders.domain.outbox import header_safe
from orders.extensions import db

log = logging.getLogger(__name__)


SEND_LEASE = timedelta(minutes=5)  # a worker that dies mid-send frees its rows after this


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


def _due_clause(now: datetime):
    """Rows ready to send: pending and due, or claimed by a worker whose lease ran out."""
    return OutboundEmail.status.in_([EmailStatus.PENDING, EmailStatus.SENDING]) & (OutboundEmail.next_attempt_at <= now)


def _mark_claimed(now: datetime, *conditions) -> int:
    """Mark the matching rows as being sent, under a lease; returns how many were marked."""
    result = db.session.execute(
        update(OutboundEmail)
        .where(*conditions)
        .values(status=EmailStatus.SENDING, next_attempt_at=now + SEND_LEASE)
        .execution_options(synchronize_session=False)
    )
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as returning a Result.
    return cast(CursorResult, result).rowcount


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
                request_id = request_ids.get(email.event_id) if email.event_id is not None else None
                message = _message(email, request_id)
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
            for name, value in (
                ("status", EmailStatus.SENT),
                ("attempts", email.attempts + 1),
                ("sent_at", sent_at),
                ("last_error", None),
            ):
                set_committed_value(email, name, value)  # the loaded copy agrees with the committed row
            sent += 1
    finally:
        try:
            # Flask-Mail annotates __exit__ without Optional, but a clean exit passes None three times.
            connection.__exit__(None, None, None)  # type: ignore[arg-type]
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

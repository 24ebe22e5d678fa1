"""The outbox seen by an operator: what is stuck or failed, and putting failed mail back in the queue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from orders.domain.audit import record
from orders.domain.models import EmailStatus, OutboundEmail, User
from orders.extensions import db

FAILED_PAGE_SIZE = 200


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    failed: int
    oldest_pending_at: datetime | None

    def oldest_pending_age(self, now: datetime) -> float:
        """Seconds the oldest unsent (pending or being sent) email has waited; 0 when none waits."""
        return max((now - self.oldest_pending_at).total_seconds(), 0.0) if self.oldest_pending_at else 0.0


def outbox_stats() -> OutboxStats:
    """Pending (and being sent) and failed counts, and when the oldest unsent email was written: one query."""
    unsent = OutboundEmail.status.in_([EmailStatus.PENDING, EmailStatus.SENDING])
    pending, failed, oldest = db.session.execute(
        select(
            func.count().filter(unsent),
            func.count().filter(OutboundEmail.status == EmailStatus.FAILED),
            func.min(OutboundEmail.created_at).filter(unsent),
        ).select_from(OutboundEmail)
    ).one()
    return OutboxStats(pending or 0, failed or 0, oldest)


def failed_emails(limit: int = FAILED_PAGE_SIZE) -> tuple[list[OutboundEmail], int]:
    """The failed emails, newest first (at most `limit`), and how many there are in all."""
    total = db.session.scalar(
        select(func.count()).select_from(OutboundEmail).where(OutboundEmail.status == EmailStatus.FAILED)
    )
    rows = list(
        db.session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.status == EmailStatus.FAILED)
            .order_by(OutboundEmail.id.desc())
            .limit(limit)
        )
    )
    return rows, total or 0


def retry_failed(now: datetime, email_id: int | None = None) -> int:
    """Put failed emails (all, or the one `email_id`) back in the queue with a fresh set of attempts. Flushes.

    Returns how many went back; last_error stays until the next attempt replaces it.
    """
    conditions = [OutboundEmail.status == EmailStatus.FAILED]
    if email_id is not None:
        conditions.append(OutboundEmail.id == email_id)
    # An UPDATE or DELETE returns a CursorResult; Session.execute is typed as returning the plain Result.
    return cast(
        "CursorResult[Any]",
        db.session.execute(
            update(OutboundEmail)
            .where(*conditions)
            .values(status=EmailStatus.PENDING, attempts=0, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount


def retry_failed_as(actor: User, now: datetime, email: OutboundEmail | None = None) -> int:
    """The back office's Retry (one email) or Retry all, recorded in the admin audit log. Flushes."""
    count = retry_failed(now, email.id if email is not None else None)
    if count:
        target = f"Failed email #{email.id} to {email.recipient}" if email is not None else f"{count} failed emails"
        record("mail.retry", target, {"status": "failed"}, {"status": "pending", "emails": count}, actor=actor, now=now)
    return count

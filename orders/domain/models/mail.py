"""The outbox and the markers that make each reminder go out once."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orders.domain.models.base import UTCDateTime, _enum
from orders.extensions import db

if TYPE_CHECKING:
    from orders.extensions import Base as Model
else:
    Model = db.Model


class EmailStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboundEmail(Model):
    """The outbox: every email, written in the transaction of the change it reports."""

    __tablename__ = "outbound_email"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", name="uq_outbound_email_event_recipient"),
        UniqueConstraint("choice_event_id", "recipient", name="uq_outbound_email_choice_event_recipient"),
        Index("ix_outbound_email_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("order_event.id"))
    # Set on a student choice receipt (orders/domain/choices.py); one per event and recipient, like event_id.
    choice_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("choice_event.id", name="fk_outbound_email_choice_event")
    )
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(_enum(EmailStatus, "email_status"), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the email shows, as plain values ({"template": ..., "context": {...}}); the worker renders
    # body_text/body_html from it at delivery (orders.worker.delivery.render). None: the row was written rendered.
    snapshot: Mapped[dict | None] = mapped_column(JSON)


class ReminderKind(enum.Enum):
    OPENING = "opening"  # "Ordering for <term> is open"
    CLOSING = "closing"  # "Ordering for <term> closes on <soft close>", from 7 days before
    STUDENT_MATERIALS = "student_materials"  # "Your course materials for <term>", once the choice window opens
    STUDENT_CHOOSE_BY = "student_choose_by"  # "Choose by <date>", 2 days before the choice window closes


class ReminderSent(Model):
    """One reminder of one kind went to one person for one term; the unique constraint makes it at most one."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("term_id", "user_id", "kind", name="uq_reminder_sent_term_user_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[ReminderKind] = mapped_column(_enum(ReminderKind, "reminder_kind"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgressReminder(Model):
    """A "Remind now" email went to one instructor for one term on one (institution-local) day: at most one."""

    __tablename__ = "progress_reminder"
    __table_args__ = (UniqueConstraint("term_id", "user_id", "day", name="uq_progress_reminder_term_user_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # the instructor reminded
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # who pressed "Remind now"

"""Enrollments and student choices (docs/spec.md §1 'Student choice')."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime, _enum
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.courses import Section
    from orders.domain.models.people import User
    from orders.extensions import Base as Model
else:
    Model = db.Model


class ProgramMode(enum.Enum):
    OPT_OUT = "opt-out"  # billed for every billable line unless the student opts out
    OPT_IN = "opt-in"  # billed only for what the student opted in to

    @property
    def label(self) -> str:
        return "Opt-out" if self is ProgramMode.OPT_OUT else "Opt-in"


class EnrollmentState(enum.Enum):
    ENROLLED = "enrolled"
    DROPPED = "dropped"


class ChoiceValue(enum.Enum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"


class Enrollment(Model):
    """A student in a section, from the SIS import; a dropped enrollment is kept, never deleted."""

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("user_id", "section_id", name="uq_enrollment_user_section"),
        Index("ix_enrollment_section", "section_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    state: Mapped[EnrollmentState] = mapped_column(
        _enum(EnrollmentState, "enrollment_state"), default=EnrollmentState.ENROLLED
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the last time it became enrolled
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last time it became dropped

    user: Mapped[User] = relationship(lazy="raise")
    section: Mapped[Section] = relationship(lazy="raise")


class StudentChoice(Model):
    """A student's standing choice on one catalog item of one section; no row means the mode's default."""

    __tablename__ = "student_choice"
    __table_args__ = (
        UniqueConstraint("user_id", "section_id", "catalog_item_id", name="uq_student_choice_user_section_item"),
        Index("ix_student_choice_section", "section_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"))
    choice: Mapped[ChoiceValue] = mapped_column(_enum(ChoiceValue, "choice_value"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # the student, or a Program Administrator
    reason: Mapped[str | None] = mapped_column(Text)  # required when a Program Administrator decided
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id], lazy="raise")


class ChoiceEvent(Model):
    """Append-only: every change of a student choice (who, when, from what to what, why)."""

    __tablename__ = "choice_event"
    __table_args__ = (Index("ix_choice_event_student", "user_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # the student
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"))
    previous: Mapped[ChoiceValue | None] = mapped_column(_enum(ChoiceValue, "choice_value"))  # None: the default
    choice: Mapped[ChoiceValue] = mapped_column(_enum(ChoiceValue, "choice_value"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="raise")

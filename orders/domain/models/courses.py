"""What the SIS feeds: campuses, organizations, terms and their ordering periods, sessions, courses, sections."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime, _enum
from orders.domain.models.review import OrderingPolicy
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.ordering import NoMaterialsAnswer
    from orders.domain.models.people import User
    from orders.extensions import Base as Model
else:
    Model = db.Model


class CourseLevel(enum.Enum):
    UNDERGRADUATE = "Undergraduate"
    GRADUATE = "Graduate"


class SectionState(enum.Enum):
    ACTIVE = "active"
    REMOVED = "removed"  # dropped by the SIS: kept, never deleted


class Campus(Model):
    __tablename__ = "campus"
    id: Mapped[int] = mapped_column(primary_key=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Organization(Model):
    __tablename__ = "organization"
    id: Mapped[int] = mapped_column(primary_key=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # docs/spec.md §8: set in the back office (Organizations), never by the SIS import.
    ordering_policy: Mapped[OrderingPolicy] = mapped_column(
        _enum(OrderingPolicy, "ordering_policy"), default=OrderingPolicy.OPEN, server_default=OrderingPolicy.OPEN.value
    )


class Term(Model):
    __tablename__ = "term"
    id: Mapped[int] = mapped_column(primary_key=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The student choice window (docs/spec.md §1 "Choice window"); unset: students see their materials but
    # cannot choose.
    choice_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    choice_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When registration for the term opens (docs/spec.md §10): Progress measures cost disclosure as of then.
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period: Mapped[OrderingPeriod | None] = relationship(back_populates="term", uselist=False, lazy="joined")


class OrderingPeriod(Model):
    __tablename__ = "ordering_period"
    __table_args__ = (CheckConstraint("opens_at < closes_at", name="ck_period_opens_before_close"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), unique=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The deadline users see and reminders count down to; None means the hard close.
    soft_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    term: Mapped[Term] = relationship(back_populates="period")

    @property
    def deadline(self) -> datetime:
        """The soft close shown to users (docs/spec.md: defaults to the hard close)."""
        return self.soft_close_at or self.closes_at


class AcademicSession(Model):
    """A part of a term ("Regular Academic Session", "First Eight Weeks")."""

    __tablename__ = "academic_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Course(Model):
    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("subject", "number", name="uq_course_subject_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    subject: Mapped[str] = mapped_column(String(16), index=True)
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))

    @property
    def code(self) -> str:
        return f"{self.subject} {self.number}"


class Section(Model):
    """A course offering: one labelled section of a course in a term."""

    __tablename__ = "section"
    __table_args__ = (
        UniqueConstraint("course_id", "term_id", "label", name="uq_section_course_term_label"),
        Index("ix_section_term_course", "term_id", "course_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("academic_session.id"))
    campus_id: Mapped[int] = mapped_column(ForeignKey("campus.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    level: Mapped[CourseLevel] = mapped_column(_enum(CourseLevel, "course_level"))
    label: Mapped[str] = mapped_column(String(16))
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    state: Mapped[SectionState] = mapped_column(
        _enum(SectionState, "section_state"), default=SectionState.ACTIVE, server_default=SectionState.ACTIVE.value
    )

    @property
    def is_removed(self) -> bool:
        return self.state is SectionState.REMOVED

    course: Mapped[Course] = relationship(lazy="joined", innerjoin=True)
    term: Mapped[Term] = relationship(lazy="joined", innerjoin=True)
    session: Mapped[AcademicSession] = relationship(lazy="joined", innerjoin=True)
    campus: Mapped[Campus] = relationship(lazy="raise")
    organization: Mapped[Organization] = relationship(lazy="raise")
    instructors: Mapped[list[User]] = relationship(
        secondary="teaching_assignment", lazy="selectin", order_by="User.sort_name"
    )
    # Loaded only where asked for (the Courses page joins it in); see NoMaterialsAnswer.
    no_materials_answer: Mapped[NoMaterialsAnswer | None] = relationship(lazy="raise", viewonly=True, uselist=False)

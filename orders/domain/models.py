"""Typed SQLAlchemy 2 models for the whole domain of docs/spec.md §1."""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from orders.extensions import db

if TYPE_CHECKING:
    # db.Model is a class Flask-SQLAlchemy builds at runtime over Base; mypy sees only an attribute
    # typed type[Model], which cannot be a base class, so the checker is shown the declarative Base.
    from orders.extensions import Base as Model
else:
    Model = db.Model


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC: identical on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column that stores the member values."""
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class CourseLevel(enum.Enum):
    UNDERGRADUATE = "Undergraduate"
    GRADUATE = "Graduate"


class Delivery(enum.Enum):
    ETEXT = "eText"
    COURSEWARE = "Courseware"


class OrderStatus(enum.Enum):
    DRAFT = "draft"
    PLACED = "placed"
    CANCELED = "canceled"
    DISCARDED = "discarded"


class EventKind(enum.Enum):
    DRAFT_STARTED = "draft_started"
    PLACED = "placed"
    CANCELED = "canceled"
    DRAFT_DISCARDED = "draft_discarded"
    EDITED = "edited"
    SECTIONS_ADDED = "sections_added"
    CONTENT_REQUEST_STATUS = "content_request_status"
    CONTENT_REQUEST_COMMENT = "content_request_comment"


class SectionState(enum.Enum):
    ACTIVE = "active"
    REMOVED = "removed"  # dropped by the SIS: kept, never deleted


class ContentRequestStatus(enum.Enum):
    SUBMITTED = "submitted"
    RESEARCHING = "researching"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELED = "canceled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def _missing_(cls, value):
        # Stored and linked as "cancelled" before migration d7a2c9e4f1b3 (old audit details, bookmarked filters).
        return cls.CANCELED if value == "cancelled" else None


class ProgramMode(enum.Enum):
    OPT_OUT = "opt-out"  # billed for every billable line unless the student opts out
    OPT_IN = "opt-in"  # billed only for what the student opted in to

    @property
    def label(self) -> str:
        return "Opt-out" if self is ProgramMode.OPT_OUT else "Opt-in"


class Requirement(enum.Enum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EnrollmentState(enum.Enum):
    ENROLLED = "enrolled"
    DROPPED = "dropped"


class ChoiceValue(enum.Enum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"


class EmailStatus(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Institution(Model):
    __tablename__ = "institution"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    contact_email: Mapped[str] = mapped_column(String(254))
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Student choice (docs/spec.md §1 "Student choice", 3 "Course materials (students)" and "Progress").
    program_mode: Mapped[ProgramMode] = mapped_column(
        _enum(ProgramMode, "program_mode"), default=ProgramMode.OPT_OUT, server_default=ProgramMode.OPT_OUT.value
    )
    consent_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    at_risk_threshold_percent: Mapped[int] = mapped_column(Integer, default=20, server_default=text("20"))
    # docs/spec.md §3 "Public course materials": off answers 404 for the whole public lookup.
    publish_course_materials: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


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


class Term(Model):
    __tablename__ = "term"
    id: Mapped[int] = mapped_column(primary_key=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The student choice window (docs/spec.md §1 "Choice window"); unset: students see their materials but cannot choose.
    choice_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    choice_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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


class User(Model):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sort_name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    network_id: Mapped[str | None] = mapped_column(String(254), unique=True, index=True)  # the SSO identity (e.g. eppn)
    sis_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # Deferred: only sign-in reads it, and every other user load (placers, instructors) skips it.
    # None under single sign-on: the account has no local password.
    password_hash: Mapped[str | None] = mapped_column(String(256), deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_program_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    # Loaded with the signed-in user (orders.web.loaders.load_user); nobody else's grants are ever needed in bulk.
    grants: Mapped[list[CoordinatorGrant]] = relationship(back_populates="user", lazy="select")

    # What Flask-Login asks of a signed-in user, spelled out so the domain needs nothing of the web layer.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for inactive users
        return self.active

    @property
    def is_coordinator(self) -> bool:
        return bool(self.grants)

    @staticmethod
    def sort_key_for(name: str) -> str:
        """Family name first, so lists sort the way registrars print them."""
        parts = name.split()
        return " ".join(parts[-1:] + parts[:-1]).lower()


class TeachingAssignment(Model):
    __tablename__ = "teaching_assignment"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), primary_key=True, index=True)


class CoordinatorGrant(Model):
    """A coordinator's scope; an unset dimension matches any section."""

    __tablename__ = "coordinator_grant"
    __table_args__ = (
        # One grant per scope and user: an unset dimension is '' or 0 here, since NULLs never collide.
        Index(
            "uq_coordinator_grant_scope", "user_id", text("coalesce(subject, '')"), text("coalesce(level, '')"),
            text("coalesce(organization_id, 0)"), text("coalesce(campus_id, 0)"), unique=True,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[CourseLevel | None] = mapped_column(_enum(CourseLevel, "course_level"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    campus_id: Mapped[int | None] = mapped_column(ForeignKey("campus.id"))

    user: Mapped[User] = relationship(back_populates="grants")
    organization: Mapped[Organization | None] = relationship(lazy="joined")
    campus: Mapped[Campus | None] = relationship(lazy="joined")

    def describe(self) -> str:
        """Human summary of the scope, e.g. "subject MATH, Graduate"."""
        parts = []
        if self.subject:
            parts.append(f"subject {self.subject}")
        if self.level:
            parts.append(self.level.value)
        if self.organization:
            parts.append(self.organization.name)
        if self.campus:
            parts.append(f"{self.campus.name} campus")
        return ", ".join(parts) or "all sections"


class CatalogItem(Model):
    __tablename__ = "catalog_item"
    __table_args__ = (CheckConstraint("student_price >= 0", name="ck_catalog_price_non_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), index=True)
    authors: Mapped[str] = mapped_column(String(300))
    isbn13: Mapped[str] = mapped_column(String(13), unique=True)
    publisher: Mapped[str] = mapped_column(String(200))
    edition: Mapped[str] = mapped_column(String(50))
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery, "delivery"))
    student_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    copyright_year: Mapped[int | None] = mapped_column(Integer)
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  # the publisher's retail price
    # OER or otherwise free to students: never billed, offers no student choice.
    zero_cost: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # An inactive item can no longer be ordered; orders that have it keep it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    @property
    def isbn_display(self) -> str:
        """ISBN-13 hyphenated only at the prefix, e.g. 978-0134689517."""
        return f"{self.isbn13[:3]}-{self.isbn13[3:]}"


class Order(Model):
    __tablename__ = "course_order"
    __table_args__ = (
        Index("ix_order_term_course", "term_id", "course_id"),
        Index("ix_order_placed_by", "placed_by_id"),
        Index("ix_order_owner_status", "owner_id", "status"),
        # Order history reads orders newest first and stops after one page: an index in that order.
        Index("ix_course_order_newest", text("coalesce(placed_at, created_at) DESC"), text("id DESC")),
        # One open draft per user per course and term; two tabs racing to start one cannot both win.
        Index(
            "uq_order_one_draft",
            "owner_id",
            "course_id",
            "term_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, unique=True)  # assigned when placed
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"), default=OrderStatus.DRAFT)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # who started the draft
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moves on every change a consumer of the order feed must see (place, edit, cancel, request status).
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reordered_from_id: Mapped[int | None] = mapped_column(ForeignKey("course_order.id", name="fk_order_reordered_from"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    term: Mapped[Term] = relationship(lazy="joined", innerjoin=True)
    course: Mapped[Course] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="raise")
    placed_by: Mapped[User | None] = relationship(foreign_keys=[placed_by_id], lazy="joined")
    canceled_by: Mapped[User | None] = relationship(foreign_keys=[canceled_by_id], lazy="joined")
    order_sections: Mapped[list[OrderSection]] = relationship(
        back_populates="order", lazy="selectin", cascade="all, delete-orphan"
    )
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", lazy="selectin", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    content_requests: Mapped[list[ContentRequest]] = relationship(
        back_populates="order", lazy="selectin", cascade="all, delete-orphan", order_by="ContentRequest.position"
    )
    reordered_from: Mapped[Order | None] = relationship(remote_side=[id], lazy="raise")
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderEvent.id"
    )

    @property
    def display_number(self) -> str:
        return f"#{self.number}" if self.number is not None else "Draft"

    @property
    def sections(self) -> list[Section]:
        """The sections on the order now (an edit's removals are kept as rows, not shown)."""
        return sorted((link.section for link in self.order_sections if link.removed_at is None), key=lambda s: s.label)

    @property
    def current_lines(self) -> list[OrderLine]:
        """The catalog items on the order now."""
        return [line for line in self.lines if line.removed_at is None]

    @property
    def current_requests(self) -> list[ContentRequest]:
        """The content requests on the order now."""
        return [request for request in self.content_requests if request.removed_at is None]

    @property
    def instructors(self) -> list[User]:
        """Instructors of record across the order's sections, each once."""
        seen: dict[int, User] = {}
        for section in self.sections:
            for user in section.instructors:
                seen.setdefault(user.id, user)
        return sorted(seen.values(), key=lambda u: u.sort_name)

    @property
    def total_student_price(self) -> Decimal:
        """What a student pays for the catalog items and the approved requests (priced as their item)."""
        fulfilled = [r.fulfilled_by.student_price for r in self.current_requests if r.fulfilled_by is not None]
        return sum((line.student_price for line in self.current_lines), Decimal("0.00")) + sum(fulfilled, Decimal("0.00"))


class OrderSection(Model):
    """A section on an order; `claimed` is true while the order is placed."""

    __tablename__ = "order_section"
    __table_args__ = (
        # The database itself refuses a second placed order for a section.
        Index(
            "uq_order_section_claimed",
            "section_id",
            unique=True,
            sqlite_where=text("claimed"),
            postgresql_where=text("claimed"),
        ),
        Index("ix_order_section_section", "section_id"),
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), primary_key=True)
    claimed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when an edit took the section off the order: the row stays so the feed can report it deleted.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="order_sections")
    section: Mapped[Section] = relationship(lazy="joined", innerjoin=True)


class OrderLine(Model):
    """A catalog item on an order, with the student price it was ordered at."""

    __tablename__ = "order_line"
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"), primary_key=True)
    catalog_item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    student_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    requirement: Mapped[Requirement] = mapped_column(
        _enum(Requirement, "requirement"), default=Requirement.REQUIRED, server_default=Requirement.REQUIRED.value
    )
    # Set when an edit took the item off the order: the row stays so the feed can report it deleted.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="lines")
    item: Mapped[CatalogItem] = relationship(lazy="joined", innerjoin=True)


class OrderEvent(Model):
    """Append-only audit row; the app never updates or deletes one."""

    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order", "order_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    on_behalf_of: Mapped[list[dict]] = mapped_column(JSON, default=list)  # [{"id": 3, "name": "Alan Turing"}]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class OrderNumberCounter(Model):
    """One row holding the last order number handed out; bumped atomically."""

    __tablename__ = "order_number_counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


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
    choice_event_id: Mapped[int | None] = mapped_column(ForeignKey("choice_event.id", name="fk_outbound_email_choice_event"))
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


class ContentRequest(Model):
    """A title the catalog lacks, requested on an order; it is one of the order's lines."""

    __tablename__ = "content_request"
    __table_args__ = (Index("ix_content_request_order", "order_id"), Index("ix_content_request_status", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    isbn13: Mapped[str] = mapped_column(String(13))
    author: Mapped[str | None] = mapped_column(String(300))
    edition: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ContentRequestStatus] = mapped_column(
        _enum(ContentRequestStatus, "content_request_status"), default=ContentRequestStatus.SUBMITTED
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when an edit took the request off a placed order: kept for the feed, status Canceled.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_item.id"))
    requirement: Mapped[Requirement] = mapped_column(
        _enum(Requirement, "requirement"), default=Requirement.REQUIRED, server_default=Requirement.REQUIRED.value
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    order: Mapped[Order] = relationship(back_populates="content_requests")
    requested_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    fulfilled_by: Mapped[CatalogItem | None] = relationship(lazy="joined")

    @property
    def isbn_display(self) -> str:
        return f"{self.isbn13[:3]}-{self.isbn13[3:]}"


class ContentRequestComment(Model):
    """One comment on a content request's thread."""

    __tablename__ = "content_request_comment"
    __table_args__ = (Index("ix_content_request_comment_request", "request_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("content_request.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class PendingEdit(Model):
    """One user's unsubmitted changes to one placed order (two tabs of that user share it)."""

    __tablename__ = "pending_edit"
    __table_args__ = (UniqueConstraint("order_id", "user_id", name="uq_pending_edit_order_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    base_version: Mapped[int] = mapped_column(Integer)  # the order's version the edit started from
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdminAuditEntry(Model):
    """Append-only: every back-office change and import (who, when, what, before -> after)."""

    __tablename__ = "admin_audit_entry"
    __table_args__ = (Index("ix_admin_audit_kind", "kind", "id"), Index("ix_admin_audit_actor", "actor_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: a command (SIS import)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. "period.updated", "grant.added", "sis.import"
    target: Mapped[str] = mapped_column(String(300))  # what was changed, in words ("Spring 2027 ordering period")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship(lazy="joined")


# --- No materials needed and reminders (issue 16) ----------------------------------------------------


class NoMaterialsAnswer(Model):
    """A section answered "no materials needed": it counts as done for reminders until undone.

    Undo deletes the row (the answer is removable); the admin audit log keeps the history.
    A placed order on the section wins over an answer: screens and reminders ignore the answer then.
    """

    __tablename__ = "no_materials_answer"
    __table_args__ = (UniqueConstraint("section_id", name="uq_no_materials_answer_section"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    answered_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)


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


# --- Order feed runs (docs/spec.md §6a "Order feed") ---------------------------------------------------------


class FeedKind(enum.Enum):
    FULL = "full"
    DELTA = "delta"


class FeedRun(Model):
    """One successful `export-feed` run: the window it covered and the file it wrote.

    A delta claims the window starting where the term's previous delta ended; the unique constraint
    makes a second machine claiming the same start fail, so no window is ever reported twice.
    A full leaves window_start empty (NULLs never collide), so fulls may run any number of times.
    """

    __tablename__ = "feed_run"
    __table_args__ = (UniqueConstraint("term_id", "kind", "window_start", name="uq_feed_run_term_kind_window_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    kind: Mapped[FeedKind] = mapped_column(_enum(FeedKind, "feed_kind"))
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)  # exclusive; None for a full
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)  # the run's time: the next delta starts here
    rows: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    term: Mapped[Term] = relationship(lazy="raise")


class FeedChange(Model):
    """A change to a placed or canceled order, written in the change's own transaction.

    A delta claims every unclaimed row of its term (feed_run_id set), whatever its changed_at: a
    change that read its time before a delta but committed after it is still unclaimed, so the next
    delta reports it. Timestamps alone cannot say that.
    """

    __tablename__ = "feed_change"
    __table_args__ = (Index("ix_feed_change_term_run", "term_id", "feed_run_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed_run_id: Mapped[int | None] = mapped_column(ForeignKey("feed_run.id"))


# --- Sign-in: server-side sessions and failed-attempt throttling (orders/web/auth) ------------------


class UserSession(Model):
    """One signed-in browser session; the signed cookie carries a random token whose hash is `id`.

    Deleting the row ends the session for every copy of the cookie.
    """

    __tablename__ = "user_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the 12-hour absolute lifetime counts from here
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the idle timeout counts from here
    via: Mapped[str] = mapped_column(String(16))  # "password" or "header"


class SignInFailure(Model):
    """One failed local sign-in; counted per account, per client address and per pair."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_account", "account", "occurred_at"),
        Index("ix_sign_in_failure_address", "address", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account: Mapped[str] = mapped_column(String(64))  # sha256 hex of the typed email, lower-cased (never the text)
    address: Mapped[str] = mapped_column(String(64))  # the client address


class SignInLock(Model):
    """A lock on an account, a client address or a pair, until `locked_until`."""

    __tablename__ = "sign_in_lock"
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)  # "account:<hash>", "address:<ip>", "pair:<hash>"
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Students: enrollments and choices (docs/spec.md §1 "Enrollment", "Student choice") ----------------------


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


# --- Progress: "Remind now" (docs/spec.md §3 "Progress") ----------------------------------------------------


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

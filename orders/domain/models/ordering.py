"""Orders, their sections, lines, content requests, events, pending edits and no-materials answers."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
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

from orders.domain.models.base import UTCDateTime, _enum
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.catalog import CatalogItem
    from orders.domain.models.costs import OtherCost
    from orders.domain.models.courses import Course, Section, Term
    from orders.domain.models.people import User
    from orders.extensions import Base as Model
else:
    Model = db.Model


class OrderStatus(enum.Enum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"  # submitted in an organization under review (docs/spec.md §8)
    RETURNED = "returned"  # sent back to the placer by an approver, with a reason
    PLACED = "placed"
    CANCELED = "canceled"
    DISCARDED = "discarded"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def in_review(self) -> bool:
        """Submitted but not yet counted: it claims its sections, and counts nowhere (docs/spec.md §8)."""
        return self in (OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)

    @property
    def workable(self) -> bool:
        """Its owner works on it in the ordering workflow: a draft, or an order returned to them."""
        return self in (OrderStatus.DRAFT, OrderStatus.RETURNED)


class EventKind(enum.Enum):
    DRAFT_STARTED = "draft_started"
    PLACED = "placed"
    CANCELED = "canceled"
    DRAFT_DISCARDED = "draft_discarded"
    EDITED = "edited"
    SECTIONS_ADDED = "sections_added"
    CONTENT_REQUEST_STATUS = "content_request_status"
    CONTENT_REQUEST_COMMENT = "content_request_comment"
    SUBMITTED_FOR_APPROVAL = "submitted_for_approval"  # an order, or a change to a placed one (details: change)
    APPROVED = "approved"
    RETURNED = "returned"  # details: reason


class Requirement(enum.Enum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"

    @property
    def label(self) -> str:
        return self.value.capitalize()


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
    # Review (docs/spec.md §8): when the order was first submitted ("placed on time" counts it; placed_at is
    # the approval), the royalty question's answer (None: never asked, as for orders placed before it),
    # and whether the review it waits for (or had) is a royalty review.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    royalty_answer: Mapped[bool | None] = mapped_column(Boolean)
    royalty_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

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
    # Loaded when read (the pages and emails that show them), not with every order.
    other_costs: Mapped[list[OtherCost]] = relationship(
        back_populates="order", lazy="select", cascade="all, delete-orphan", order_by="OtherCost.position"
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
    # Set when an edit put the section on the placed order (None: it came with the order, at placed_at);
    # cost-disclosure coverage as of a past moment reads it (orders/domain/costs/coverage.py).
    added_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
    # The royalty question (docs/spec.md §8): written or edited by an instructor of the course, or a royalty
    # earned by someone teaching it; the placer's optional estimate of that royalty per copy.
    instructor_authored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    royalty_per_copy: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

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
    """One user's unsubmitted changes to one placed order (two tabs of that user share it); or, once
    submitted in an organization under review, the change awaiting an approver (docs/spec.md §8)."""

    __tablename__ = "pending_edit"
    __table_args__ = (
        UniqueConstraint("order_id", "user_id", name="uq_pending_edit_order_user"),
        # One change awaits approval per order at a time: approving another would find it stale.
        Index(
            "uq_pending_edit_one_awaiting", "order_id", unique=True,
            sqlite_where=text("submitted_at IS NOT NULL"), postgresql_where=text("submitted_at IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("course_order.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    base_version: Mapped[int] = mapped_column(Integer)  # the order's version the edit started from
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the change was submitted and waits for an approver; it can no longer be changed, only
    # approved (applied), returned (dropped) or discarded by its author.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    royalty_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


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

"""Tables derived from the others and kept in step with them in every transaction (orders/domain/upkeep.py).

`section_reach` is who may see which section (orders/domain/reach_table.py), `section_counts` what
Progress counts per section (orders/domain/section_counts.py). Both can be rebuilt from the rest at
any time (`flask check-reach --repair`, `flask check-counts --repair`); nothing reads them to decide
a change: services ask the rule itself (orders/domain/reach.py, orders/domain/rules.py).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from orders.domain.models.base import UTCDateTime
from orders.extensions import db

if TYPE_CHECKING:
    from orders.extensions import Base as Model
else:
    Model = db.Model

EVERYONE = 0  # viewer_id of the rows every Program Administrator reads: every section
NOBODY = 0  # instructor_id of a section nobody teaches yet


class SectionReach(Model):
    """One Courses row a viewer may see: a section in their reach, as one of its instructors teaches it.

    A viewer is an active user who teaches or coordinates (their own rows), or EVERYONE (the Program
    Administrators' rows: every section). A coordinator sees a covered section once per instructor
    (or once with NOBODY); an instructor sees a section they teach and do not cover as their own row
    only. The sort columns copy what the Courses screen orders by, so its page is an index range scan.
    """

    __tablename__ = "section_reach"
    __table_args__ = (
        # Courses, its page and capped count; the type-ahead's instructors in name order.
        Index("ix_section_reach_courses", "viewer_id", "sort_name", "instructor_id", "starts_on", "subject", "number",
              "label", "section_id", "term_id"),
        # The instructor switch (one instructor's rows), and rebuilding the rows of a renamed instructor.
        Index("ix_section_reach_instructor", "instructor_id", "viewer_id", "term_id"),
        Index("ix_section_reach_section", "section_id"),
    )
    viewer_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # a user's id, or EVERYONE
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), primary_key=True)
    instructor_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # a user's id, or NOBODY
    term_id: Mapped[int] = mapped_column(Integer)
    sort_name: Mapped[str | None] = mapped_column(String(200))  # the instructor's; NULL (sorted last) for NOBODY
    starts_on: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(16))


class SectionCounts(Model):
    """Progress's counters of one section: its students (docs/spec.md §3 "Progress") and its order state.

    enrolled: students enrolled (0 once the SIS removed the section: it bills no one); rated: of them,
    those with billable lines; declined / charged: of those, how many are not charged for at least one
    line / are charged for at least one, under the institution's program mode (orders/domain/students/rates.py).
    placed_at: when the section's placed order was first submitted (NULL: not ordered; docs/spec.md §8: an order an
    approver placed later still met the deadline when it was submitted); in_review: an order for it awaits approval
    or was returned (it counts nowhere yet: neither ordered nor "no materials needed"); answered: "no materials needed".
    """

    __tablename__ = "section_counts"
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), primary_key=True)
    enrolled: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rated: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    declined: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    charged: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

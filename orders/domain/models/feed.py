"""Order feed runs and the change log its deltas read."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orders.domain.models.base import UTCDateTime, _enum
from orders.extensions import db

if TYPE_CHECKING:
    from orders.domain.models.courses import Term
    from orders.extensions import Base as Model
else:
    Model = db.Model


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

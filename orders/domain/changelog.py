"""The order feed's change log: each change to a placed or canceled order leaves a row, in its own transaction.

Deltas claim the rows (export.py); a change that committed after a delta read the database is
still unclaimed, so the next delta carries it even though its timestamp falls in an earlier window.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, insert, literal, select

from orders.domain.models import FeedChange, Order, OrderStatus
from orders.extensions import db

REPORTED = (OrderStatus.PLACED, OrderStatus.CANCELED)  # a draft is never in the feed


def reported_clause() -> ColumnElement[bool]:
    """SQL: the order is in the feed: placed, or canceled after it was placed. An order awaiting approval or
    returned counts nowhere yet, and one withdrawn before anyone approved it never did (docs/spec.md §8)."""
    return and_(Order.status.in_(REPORTED), Order.placed_at.is_not(None))


def record_change(order: Order, status: OrderStatus, now: datetime) -> None:
    """Log a change to `order` (now in `status`) for the next delta. Flushes (one INSERT)."""
    if status in REPORTED and order.placed_at is not None:
        db.session.execute(insert(FeedChange).values(order_id=order.id, term_id=order.term_id, changed_at=now))


def record_changes(order_ids: Select, now: datetime) -> None:
    """Log a change for every placed or canceled order among `order_ids` (a SELECT of Order.id)."""
    changed = select(Order.id, Order.term_id, literal(now, FeedChange.changed_at.type)).where(
        Order.id.in_(order_ids), reported_clause()
    )
    db.session.execute(
        insert(FeedChange)
        .from_select(["order_id", "term_id", "changed_at"], changed)
        .execution_options(synchronize_session=False)
    )

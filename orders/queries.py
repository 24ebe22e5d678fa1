"""Read-side loading for pages: a fixed number of queries whatever the data size."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.exceptions import NotFound

from orders.extensions import db
from orders.models import Order, OrderEvent, OrderSection, Section, User, UserSession


def order_load_options() -> tuple:
    """Everything the summary, the cancel flow and the emails read, loaded up front."""
    # Sections, their instructors and lines are short lists: one joined query beats several round
    # trips. A section's course and term are the order's own, already in the session: no joins for them.
    return (
        joinedload(Order.order_sections)
        .joinedload(OrderSection.section)
        .options(
            lazyload(Section.course),
            lazyload(Section.term),
            joinedload(Section.instructors),
        ),
        joinedload(Order.lines),
        joinedload(Order.content_requests),
    )


def get_order_or_404(number: int) -> Order:
    """The order with this number (drafts have none), or a 404."""
    order = db.session.scalars(
        select(Order).where(Order.number == number).options(*order_load_options())
    ).unique().first()
    if order is None:
        raise NotFound(f"There is no order #{number}.")
    return order


def order_events(order: Order) -> list[OrderEvent]:
    """The order's audit trail, oldest first, with actors."""
    return list(
        db.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    )


def load_user(
    user_id: int, *, session_id: str, idle_since: datetime, started_since: datetime
) -> tuple[User, datetime] | None:
    """The signed-in user with their grants and their session's last_seen_at, in one query.

    None when that session ended (signed out, idle since `idle_since`, started before `started_since`)
    or the user was deactivated: the session check costs no query of its own.
    """
    row = db.session.execute(
        select(User, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            UserSession.id == session_id,
            UserSession.last_seen_at > idle_since,
            UserSession.created_at > started_since,
        )
        .options(joinedload(User.grants))
    ).unique().first()
    return None if row is None else (row[0], row[1])

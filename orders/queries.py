"""Read-side loading for pages: a fixed number of queries whatever the data size."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.exceptions import NotFound

from orders.extensions import db
from orders.models import (
    ContentRequest,
    Course,
    Enrollment,
    Order,
    OrderEvent,
    OrderSection,
    OrderStatus,
    Section,
    TeachingAssignment,
    Term,
    User,
    UserSession,
)
from orders.parsing import MAX_ID


@dataclass(frozen=True)
class Profiles:
    """The signed-in user's Student and Instructor profiles (SPEC 1 "Profiles"), read with the user."""

    is_student: bool
    teaches: bool


def user_profiles(user: User) -> Profiles:
    """The user's profiles: from the sign-in query when it loaded them, else asked once and kept."""
    found = getattr(user, "profiles", None)
    if found is None:
        enrolled = exists(select(Enrollment.id).where(Enrollment.user_id == user.id))
        teaching = exists(select(TeachingAssignment.section_id).where(TeachingAssignment.user_id == user.id))
        row = db.session.execute(select(enrolled, teaching)).one()
        found = user.profiles = Profiles(is_student=bool(row[0]), teaches=bool(row[1]))
    return found


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


@functools.cache
def _order_by_number():
    """The summary's statement, built once per process (the number is a bound parameter)."""
    return select(Order).where(Order.number == bindparam("number")).options(*order_load_options())


def get_order_or_404(number: int) -> Order:
    """The order with this number (drafts have none), or a 404."""
    if not 0 < number <= MAX_ID:  # the URL converter takes any digits; the database column does not
        raise NotFound(f"There is no order #{number}.")
    order = db.session.scalars(_order_by_number(), {"number": number}).unique().first()
    if order is None:
        raise NotFound(f"There is no order #{number}.")
    return order


def all_terms() -> list[Term]:
    """Every term, newest first, with its ordering period (Term selects and filters)."""
    return list(db.session.scalars(_terms_newest_first()).unique())


@functools.cache
def _terms_newest_first():
    return select(Term).order_by(Term.starts_on.desc(), Term.id.desc())


def get_request_or_404(request_id: int) -> ContentRequest:
    """The content request with this id, with its order loaded, or a 404."""
    if not 0 < request_id <= MAX_ID:  # the URL converter takes any size; the database does not
        raise NotFound("There is no such content request. It may be on an order you can no longer see.")
    request = db.session.scalars(
        select(ContentRequest).where(ContentRequest.id == request_id)
        .options(joinedload(ContentRequest.order).options(*order_load_options()))
    ).unique().first()
    if request is None:
        raise NotFound("There is no such content request. It may be on an order you can no longer see.")
    return request


def get_draft_or_404(draft_id: int) -> Order:
    """The order started as draft `draft_id` (in any status now), or a 404."""
    if not 0 < draft_id <= MAX_ID:
        raise NotFound("There is no draft order at this address. It may have been canceled; start again from your courses.")
    draft = db.session.scalars(select(Order).where(Order.id == draft_id).options(*order_load_options())).unique().first()
    if draft is None:
        raise NotFound("There is no draft order at this address. It may have been canceled; start again from your courses.")
    return draft


def get_course_term_or_404(course_id: int, term_id: int) -> tuple[Course, Term]:
    """The course and term named in a Start order link."""
    in_range = 0 < course_id <= MAX_ID and 0 < term_id <= MAX_ID
    course, term = (db.session.get(Course, course_id), db.session.get(Term, term_id)) if in_range else (None, None)
    if course is None or term is None:
        raise NotFound("There is no such course offering. Go back to your courses and choose it again.")
    return course, term


def find_draft(user: User, course_id: int, term_id: int) -> Order | None:
    """The user's open draft for this course and term (the oldest, should two tabs have raced)."""
    return db.session.scalars(
        select(Order)
        .where(
            Order.owner_id == user.id,
            Order.course_id == course_id,
            Order.term_id == term_id,
            Order.status == OrderStatus.DRAFT,
        )
        .order_by(Order.id)
        .limit(1)
    ).first()


def claimed_sections(section_ids: list[int], *, excluding_order_id: int | None = None) -> dict[int, int]:
    """{section id: order number} for those of these sections that are on a placed order."""
    if not section_ids:
        return {}
    query = (
        select(OrderSection.section_id, Order.number)
        .join(Order, Order.id == OrderSection.order_id)
        .where(OrderSection.section_id.in_(section_ids), OrderSection.claimed)
    )
    if excluding_order_id is not None:
        query = query.where(OrderSection.order_id != excluding_order_id)
    return dict(db.session.execute(query).all())


def order_events(order: Order) -> list[OrderEvent]:
    """The order's audit trail, oldest first, with actors."""
    return list(db.session.scalars(_events_of_order(), {"order_id": order.id}))


@functools.cache
def _events_of_order():
    return select(OrderEvent).where(OrderEvent.order_id == bindparam("order_id")).order_by(OrderEvent.id)


@functools.cache
def _session_user():
    """load_user's statement, built once per process: every signed-in request runs it."""
    # The profiles the header and the staff guard ask about ride along as two EXISTS columns: no
    # query of their own on any page.
    enrolled = exists(select(Enrollment.id).where(Enrollment.user_id == User.id)).label("is_student")
    teaching = exists(select(TeachingAssignment.section_id).where(TeachingAssignment.user_id == User.id)).label("teaches")
    return (
        select(User, UserSession.last_seen_at, enrolled, teaching)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            User.active.is_(True),
            UserSession.id == bindparam("session_id"),
            UserSession.last_seen_at > bindparam("idle_since"),
            UserSession.created_at > bindparam("started_since"),
        )
        .options(joinedload(User.grants))
    )


def load_user(
    user_id: int, *, session_id: str, idle_since: datetime, started_since: datetime
) -> tuple[User, datetime] | None:
    """The signed-in user with their grants and their session's last_seen_at, in one query.

    None when that session ended (signed out, idle since `idle_since`, started before `started_since`)
    or the user was deactivated: the session check costs no query of its own.
    """
    row = db.session.execute(
        _session_user(),
        {"user_id": user_id, "session_id": session_id, "idle_since": idle_since, "started_since": started_since},
    ).unique().first()
    if row is None:
        return None
    row[0].profiles = Profiles(is_student=bool(row[2]), teaches=bool(row[3]))
    return row[0], row[1]

"""Loading what a URL names (404 when it does not exist) and the signed-in user with their session."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, exists, select, true
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import NotFound

from orders.domain.institution import remember_institution
from orders.domain.lookups import Profiles, order_load_options
from orders.domain.models import (
    ContentRequest,
    Course,
    Enrollment,
    Institution,
    Order,
    TeachingAssignment,
    Term,
    User,
    UserSession,
)
from orders.extensions import db


@functools.cache
def _order_by_number():
    """The summary's statement, built once per process (the number is a bound parameter)."""
    return select(Order).where(Order.number == bindparam("number")).options(*order_load_options())


def get_order_or_404(number: int) -> Order:
    """The order with this number (drafts have none), or a 404."""
    order = db.session.scalars(_order_by_number(), {"number": number}).unique().first()
    if order is None:
        raise NotFound(f"There is no order #{number}.")
    return order


def get_request_or_404(request_id: int) -> ContentRequest:
    """The content request with this id, with its order loaded, or a 404."""
    request = (
        db.session.scalars(
            select(ContentRequest)
            .where(ContentRequest.id == request_id)
            .options(joinedload(ContentRequest.order).options(*order_load_options()))
        )
        .unique()
        .first()
    )
    if request is None:
        raise NotFound("There is no such content request. It may be on an order you can no longer see.")
    return request


def get_draft_or_404(draft_id: int) -> Order:
    """The order started as draft `draft_id` (in any status now), or a 404."""
    draft = (
        db.session.scalars(select(Order).where(Order.id == draft_id).options(*order_load_options())).unique().first()
    )
    if draft is None:
        raise NotFound(
            "There is no draft order at this address. It may have been canceled; start again from your courses."
        )
    return draft


def get_course_term_or_404(course_id: int, term_id: int) -> tuple[Course, Term]:
    """The course and term named in a Start order link."""
    # URL ids are already bounded to int4 by the app's int converter (orders.web.parsing.BoundedIntConverter).
    course, term = db.session.get(Course, course_id), db.session.get(Term, term_id)
    if course is None or term is None:
        raise NotFound("There is no such course offering. Go back to your courses and choose it again.")
    return course, term


@functools.cache
def _session_user():
    """load_user's statement, built once per process: every signed-in request runs it."""
    # The profiles the header and the staff guard ask about ride along as two EXISTS columns, and the
    # institution's one row (its settings and timezone: nearly every page reads them) as a join: no
    # query of their own on any page.
    enrolled = exists(select(Enrollment.id).where(Enrollment.user_id == User.id)).label("is_student")
    teaching = exists(select(TeachingAssignment.section_id).where(TeachingAssignment.user_id == User.id)).label(
        "teaches"
    )
    return (
        select(User, UserSession.last_seen_at, enrolled, teaching, Institution)
        .join(UserSession, UserSession.user_id == User.id)
        .outerjoin(Institution, true())
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
    """The signed-in user with their grants and their session's last_seen_at, in one query (which also reads
    the institution for the rest of the request: orders.domain.institution.institution()).

    None when that session ended (signed out, idle since `idle_since`, started before `started_since`)
    or the user was deactivated: the session check costs no query of its own.
    """
    row = (
        db.session.execute(
            _session_user(),
            {"user_id": user_id, "session_id": session_id, "idle_since": idle_since, "started_since": started_since},
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    row[0].profiles = Profiles(is_student=bool(row[2]), teaches=bool(row[3]))
    if row[4] is not None:
        remember_institution(row[4])
    return row[0], row[1]


def get_launch_or_404(launch_id: str):
    """The signed-in user's own unexpired LMS launch with this id, or a 404 (another's reads as missing)."""
    from flask_login import current_user

    from orders import clock
    from orders.domain.lti.launches import find_launch

    launch = find_launch(str(launch_id), current_user, clock.now())
    if launch is None:
        raise NotFound("This LMS launch has expired or is not yours. Open the tool again from your course in the LMS.")
    return launch

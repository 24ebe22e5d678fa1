"""The coordinator's way back to the Courses view they came from (the `back` parameter)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from flask import url_for
from flask_login import current_user
from sqlalchemy import exists, select

from orders.domain.models import User
from orders.domain.reach import teaches_in_reach
from orders.extensions import db
from orders.web.course_filters import CoursesFilter
from orders.web.parsing import parse_id


def courses_url_from_back(back: str) -> str:
    """The Courses screen URL a coordinator came from, rebuilt from its parsed filters (never echoed raw)."""
    args = {key: values[0] for key, values in parse_qs(back or "").items() if values}
    return url_for("courses.index", **CoursesFilter.from_args(args).query_args())


def back_instructor_for(back: str) -> User | None:
    """The instructor a coordinator was working for, named in the back link.

    Only someone the signed-in user may order for: any instructor for a Program Administrator, one
    teaching a section under a coordinator's grants, oneself; anyone else's name stays unknown.
    """
    instructor_id = parse_id(CoursesFilter.from_args({k: v[0] for k, v in parse_qs(back or "").items()}).instructor)
    if instructor_id is None or not current_user.is_authenticated:
        return None
    if instructor_id == current_user.id:
        return current_user
    if not (current_user.is_program_admin or current_user.is_coordinator):
        return None
    query = select(User).where(User.id == instructor_id)
    if not current_user.is_program_admin:
        query = query.where(exists(teaches_in_reach(current_user)))
    return db.session.scalars(query).first()


@dataclass(frozen=True)
class BackLink:
    """"Back to <instructor>'s courses": the rebuilt Courses URL and whose courses they were."""

    url: str
    instructor_name: str | None


def back_link(back: str) -> BackLink:
    """The back link a page shows, computed by its view (templates run no queries)."""
    instructor = back_instructor_for(back)
    return BackLink(courses_url_from_back(back), instructor.name if instructor is not None else None)

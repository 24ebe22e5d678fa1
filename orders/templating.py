"""Helpers templates call: money, static URLs, the coordinator's way back."""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs

from flask import url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import exists, select

from orders.courses.queries import CoursesFilter
from orders.extensions import db
from orders.models import Course, Section, TeachingAssignment, User
from orders.parsing import parse_id
from orders.permissions import covered_by_grants_clause

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mailto_links(text: str) -> Markup:
    """Escape the text, then turn each email address in it into a mailto link."""
    escaped = str(escape(text))
    return Markup(_EMAIL.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped))


def money(amount: Decimal) -> str:
    """US dollars with cents, from a Decimal (never a float)."""
    return f"${amount.quantize(Decimal('0.01')):,}"


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
        query = query.where(
            exists(
                select(TeachingAssignment.section_id)
                .join(Section, Section.id == TeachingAssignment.section_id)
                .join(Course, Course.id == Section.course_id)
                .where(TeachingAssignment.user_id == User.id, covered_by_grants_clause(current_user.grants))
            )
        )
    return db.session.scalars(query).first()

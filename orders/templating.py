"""Helpers templates call: money, static URLs, the coordinator's way back."""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs

from flask import url_for
from markupsafe import Markup, escape

from orders.courses.queries import CoursesFilter
from orders.extensions import db
from orders.models import User


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
    """The instructor a coordinator was working for, named in the back link."""
    instructor = CoursesFilter.from_args({k: v[0] for k, v in parse_qs(back or "").items()}).instructor
    return db.session.get(User, int(instructor)) if instructor.isdigit() else None

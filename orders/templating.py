"""Helpers templates call: money, static URLs, the coordinator's way back."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import url_for

from orders.courses import CoursesFilter
from orders.extensions import db
from orders.mail import institution
from orders.models import User


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


def local_date(moment: datetime) -> str:
    """A UTC moment as a date in the institution's timezone, e.g. "Dec 26, 2026"."""
    local = moment.astimezone(ZoneInfo(institution().timezone))
    return f"{local:%b} {local.day}, {local.year}"

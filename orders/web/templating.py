"""What templates may call, registered in one place: the predicates the routes enforce and display helpers.

None of them runs a query of its own: what a page needs from the database its view computes.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from orders.domain.institution import institution
from orders.domain.reminders.schedule import days_left, days_left_text
from orders.web.localtime import describe

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mailto_links(text: str) -> Markup:
    """Escape the text, then turn each email address in it into a mailto link."""
    escaped = str(escape(text))
    return Markup(_EMAIL.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped))


def course_row_key(course_id: int, term_id: int, instructor) -> str:
    """A DOM id fragment for one Courses row (htmx keeps focus on the element with the same id after a swap)."""
    return f"{instructor or 'all'}-{term_id}-{course_id}"


def deadline_days_left(period, now: datetime) -> str | None:
    """For the Courses screen: "3 days left" during the last 7 days before the soft close, else None."""
    left = days_left(period, now, institution().timezone)
    return None if left is None else days_left_text(left)


def admin_time(moment: datetime | None, tz_name: str) -> str:
    """A moment in the back office's words, in the institution's timezone; a dash for none."""
    return describe(moment, tz_name) if moment is not None else "—"


def register(app: Flask) -> None:
    """Template globals and filters."""
    from orders.domain.formats.money import money, price_words
    from orders.domain.institution import local_date
    from orders.domain.lines import counted_requests, total_per_student
    from orders.domain.review.approvers import is_approver
    from orders.domain.rules import can_administer, can_view_progress, is_staff, is_student
    from orders.web import compression, framing
    from orders.web.branding import brand
    from orders.web.forms import EmptyForm
    from orders.web.markup import dedent_html

    app.jinja_env.globals.update(
        can_administer=can_administer,
        is_staff=is_staff,
        is_student=is_student,
        can_view_progress=can_view_progress,  # the header's Progress link asks the guard's predicate
        is_approver=is_approver,  # the header's Approvals link asks the guard's predicate (docs/spec.md §8)
        course_row_key=course_row_key,
        deadline_days_left=deadline_days_left,
        admin_time=admin_time,
        EmptyForm=EmptyForm,
        money=money,
        counted_requests=counted_requests,  # an order's approved requests that count as lines (domain/lines.py)
        total_per_student=total_per_student,  # what a student pays for an order: each counted line once
        price_words=price_words,  # a material's price: "Free" or money()
        static_url=compression.static_url,
        lms_course=framing.lms_course,
        brand=brand,  # the institution's name, logo and accent stylesheet, for the layout
    )
    app.jinja_env.filters["localdate"] = local_date
    app.jinja_env.filters["mailto_links"] = mailto_links
    app.jinja_env.filters["dedent_html"] = dedent_html
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

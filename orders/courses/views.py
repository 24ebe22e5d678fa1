"""The Courses screen, home after sign-in."""
from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user

from orders import clock
from orders.courses.queries import (
    ORDER_STATE_LABELS,
    UNASSIGNED,
    CoursesFilter,
    applicable,
    courses_page,
    instructors_for_select,
)
from orders.htmx import is_htmx, render_page_or_fragment, with_pushed_url
from orders.permissions import signed_in
from orders.queries import all_terms

bp = Blueprint("courses", __name__)


@bp.route("/")
@signed_in
def index():
    """List the sections the user may see, filtered by the query string.

    The Instructor options belong to the chosen term, so an htmx swap of the list also carries the
    select (out of band): after a Term change its options, and the applied instructor, stay true.
    """
    filters = CoursesFilter.from_args(request.args)
    now = clock.now()
    terms = all_terms()
    instructors = instructors_for_select(current_user, filters, terms, now)
    filters = applicable(current_user, filters, instructors)
    page = courses_page(current_user, filters, terms, now, current_app.config["COURSES_PAGE_SIZE"])
    fragment = is_htmx()
    body = render_page_or_fragment(
        "courses/index.html",
        "courses/_results.html",
        filters=filters,
        page=page,
        now=now,
        terms=terms,
        instructors=instructors,
        order_states=ORDER_STATE_LABELS,
        unassigned=UNASSIGNED,
        query_string=request.query_string.decode(),
        term_name=next((t.name for t in terms if t.code == filters.term), None),
        oob=fragment,
    )
    if fragment:  # history gets the tidy URL (no empty fields), the one a direct visit would use
        return with_pushed_url(body, url_for("courses.index", **filters.query_args()))
    return body

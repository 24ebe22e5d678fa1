"""The Courses screen, home after sign-in."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from orders import clock
from orders.courses.queries import (
    MATCH_LIMIT, ORDER_STATE_LABELS, UNASSIGNED, CoursesFilter, all_terms, courses_page, matching_instructors,
)
from orders.htmx import is_htmx, render_page_or_fragment, with_pushed_url
from orders.permissions import signed_in

bp = Blueprint("courses", __name__)


@bp.route("/")
@signed_in
def index():
    """List the sections the user may see, filtered by the query string."""
    filters = CoursesFilter.from_args(request.args)
    now = clock.now()
    terms = all_terms()
    page = courses_page(current_user, filters, terms, now, current_app.config["COURSES_PAGE_SIZE"])
    fragment = is_htmx()  # the swapped-in list has no instructor field: skip its work
    instructor_name = _instructor_name()
    body = render_page_or_fragment(
        "courses/index.html",
        "courses/_results.html",
        filters=filters,
        page=page,
        now=now,
        terms=terms,
        can_filter_instructor=current_user.is_program_admin or current_user.is_coordinator,
        chosen_instructor=_chosen_name(filters, page),
        instructor_name=instructor_name,
        matches=None if fragment or not instructor_name else matching_instructors(current_user, instructor_name, filters, terms, now),
        match_limit=MATCH_LIMIT,
        order_states=ORDER_STATE_LABELS,
        unassigned=UNASSIGNED,
        query_string=request.query_string.decode(),
    )
    if fragment:  # history gets the tidy URL (no empty fields), the one a direct visit would use
        return with_pushed_url(body, url_for("courses.index", **filters.query_args()))
    return body


@bp.route("/instructors")
@signed_in
def instructor_matches():
    """The type-ahead's list: instructors whose name contains `instructor_name`, as links to their
    Courses view (the other filters kept). Without JavaScript the Courses page shows the same list."""
    filters = CoursesFilter.from_args(request.args)
    name = _instructor_name()
    terms = all_terms() if name else []
    return render_template(
        "courses/_instructor_matches.html",
        filters=filters,
        instructor_name=name,
        matches=matching_instructors(current_user, name, filters, terms, clock.now()) if name else None,
        match_limit=MATCH_LIMIT,
    )


def _instructor_name() -> str:
    return request.args.get("instructor_name", "").strip()[:100]


def _chosen_name(filters: CoursesFilter, page) -> str:
    """The chosen instructor's name, from the page's own rows (no query; an id outside the user's
    reach shows no name)."""
    if not filters.instructor or filters.instructor == UNASSIGNED:
        return ""
    for group in page.groups:
        if group.instructor is not None and str(group.instructor.id) == filters.instructor:
            return group.instructor.name
    return ""

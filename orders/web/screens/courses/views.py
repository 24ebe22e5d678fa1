"""The Courses screen, home after sign-in."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from orders import clock
from orders.domain.lookups import all_terms
from orders.domain.periods import PERIOD_STATE_WORDS
from orders.domain.reach import UNASSIGNED
from orders.web.course_filters import DISCLOSED_WHEN, ORDER_STATE_LABELS, PLACED_WHEN, CoursesFilter
from orders.web.guards import actor, staff_home, staff_only
from orders.web.htmx import is_htmx, render_page_or_fragment, with_pushed_url
from orders.web.screens.courses import bp
from orders.web.screens.courses.links import RowLinks
from orders.web.screens.courses.queries import (
    MATCH_LIMIT,
    applicable,
    courses_page,
    filter_names,
    instructor_filter,
    matching_instructors,
)


@bp.route("/")
@staff_home
def index():
    """List the sections the user may see, filtered by the query string.

    The Instructor filter's status (who is listed, "Unassigned sections" when the chosen terms have
    some) belongs to the chosen term, so an htmx swap of the list also carries it out of band.
    """
    filters = CoursesFilter.from_args(request.args)
    now = clock.now()
    terms = all_terms()
    instructor = instructor_filter(actor(), filters, terms, now)
    filters = applicable(actor(), filters, instructor)
    page = courses_page(actor(), filters, terms, now, current_app.config["COURSES_PAGE_SIZE"])
    fragment = is_htmx()
    instructor_name = _instructor_name()
    body = render_page_or_fragment(
        "courses/index.html",
        "courses/_results.html",
        filters=filters,
        page=page,
        now=now,
        terms=terms,
        instructor=instructor,
        instructor_name=instructor_name,
        # The swapped-in list carries no match list: only a full page (no JavaScript, Show) lists them.
        matches=None
        if fragment or not instructor_name
        else matching_instructors(actor(), instructor_name, filters, terms, now),
        match_limit=MATCH_LIMIT,
        order_states=ORDER_STATE_LABELS,
        period_words=PERIOD_STATE_WORDS,
        unassigned=UNASSIGNED,
        query_string=request.query_string.decode(),
        links=RowLinks(request.query_string.decode()),
        term_name=next((t.name for t in terms if t.code == filters.term), None),
        filter_names=filter_names(filters, instructor),
        placed_when=PLACED_WHEN,
        disclosed_when=DISCLOSED_WHEN,
        oob=fragment,
    )
    if fragment:  # history gets the tidy URL (no empty fields), the one a direct visit would use
        # Any: url_for's typed keywords (_external: bool, ...) never match a filter's argument names.
        args: dict[str, Any] = filters.query_args()
        return with_pushed_url(body, url_for("courses.index", **args))
    return body


@bp.route("/instructors")
@staff_only
def instructor_matches():
    """The type-ahead's list: instructors whose name contains `instructor_name`, as links to their
    Courses view (the other filters kept). Without JavaScript the Courses page shows the same list,
    so a direct visit (reload, bookmark) goes there rather than to a bare fragment."""
    filters = CoursesFilter.from_args(request.args)
    name = _instructor_name()
    if not is_htmx():
        # Only the parsed filters go back into the address: never the raw query (its values could be long).
        return redirect(url_for("courses.index", **filters.query_args(instructor_name=name)))
    terms = all_terms() if name else []
    return render_template(
        "courses/_instructor_matches.html",
        filters=filters,
        instructor_name=name,
        matches=matching_instructors(actor(), name, filters, terms, clock.now()) if name else None,
        match_limit=MATCH_LIMIT,
    )


def _instructor_name() -> str:
    """The typed instructor name, trimmed and bounded."""
    return request.args.get("instructor_name", "").strip()[:100]

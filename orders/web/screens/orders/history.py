"""Order history (/orders), its CSV, and Reorder."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from wtforms import HiddenField

from orders import clock
from orders.domain.formats.money import money
from orders.domain.institution import institution
from orders.domain.lookups import all_terms, find_draft
from orders.domain.ordering.reorder import (
    DraftExists,
    ReorderRefused,
    ReorderResult,
    copy_order,
    reorder_candidates,
    reorder_choices,
    require_reorder,
)
from orders.domain.refusals import Conflict
from orders.web.changes import run_change
from orders.web.forms import Form
from orders.web.guards import actor, staff_only
from orders.web.htmx import is_htmx, render_page_or_fragment
from orders.web.links import pattern
from orders.web.loaders import get_course_term_or_404
from orders.web.parsing import parse_id
from orders.web.screens.orders import bp
from orders.web.screens.orders.history_export import csv_chunks
from orders.web.screens.orders.history_queries import (
    STATUS_LABELS,
    HistoryFilter,
    history_page,
    history_rows_for_export,
)


class HistoryLinks:
    """The links of the history rows, made from one url_for each (orders/web/links.py)."""

    def __init__(self):
        self.summary = pattern("orders.summary", "number")
        self.draft = pattern("ordering.sections", "draft_id")
        self.reorder = pattern("orders.reorder", "course_id", "term_id")


class ReorderForm(Form):
    """Copy one earlier order: CSRF, the order's number, and the instructor the user came from."""

    source = HiddenField()
    instructor = HiddenField()


def _offering(course_id: int, term_id: int):
    """The course and term named in a Reorder URL, or a 404."""
    return get_course_term_or_404(course_id, term_id)


# --- Order history ---------------------------------------------------------------------------------


@bp.route("/orders")
@staff_only
def history():
    """Every order the user may view, filtered by the query string, newest first."""
    filters = HistoryFilter.from_args(request.args)
    fragment = is_htmx()  # the swapped-in table has no filter form: skip the terms query
    page = history_page(actor(), filters, clock.now(), current_app.config.get("HISTORY_PAGE_SIZE", 50))
    body = render_page_or_fragment(
        "orders/history.html",
        "orders/_history_results.html",
        filters=filters,
        page=page,
        terms=[] if fragment else all_terms(),
        statuses=STATUS_LABELS,
        links=HistoryLinks(),
    )
    if fragment:  # history gets the tidy URL (no empty fields), the one a direct visit would use
        return body, {"HX-Push-Url": url_for("orders.history", **filters.query_args())}
    return body


@bp.route("/orders.csv")
@staff_only
def history_csv():
    """The same orders as the history for the same filters, every page, streamed as CSV."""
    filters = HistoryFilter.from_args(request.args)
    zone = ZoneInfo(institution().timezone)
    rows = history_rows_for_export(actor(), filters)
    response = Response(stream_with_context(csv_chunks(rows, zone)), mimetype="text/csv")
    stamp = clock.now().astimezone(zone).date().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="order-history-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Reorder ---------------------------------------------------------------------------------------


@bp.route("/orders/reorder/<int:course_id>/<int:term_id>")
@staff_only
def reorder(course_id: int, term_id: int):
    """The earlier orders of this course that can be copied into a new draft, each with its own POST."""
    course, term = _offering(course_id, term_id)
    instructor = parse_id(request.args.get("instructor"))
    now = clock.now()
    choices = reorder_choices(actor(), course, term, now, instructor_id=instructor)
    existing = find_draft(actor(), course.id, term.id)
    if existing is None:
        require_reorder(actor(), course, term, choices, now)  # a 409 when ordered already, else a 403
    candidates = [] if existing else reorder_candidates(actor(), course, term, choices)
    return render_template(
        "orders/reorder.html",
        course=course,
        term=term,
        choices=choices,
        existing=existing,
        candidates=candidates,
        instructor=instructor,
        form=ReorderForm(),
    )


@bp.route("/orders/reorder/<int:course_id>/<int:term_id>", methods=["POST"])
@staff_only
def create_reorder(course_id: int, term_id: int):
    """Copy the chosen earlier order into a new draft, then on to its materials step."""
    course, term = _offering(course_id, term_id)
    form = ReorderForm()
    instructor = parse_id(form.instructor.data)
    back = url_for("orders.reorder", course_id=course.id, term_id=term.id, instructor=instructor)
    if not form.validate_on_submit():
        flash("Your choice could not be checked. Please choose the order to copy again.", "error")
        return redirect(back, code=303)
    source = parse_id(form.source.data)

    def copy() -> ReorderResult:
        if source is None:
            raise ReorderRefused("Choose one of the earlier orders listed.")
        return copy_order(
            actor(), course, term, source, now=clock.now(), request_id=g.request_id, instructor_id=instructor
        )

    # ordered already or not orderable: the handler's 409/403 page; a draft exists or no such order: back to the list
    outcome = run_change(copy, conflict="")  # the conflict: another tab started a draft here a moment ago
    if not outcome.ok:
        existing = find_draft(actor(), course.id, term.id) if isinstance(outcome.refusal, Conflict) else None
        flash(
            DraftExists(existing, course, term).message
            if existing
            else outcome.message or "Your draft could not be started. Please try again.",
            "error",
        )
        return redirect(back, code=303)
    result = outcome.result()  # ok: the refusals went back above
    _flash_result(result)
    return redirect(url_for("ordering.materials", draft_id=result.draft.id), code=303)


def _flash_result(result: ReorderResult) -> None:
    """The banners on the materials step: what was copied, price changes, items now requested."""
    count = len(result.copied)
    flash(
        f"Copied {count} item{'s' if count != 1 else ''} from order #{result.source.number} "
        f"({result.source.term.name}) "
        f"into a new draft for {result.draft.course.code}, {result.draft.term.name}. Check the sections and materials, "
        "then review and place the order.",
        "status",
    )
    if result.price_changes:
        changes = "; ".join(f"{c.item.title}: was {money(c.was)}, now {money(c.now)}" for c in result.price_changes)
        flash(f"Prices changed since order #{result.source.number}: {changes}.", "notice")
    if result.requested:
        titles = "; ".join(f"{item.title} (ISBN {item.isbn_display})" for item in result.requested)
        flash(f"No longer available in the catalog, so added as a content request instead: {titles}.", "notice")

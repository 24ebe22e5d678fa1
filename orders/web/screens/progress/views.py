"""The Progress screen: live counts of a term by organization, subject and campus; CSV; "Remind now"."""

from __future__ import annotations

from typing import Iterator
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from wtforms import HiddenField

from orders import clock
from orders.domain.costs.coverage import coverage
from orders.domain.formats.csvstream import csv_chunks
from orders.domain.institution import institution
from orders.domain.lookups import all_terms
from orders.domain.models import ProgramMode, Term
from orders.domain.refusals import PermissionDenied
from orders.domain.reminders.remind_now import DIMENSIONS, Row, local_day, preview, remind_now
from orders.domain.rules import remind_now_decision
from orders.web.changes import run_change
from orders.web.forms import Form
from orders.web.guards import actor, progress_only
from orders.web.htmx import is_htmx, render_page_or_fragment, with_pushed_url
from orders.web.paging import Page, offset_of, page_count
from orders.web.parsing import parse_page
from orders.web.screens.progress import bp
from orders.web.screens.progress.links import courses_href_for
from orders.web.screens.progress.queries import Counts, dashboard, default_term, row_label


class RemindForm(Form):
    """Which row "Remind now" is about; CSRF included."""

    term = HiddenField()
    dimension = HiddenField()
    key = HiddenField()


def _chosen_term(terms: list[Term]) -> Term:
    """The term named by ?term= (404 if unknown), else the open term."""
    code = request.values.get("term", "").strip()[:16]
    if code:
        term = next((t for t in terms if t.code == code), None)
        if term is None:
            abort(404, "There is no such term. Choose one from the Term list.")
        return term
    term = default_term(terms, clock.now())
    if term is None:
        abort(404, "There are no terms yet: the first SIS import creates them.")
    return term


def _time_of_day(moment) -> str:
    """3:40 PM in the institution's timezone."""
    local = moment.astimezone(ZoneInfo(institution().timezone))
    return f"{local:%I:%M %p}".lstrip("0")


@bp.route("/")
@progress_only
def index():
    """The dashboard's headline for the chosen term, and where its tables load (htmx swaps the body when
    the Term select changes; each table comes as a fragment, or as a page of its own without JavaScript)."""
    terms = all_terms()
    term = _chosen_term(terms)
    inst = institution()
    now = clock.now()
    board = dashboard(actor(), term, inst, now)
    body = render_page_or_fragment(
        "progress/index.html",
        "progress/_board.html",
        board=board,
        terms=terms,
        dimensions=DIMENSIONS,
        opt_out=inst.program_mode is ProgramMode.OPT_OUT,
        courses_href=courses_href_for(term.code),
        coverage=coverage(actor(), term, inst, now),
    )
    if is_htmx():
        return with_pushed_url(body, url_for("progress.index", term=term.code))
    return body


@bp.route("/<dimension>")
@progress_only
def table(dimension: str):
    """One table of the dashboard (by organization, subject or campus): a fragment for htmx, else a page."""
    if dimension not in DIMENSIONS:
        abort(404, "There is no such table.")
    terms = all_terms()
    term = _chosen_term(terms)
    inst = institution()
    now = clock.now()
    board = dashboard(actor(), term, inst, now, tables=(dimension,))
    rows = board.tables[dimension]
    size = current_app.config["PROGRESS_TABLE_PAGE_SIZE"]
    number = min(parse_page(request.args.get("page")), page_count(len(rows), size))
    page = Page(rows[offset_of(number, size) : offset_of(number, size) + size], number, len(rows), size)
    return render_page_or_fragment(
        "progress/table.html",
        "progress/_table.html",
        board=board,
        dimension=dimension,
        heading=DIMENSIONS[dimension],
        page=page,
        opt_out=inst.program_mode is ProgramMode.OPT_OUT,
        time_of_day=_time_of_day,
        may_remind=remind_now_decision(actor(), term, now).allowed,
        courses_href=courses_href_for(term.code),
    )


def _csv_chunks(rows: list[Counts], heading: str, mode: ProgramMode) -> Iterator[str]:
    """The table as CSV (the app's one dialect), a header row first, every cell spreadsheet-safe."""
    rate = "Opt-out rate %" if mode is ProgramMode.OPT_OUT else "Opt-in rate %"
    header = [
        heading,
        "Active sections",
        "Ordered",
        "No materials needed",
        "Not started",
        "Percent done",
        "Placed on time",
        "Placed late",
        "Enrolled students",
        rate,
        "At-risk sections",
        "Awaiting approval",
    ]
    return csv_chunks(
        header,
        (
            [
                row.label,
                row.total,
                row.ordered,
                row.no_materials,
                row.not_started,
                row.percent_done,
                row.on_time,
                row.late,
                row.enrolled,
                "" if row.rate(mode) is None else row.rate(mode),
                row.at_risk,
                row.awaiting,
            ]
            for row in rows
        ),
        for_spreadsheet=True,
    )


@bp.route("/<dimension>.csv")
@progress_only
def download_csv(dimension: str):
    """One table of the dashboard (the same rows, the same order) as CSV."""
    if dimension not in DIMENSIONS:
        abort(404, "There is no such table.")
    terms = all_terms()
    term = _chosen_term(terms)
    inst = institution()
    board = dashboard(actor(), term, inst, clock.now(), tables=(dimension,))
    # The rows are few (one per organization, subject or campus); the response is still written row by row.
    response = Response(
        _csv_chunks(board.tables[dimension], DIMENSIONS[dimension], inst.program_mode), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="progress-{term.code}-{dimension}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _load_row(values, terms: list[Term]) -> tuple[Term, Row]:
    """The term and table row a remind request names (404 when unknown or malformed)."""
    term = _chosen_term(terms)
    dimension = (values.get("dimension") or "").strip()
    key = (values.get("key") or "").strip()[:16]
    if dimension not in DIMENSIONS or not key:
        abort(404, "There is no such row. Go back to Progress and try again.")
    label = row_label(dimension, key)
    if label is None:
        abort(404, "There is no such row. Go back to Progress and try again.")
    return term, Row(dimension, key, label)


def _refuse_unless_may_remind(term: Term, now) -> None:
    decision = remind_now_decision(actor(), term, now)
    if not decision:
        raise PermissionDenied(decision.reason)


@bp.route("/remind")
@progress_only
def confirm_remind():
    """The confirmation: how many instructors will get an email (its own page without JavaScript)."""
    terms = all_terms()
    term, row = _load_row(request.args, terms)
    now = clock.now()
    _refuse_unless_may_remind(term, now)
    waiting, reminded = preview(actor(), term, row, local_day(now, institution().timezone))
    inline = is_htmx()
    return render_template(
        "progress/_remind_prompt.html" if inline else "progress/confirm_remind.html",
        term=term,
        row=row,
        waiting=waiting,
        reminded=reminded,
        inline=inline,
        form=RemindForm(term=term.code, dimension=row.dimension, key=row.key),
    )


@bp.route("/remind", methods=["POST"])
@progress_only
def send_reminders():
    """Send the reminders of one row (once per instructor per day), audit, then back to the dashboard."""
    form = RemindForm()
    terms = all_terms()
    if not form.validate_on_submit():
        flash("Your confirmation could not be checked. Please try again.", "error")
        return redirect(url_for("progress.index"), code=303)
    term, row = _load_row(request.form, terms)
    now = clock.now()
    _refuse_unless_may_remind(term, now)
    result = run_change(lambda: remind_now(actor(), term, row, timezone=institution().timezone, now=now)).result()
    if result.sent:
        people = "instructor" if result.sent == 1 else "instructors"
        message = f"Reminded {result.sent} {people} at {_time_of_day(now)} ({row.describe()})."
    else:
        message = (
            f"Nothing sent: every instructor of {row.describe()} with courses still not started was already "
            "reminded today (or there are none)."
        )
    if is_htmx():
        return render_template("progress/_remind_done.html", row=row, message=message, sent=result.sent)
    flash(message, "status" if result.sent else "notice")
    rows = dashboard(actor(), term, institution(), now, tables=(row.dimension,)).tables[row.dimension]
    index = next((n for n, counts in enumerate(rows) if counts.key == row.key), 0)
    number = index // current_app.config["PROGRESS_TABLE_PAGE_SIZE"] + 1  # the table's page that shows the row
    return redirect(
        url_for("progress.table", dimension=row.dimension, term=term.code, page=number if number > 1 else None)
        + f"#row-{row.dimension}-{row.key}",
        code=303,
    )

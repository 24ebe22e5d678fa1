"""Routes for "No materials needed" on a Courses row: confirm (prompt), answer, undo.

Every action is a plain form that ends in a 303 back to the Courses screen (with the filters the
user came from); htmx follows that redirect and swaps the list in place.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request
from wtforms import HiddenField

from orders import clock
from orders.domain.models import Course, Term
from orders.domain.ordering.no_materials import (
    Row,
    RowSections,
    answer_no_materials,
    refusal_decision,
    row_sections,
    undo_no_materials,
)
from orders.domain.reach import UNASSIGNED
from orders.extensions import db
from orders.web.back_link import courses_url_from_back
from orders.web.changes import run_change
from orders.web.forms import Form
from orders.web.guards import actor, require, staff_only
from orders.web.htmx import is_htmx
from orders.web.parsing import parse_id
from orders.web.screens.no_materials import bp
from orders.web.templating import course_row_key


class RowForm(Form):
    """Which Courses row the POST is about; CSRF included."""

    course_id = HiddenField()
    term_id = HiddenField()
    instructor = HiddenField()


def _load_row(values) -> Row:
    """The course and term named by the request (404 when unknown or malformed)."""
    course_id, term_id = (parse_id(values.get(name)) for name in ("course_id", "term_id"))
    if course_id is None or term_id is None:
        abort(404, "That course or term does not exist. Go back to your courses and try again.")
    course, term = db.session.get(Course, course_id), db.session.get(Term, term_id)
    if course is None or term is None:
        abort(404, "That course or term does not exist. Go back to your courses and try again.")
    instructor = (values.get("instructor") or "").strip()
    if instructor != UNASSIGNED:
        instructor_id = parse_id(instructor)
        instructor = "" if instructor_id is None else str(instructor_id)
    return Row(course, term, instructor)


def _back() -> str:
    return request.args.get("back", "")[:500]


def _to_courses(message: str | None = None, category: str = "status"):
    """303 to the Courses screen the user came from; the banner only for a full page (htmx swaps the list)."""
    if message and not is_htmx():
        flash(message, category)
    return redirect(courses_url_from_back(_back()), code=303)


def _sections_text(sections) -> str:
    labels = [s.label for s in sections]
    return f"section{'s' if len(labels) > 1 else ''} {', '.join(labels)}"


def _already_answered(row: Row, sections: RowSections) -> str:
    answer = next(iter(sections.answers.values()), None)
    who = f" by {answer.answered_by.name}" if answer else ""
    return f"{row.course.code} in {row.term.name} was already answered “No materials needed”{who}."


@bp.route("/confirm")
@staff_only
def confirm():
    """Ask for confirmation: an inline prompt for htmx, its own page without JavaScript."""
    row = _load_row(request.args)
    sections = row_sections(actor(), row, clock.now())
    if not sections.answerable:
        if sections.answered:
            return _to_courses(_already_answered(row, sections), "notice")
        require(refusal_decision(actor(), row, sections, clock.now()))
    inline = is_htmx()
    return render_template(
        "no_materials/_prompt.html" if inline else "no_materials/confirm.html",
        row=row,
        sections=sections.answerable,
        form=RowForm(course_id=row.course.id, term_id=row.term.id, instructor=row.instructor),
        back=_back(),
        courses_url=courses_url_from_back(_back()),
        inline=inline,
        key=course_row_key(row.course.id, row.term.id, row.instructor),
    )


@bp.route("/opener")
@staff_only
def opener():
    """htmx "Not now": the row's "No materials needed" button again, focused. Without JavaScript: the list."""
    row = _load_row(request.args)
    if not is_htmx():
        return _to_courses()
    return render_template(
        "no_materials/_opener.html",
        course=row.course,
        term=row.term,
        instructor=row.instructor,
        back=_back(),
        courses_url=courses_url_from_back(_back()),
        focus=True,
        button_id=f"nm-action-{course_row_key(row.course.id, row.term.id, row.instructor)}",
    )


@bp.route("/answer", methods=["POST"])
@staff_only
def answer():
    """Answer "no materials needed" for the row's sections the user may order for."""
    form = RowForm()
    if not form.validate_on_submit():
        return _to_courses("Your confirmation could not be checked. Please try again.", "error")
    row = _load_row(request.form)
    now = clock.now()
    sections = row_sections(actor(), row, now)
    if not sections.answerable:
        if sections.answered:
            return _to_courses(_already_answered(row, sections), "notice")
        require(refusal_decision(actor(), row, sections, clock.now()))
    outcome = run_change(  # a double click or a colleague may have answered a moment ago
        lambda: answer_no_materials(row, sections.answerable, actor=actor(), now=now, request_id=g.get("request_id")),
        conflict="already answered",
    )
    if not outcome.ok:
        return _to_courses(
            f"{row.course.code} in {row.term.name} was already answered “No materials needed”.", "notice"
        )
    return _to_courses(
        f"{row.label}: “No materials needed” for {_sections_text(sections.answerable)}. Reminders about "
        f"{'them' if len(sections.answerable) > 1 else 'it'} stop."
    )


@bp.route("/undo", methods=["POST"])
@staff_only
def undo():
    """Remove the row's "no materials needed" answers (those the user may change)."""
    form = RowForm()
    if not form.validate_on_submit():
        return _to_courses("Your request could not be checked. Please try again.", "error")
    row = _load_row(request.form)
    now = clock.now()
    sections = row_sections(actor(), row, now)
    if not sections.undoable:
        if not sections.answered and sections.visible:
            return _to_courses(
                f"{row.course.code} in {row.term.name} has no “No materials needed” answer to undo.", "notice"
            )
        require(refusal_decision(actor(), row, sections, clock.now()))
    removed = run_change(
        lambda: undo_no_materials(row, sections.undoable, actor=actor(), now=now, request_id=g.get("request_id"))
    ).result()
    if not removed:
        return _to_courses(
            f"{row.course.code} in {row.term.name} has no “No materials needed” answer to undo.", "notice"
        )
    return _to_courses(f"{row.label}: “No materials needed” was undone for {_sections_text(sections.undoable)}.")

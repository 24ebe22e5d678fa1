"""The student's Course materials page and its choice flow, shared by the student's own screen and the back
office's view of a student (docs/spec.md §3): one read model, one rule (choose_decision), one change service.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for

from orders import clock
from orders.domain.institution import institution, local_time
from orders.domain.models import OrderStatus, Requirement, User
from orders.domain.rules import choose_decision
from orders.domain.students.choices import LineChoice
from orders.domain.students.choosing import AlreadyChanged, change_choice
from orders.domain.students.materials import MaterialLine, StudentTerm, canceled_order_has, student_term
from orders.web import student_words
from orders.web.changes import run_change
from orders.web.guards import actor
from orders.web.htmx import is_htmx, retarget
from orders.web.parsing import parse_id_list


def today():
    """Today in the institution's timezone (which term is current)."""
    return clock.now().astimezone(ZoneInfo(institution().timezone)).date()


def load_term(student: User, *, section_id: int | None = None) -> StudentTerm:
    """The student's term as the request names it (?term=CODE), or the term of `section_id`."""
    inst = institution()
    return student_term(
        student, request.values.get("term", "")[:16] or None, mode=inst.program_mode, now=clock.now(), today=today(),
        section_id=section_id,
    )


def narrowed(view: StudentTerm) -> StudentTerm:
    """?sections=12,13 (an LMS course's sections, docs/spec.md §9): only those of the student's sections;
    when none of them is the student's, the whole term."""
    keep = [s for s in view.sections if s.section.id in parse_id_list(request.values.get("sections"))]
    return replace(view, sections=keep) if keep else view


def _narrowing() -> str | None:
    """The LMS course's sections this page is narrowed to, carried through the choice flow."""
    return request.values.get("sections") if parse_id_list(request.values.get("sections")) else None


def page_context(view: StudentTerm, *, admin: bool) -> dict:
    """What the page and its htmx fragment render from (the student's and the back office's alike)."""
    now = clock.now()
    user = actor()
    endpoint = "admin.confirm_student_choice" if admin else "students.confirm_choice"
    term_code = view.term.code if view.term else None

    def choice_url(section_id: int, item_id: int) -> str:
        args: dict[str, Any] = dict(
            section_id=section_id, item_id=item_id, term=term_code, sections=None if admin else _narrowing()
        )
        if admin:
            args["user_id"] = view.student.id
        return url_for(endpoint, **args)

    return dict(
        view=view,
        admin=admin,
        show_flashes=is_htmx() or not admin,  # the back office's layout shows a full page's banners
        institution=institution(),
        decide=lambda section, line: choose_decision(user, view.student, section, line, now),
        line_words=student_words.line_words,
        toggle_label=student_words.toggle_label,
        window_words=student_words.window_words(view.term, view.window) if view.term else "",
        mode_words=student_words.mode_words(view.mode),
        choice_url=choice_url,
        page_url=url_for("admin.student", user_id=view.student.id) if admin else url_for("students.materials"),
        narrowed_to=None if admin else _narrowing(),
    )


def line_or_refuse(view: StudentTerm, section_id: int, item_id: int):
    """The section and line the URL names, as the rule sees them (a canceled order's line included)."""
    section = view.section(section_id)
    line = section.line(item_id) if section else None
    if section is not None and line is None and section.order_number is None:
        number = canceled_order_has(section_id, item_id)
        if number is not None:  # say the order was canceled, not that the item is unknown
            # A stand-in the rule refuses on its status; nothing reads its requirement, price or choice.
            line = MaterialLine(
                section_id=section_id, item_id=item_id, title="", authors="", isbn13="", delivery="",
                requirement=Requirement.REQUIRED, price=Decimal(0), zero_cost=False, order_number=number,
                order_status=OrderStatus.CANCELED, stored=None, version=0, choice=LineChoice.INCLUDED,
            )
    return section, line




def confirm_page(view: StudentTerm, section_id: int, item_id: int, form, *, admin: bool, page_template: str,
                 error: str | None = None, status: int = 200):
    """The confirmation prompt (a page of its own without JavaScript), or a refusal."""
    section, line = line_or_refuse(view, section_id, item_id)
    decision = choose_decision(actor(), view.student, section, line, clock.now())
    if not decision:
        return refused(view, decision.reason, admin=admin)
    if request.method == "GET":
        form.student.data, form.version.data = view.student.id, line.version
    context = page_context(view, admin=admin)
    action = context["choice_url"](section_id, item_id)
    body = render_template(
        "shared/_choice_confirm.html" if is_htmx() else page_template,
        section=section,
        line=line,
        form=form,
        action=action,
        label=student_words.toggle_label(view.mode, line),
        after=student_words.after_words(view.mode, line),
        deadline=local_time(view.term.choice_closes_at) if view.term and view.term.choice_closes_at else None,
        error=error,
        **context,
    )
    if is_htmx() and request.method == "POST":  # the prompt again, with its error, where it was
        fragment, headers = retarget(body, f"#prompt-{section_id}-{item_id}")
        return fragment, status, headers
    return body, status


def refused(view: StudentTerm, reason: str, *, admin: bool, status: int = 409):
    """A refused choice: nothing changed; the page (or its fragment) says why."""
    flash(reason, "error")
    return after_change(view, admin=admin, status=status)


def after_change(view: StudentTerm, *, admin: bool, status: int = 200):
    """htmx: the materials swapped in with the banner; a plain POST: 303 back to the page."""
    if is_htmx():
        fresh = student_term(
            view.student, view.term.code if view.term else None, mode=view.mode, now=clock.now(), today=today()
        )
        fresh = fresh if admin else narrowed(fresh)
        # Retargeted: a refused prompt request (its button was stale) replaces the materials, not its slot.
        body, headers = retarget(
            render_template("shared/_student_materials.html", **page_context(fresh, admin=admin)),
            "#student-materials",
            "outerHTML",
        )
        return body, status, headers
    term = view.term.code if view.term else None
    if admin:
        return redirect(url_for("admin.student", user_id=view.student.id, term=term), code=303)
    return redirect(url_for("students.materials", term=term, sections=_narrowing()), code=303)


def run_choice_change(view: StudentTerm, section_id: int, item_id: int, form, *, admin: bool, page_template: str):
    """Run the change service; commit once, or roll back and say why."""
    section, line = line_or_refuse(view, section_id, item_id)
    outcome = run_change(
        lambda: change_choice(
            actor(),
            view,
            section,
            line,
            clock.now(),
            expected_version=form.version.data,
            reason=(form.reason.data or "") if admin else "",
            request_id=g.get("request_id"),
        )
    )
    if isinstance(outcome.refusal, AlreadyChanged):
        flash(outcome.message, "notice")
        return after_change(view, admin=admin)
    if not outcome.ok:
        if (
            admin
            and line is not None
            and section is not None
            and choose_decision(actor(), view.student, section, line, clock.now())
        ):
            return confirm_page(
                view,
                section_id,
                item_id,
                form,
                admin=True,
                page_template=page_template,
                error=outcome.message,
                status=422,
            )
        return refused(view, outcome.message, admin=admin)
    flash(outcome.result().message, "status")
    return after_change(view, admin=admin)

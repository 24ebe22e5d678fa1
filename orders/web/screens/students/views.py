"""Course materials for students, and the back office's view of a student (docs/spec.md §3).

One read model (queries.student_term), one rule (permissions.can_choose) and one change service
(services.change_choice) serve the student's page, their choice routes and the Program
Administrator's "Change choice": the page and the routes never disagree.
"""
from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import exists, func, or_, select
from werkzeug.exceptions import NotFound

from orders import clock
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.institution import institution, local_time
from orders.domain.models import Enrollment, OrderStatus, User
from orders.domain.refusals import PermissionDenied
from orders.domain.rules import can_choose
from orders.domain.students.choosing import AlreadyChanged, change_choice
from orders.domain.students.materials import MaterialLine, StudentTerm, canceled_order_has, student_term
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.guards import admin_only, student_only
from orders.web.htmx import is_htmx, render_page_or_fragment, retarget
from orders.web.parsing import parse_id_list
from orders.web.screens.students import display
from orders.web.screens.students.forms import AdminChoiceForm, ChoiceForm

bp = Blueprint("students", __name__, url_prefix="/student")
admin_bp = Blueprint("admin_students", __name__, url_prefix="/admin/students")

SEARCH_LIMIT = 50


def _today():
    """Today in the institution's timezone (which term is current)."""
    return clock.now().astimezone(ZoneInfo(institution().timezone)).date()


def load_term(student: User, *, section_id: int | None = None) -> StudentTerm:
    """The student's term as the request names it (?term=CODE), or the term of `section_id`."""
    inst = institution()
    return student_term(
        student, request.values.get("term", "")[:16] or None, mode=inst.program_mode, now=clock.now(), today=_today(),
        section_id=section_id,
    )


def page_context(view: StudentTerm, *, admin: bool) -> dict:
    """What the page and its htmx fragment render from (the student's and the back office's alike)."""
    now = clock.now()
    actor = current_user
    endpoint = "admin_students.confirm_choice" if admin else "students.confirm_choice"
    term_code = view.term.code if view.term else None

    def choice_url(section_id: int, item_id: int) -> str:
        args = dict(section_id=section_id, item_id=item_id, term=term_code, sections=request.values.get("sections") or None)
        if admin:
            args["user_id"] = view.student.id
        return url_for(endpoint, **args)

    return dict(
        view=view,
        admin=admin,
        show_flashes=is_htmx() or not admin,  # the back office's layout shows a full page's banners
        institution=institution(),
        decide=lambda section, line: can_choose(actor, view.student, section, line, now),
        line_words=display.line_words,
        toggle_label=display.toggle_label,
        window_words=display.window_words(view.term, view.window) if view.term else "",
        mode_words=display.mode_words(view.mode),
        choice_url=choice_url,
        page_url=url_for("admin_students.student", user_id=view.student.id) if admin else url_for("students.materials"),
        narrowed_to=request.values.get("sections") if not admin and parse_id_list(request.values.get("sections")) else None,
    )


def _line_or_refuse(view: StudentTerm, section_id: int, item_id: int):
    """The section and line the URL names, as the rule sees them (a canceled order's line included)."""
    section = view.section(section_id)
    line = section.line(item_id) if section else None
    if section is not None and line is None and section.order_number is None:
        number = canceled_order_has(section_id, item_id)
        if number is not None:  # say the order was canceled, not that the item is unknown
            line = MaterialLine(
                section_id=section_id, item_id=item_id, title="", authors="", isbn13="", delivery="",
                requirement=None, price=0, zero_cost=False, order_number=number, order_status=OrderStatus.CANCELED,
                stored=None, version=0, choice=None,
            )
    return section, line


# --- The student's own page ------------------------------------------------------------------------


@bp.route("/materials")
@student_only
def materials():
    """The student's Course materials for a term: sections, materials, states, total, deadline, buttons."""
    view = narrowed(load_term(current_user))
    return render_page_or_fragment("students/materials.html", "students/_materials.html", **page_context(view, admin=False))


def narrowed(view: StudentTerm) -> StudentTerm:
    """?sections=12,13 (an LMS course's sections, docs/spec.md §9): only those of the student's sections;
    when none of them is the student's, the whole term."""
    wanted = parse_id_list(request.values.get("sections"))
    keep = [s for s in view.sections if s.section.id in wanted]
    return replace(view, sections=keep) if keep else view


def _confirm(view: StudentTerm, section_id: int, item_id: int, form, *, admin: bool, error: str | None = None, status: int = 200):
    """The confirmation prompt (a page of its own without JavaScript), or a refusal."""
    section, line = _line_or_refuse(view, section_id, item_id)
    decision = can_choose(current_user, view.student, section, line, clock.now())
    if not decision:
        return _refused(view, decision.reason, admin=admin)
    if request.method == "GET":
        form.student.data, form.version.data = view.student.id, line.version
    context = page_context(view, admin=admin)
    action = context["choice_url"](section_id, item_id)
    template = ("students/_confirm.html", "students/confirm.html")
    body = render_template(
        template[0] if is_htmx() else template[1], section=section, line=line, form=form, action=action,
        label=display.toggle_label(view.mode, line), after=display.after_words(view.mode, line),
        deadline=local_time(view.term.choice_closes_at) if view.term.choice_closes_at else None, error=error, **context,
    )
    if is_htmx() and request.method == "POST":  # the prompt again, with its error, where it was
        fragment, headers = retarget(body, f"#prompt-{section_id}-{item_id}")
        return fragment, status, headers
    return body, status


def _refused(view: StudentTerm, reason: str, *, admin: bool, status: int = 409):
    """A refused choice: nothing changed; the page (or its fragment) says why."""
    flash(reason, "error")
    return _after(view, admin=admin, status=status)


def _after(view: StudentTerm, *, admin: bool, status: int = 200):
    """htmx: the materials swapped in with the banner; a plain POST: 303 back to the page."""
    if is_htmx():
        fresh = student_term(view.student, view.term.code if view.term else None, mode=view.mode, now=clock.now(), today=_today())
        # Retargeted: a refused prompt request (its button was stale) replaces the materials, not its slot.
        body, headers = retarget(render_template("students/_materials.html", **page_context(fresh, admin=admin)),
                                 "#student-materials", "outerHTML")
        return body, status, headers
    term = view.term.code if view.term else None
    if admin:
        return redirect(url_for("admin_students.student", user_id=view.student.id, term=term), code=303)
    return redirect(url_for("students.materials", term=term, sections=request.values.get("sections") or None), code=303)


@bp.route("/materials/<int:section_id>/<int:item_id>/choice")
@student_only
def confirm_choice(section_id: int, item_id: int):
    """Ask before changing a choice: consent text, price, deadline."""
    return _confirm(load_term(current_user, section_id=section_id), section_id, item_id, ChoiceForm(), admin=False)


@bp.route("/materials/<int:section_id>/<int:item_id>/choice", methods=["POST"])
@student_only
def change(section_id: int, item_id: int):
    """Change the student's own choice once (double submits and other tabs get a calm notice)."""
    form = ChoiceForm()
    view = load_term(current_user, section_id=section_id)
    if not form.validate_on_submit():
        return _refused(view, "Your choice could not be checked. Please try again.", admin=False, status=400)
    if form.student.data != current_user.id:
        raise PermissionDenied("You can only change your own choices.")
    return _run_change(view, section_id, item_id, form, admin=False)


def _run_change(view: StudentTerm, section_id: int, item_id: int, form, *, admin: bool):
    """Run the change service; commit once, or roll back and say why."""
    section, line = _line_or_refuse(view, section_id, item_id)
    outcome = run_change(lambda: change_choice(
        current_user, view, section, line, clock.now(), expected_version=form.version.data,
        reason=(form.reason.data or "") if admin else "", request_id=g.get("request_id"),
    ))
    if isinstance(outcome.refusal, AlreadyChanged):
        flash(outcome.message, "notice")
        return _after(view, admin=admin)
    if not outcome.ok:
        if admin and line is not None and section is not None and can_choose(current_user, view.student, section, line, clock.now()):
            return _confirm(view, section_id, item_id, form, admin=True, error=outcome.message, status=422)
        return _refused(view, outcome.message, admin=admin)
    flash(outcome.value.message, "status")
    return _after(view, admin=admin)


# --- The back office: Students ----------------------------------------------------------------------


def _student_or_404(user_id: int) -> User:
    """A user with at least one enrollment, or a 404."""
    student = db.session.get(User, user_id)
    if student is None or not db.session.scalar(select(exists().where(Enrollment.user_id == student.id))):
        raise NotFound("There is no student with that number.")
    return student


def search_students(query: str) -> list[User]:
    """Students whose name, email or SIS id contains the query (at most SEARCH_LIMIT)."""
    pattern = anywhere(query)
    return list(db.session.scalars(
        select(User)
        .where(
            exists().where(Enrollment.user_id == User.id),
            or_(func.lower(User.name).like(pattern, escape=ESCAPE), User.email.like(pattern, escape=ESCAPE),
                func.lower(User.sis_id).like(pattern, escape=ESCAPE)),
        )
        .order_by(User.sort_name, User.id)
        .limit(SEARCH_LIMIT)
    ))


@admin_bp.route("")
@admin_only
def index():
    """Search students by name, email or SIS id."""
    query = request.args.get("q", "").strip()[:100]
    results = search_students(query) if query else None
    return render_template("students/admin_search.html", q=query, results=results, limit=SEARCH_LIMIT)


@admin_bp.route("/<int:user_id>")
@admin_only
def student(user_id: int):
    """The student's page as they see it, with "Change choice" beside each billable line."""
    view = load_term(_student_or_404(user_id))
    return render_page_or_fragment("students/admin_student.html", "students/_materials.html", **page_context(view, admin=True))


@admin_bp.route("/<int:user_id>/<int:section_id>/<int:item_id>/choice", endpoint="confirm_choice")
@admin_only
def confirm_choice_for_student(user_id: int, section_id: int, item_id: int):
    """Ask before changing a student's choice: the reason is required."""
    view = load_term(_student_or_404(user_id), section_id=section_id)
    return _confirm(view, section_id, item_id, AdminChoiceForm(), admin=True)


@admin_bp.route("/<int:user_id>/<int:section_id>/<int:item_id>/choice", methods=["POST"], endpoint="change")
@admin_only
def change_for_student(user_id: int, section_id: int, item_id: int):
    """Change a student's choice on their behalf, any time, with a reason (audited by the choice event, emailed)."""
    form = AdminChoiceForm()
    view = load_term(_student_or_404(user_id), section_id=section_id)
    if not form.validate_on_submit():
        return _refused(view, "The change could not be checked. Please try again.", admin=True, status=400)
    if form.student.data != view.student.id:
        raise PermissionDenied("The form was for another student. Nothing was changed.")
    return _run_change(view, section_id, item_id, form, admin=True)

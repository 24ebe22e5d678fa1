"""Students in the back office: search, a student's page as they see it, and "Change choice" with a reason."""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy import exists, func, or_, select
from werkzeug.exceptions import NotFound

from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.models import Enrollment, User
from orders.domain.refusals import PermissionDenied
from orders.extensions import db
from orders.web.guards import admin_only
from orders.web.htmx import render_page_or_fragment
from orders.web.screens.admin import bp
from orders.web.student_forms import AdminChoiceForm
from orders.web.student_page import (
    confirm_page,
    load_term,
    page_context,
    refused,
    run_choice_change,
)

SEARCH_LIMIT = 50

CONFIRM_PAGE = "admin/confirm_student_choice.html"  # without JavaScript the prompt is a page of its own


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


@bp.route("/students")
@admin_only
def students():
    """Search students by name, email or SIS id."""
    query = request.args.get("q", "").strip()[:100]
    results = search_students(query) if query else None
    return render_template("admin/students.html", q=query, results=results, limit=SEARCH_LIMIT)


@bp.route("/students/<int:user_id>")
@admin_only
def student(user_id: int):
    """The student's page as they see it, with "Change choice" beside each billable line."""
    view = load_term(_student_or_404(user_id))
    return render_page_or_fragment(
        "admin/student.html", "shared/_student_materials.html", **page_context(view, admin=True)
    )


@bp.route("/students/<int:user_id>/<int:section_id>/<int:item_id>/choice")
@admin_only
def confirm_student_choice(user_id: int, section_id: int, item_id: int):
    """Ask before changing a student's choice: the reason is required."""
    view = load_term(_student_or_404(user_id), section_id=section_id)
    return confirm_page(view, section_id, item_id, AdminChoiceForm(), admin=True, page_template=CONFIRM_PAGE)


@bp.route("/students/<int:user_id>/<int:section_id>/<int:item_id>/choice", methods=["POST"])
@admin_only
def change_student_choice(user_id: int, section_id: int, item_id: int):
    """Change a student's choice on their behalf, any time, with a reason (audited by the choice event, emailed)."""
    form = AdminChoiceForm()
    view = load_term(_student_or_404(user_id), section_id=section_id)
    if not form.validate_on_submit():
        return refused(view, "The change could not be checked. Please try again.", admin=True, status=400)
    if form.student.data != view.student.id:
        raise PermissionDenied("The form was for another student. Nothing was changed.")
    return run_choice_change(view, section_id, item_id, form, admin=True, page_template=CONFIRM_PAGE)

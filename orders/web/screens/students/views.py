"""Course materials for students (docs/spec.md §3): their page and their choices, at /student."""
from __future__ import annotations

from orders.domain.refusals import PermissionDenied
from orders.web.guards import actor, student_only
from orders.web.htmx import render_page_or_fragment
from orders.web.screens.students import bp
from orders.web.student_forms import ChoiceForm
from orders.web.student_page import (
    confirm_page,
    load_term,
    narrowed,
    page_context,
    refused,
    run_choice_change,
)

# --- The student's own page ------------------------------------------------------------------------

CONFIRM_PAGE = "students/confirm.html"  # without JavaScript the prompt is a page of its own


@bp.route("/materials")
@student_only
def materials():
    """The student's Course materials for a term: sections, materials, states, total, deadline, buttons."""
    view = narrowed(load_term(actor()))
    return render_page_or_fragment(
        "students/materials.html", "shared/_student_materials.html", **page_context(view, admin=False)
    )


@bp.route("/materials/<int:section_id>/<int:item_id>/choice")
@student_only
def confirm_choice(section_id: int, item_id: int):
    """Ask before changing a choice: consent text, price, deadline."""
    return confirm_page(
        load_term(actor(), section_id=section_id),
        section_id,
        item_id,
        ChoiceForm(),
        admin=False,
        page_template=CONFIRM_PAGE,
    )


@bp.route("/materials/<int:section_id>/<int:item_id>/choice", methods=["POST"])
@student_only
def change(section_id: int, item_id: int):
    """Change the student's own choice once (double submits and other tabs get a calm notice)."""
    form = ChoiceForm()
    view = load_term(actor(), section_id=section_id)
    if not form.validate_on_submit():
        return refused(view, "Your choice could not be checked. Please try again.", admin=False, status=400)
    if form.student.data != actor().id:
        raise PermissionDenied("You can only change your own choices.")
    return run_choice_change(view, section_id, item_id, form, admin=False, page_template=CONFIRM_PAGE)

"""The ordering workflow: start a draft, choose sections, add materials, review, place, or cancel the draft."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField
from wtforms.validators import DataRequired

from orders import clock, ordering
from orders.extensions import db
from orders.forms import EmptyForm
from orders.htmx import is_htmx
from orders.models import Order, OrderStatus
from orders.ordering import DraftChanged, DraftClosed, OrderingError, PlacementRefused
from orders.permissions import PermissionDenied, draft_guard, require_draft_owner, signed_in
from orders.services import on_behalf_of

bp = Blueprint("ordering", __name__, url_prefix="/ordering")

STEPS = [("sections", "Sections"), ("materials", "Materials"), ("review", "Review")]


class PlaceOrderForm(FlaskForm):
    """Place order: CSRF plus the draft version the user reviewed."""

    version = HiddenField(validators=[DataRequired()])


# --- Helpers ---------------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    """A positive database id from form or query input, else None."""
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _redirect(url: str):
    """303 for a plain form; for htmx, tell the browser to load the page (banners are flashed)."""
    if is_htmx():
        return "", 204, {"HX-Redirect": url}
    return redirect(url, code=303)


def _gone(draft: Order):
    """A placed or canceled draft answers calmly: the order, or the Courses screen, with a notice."""
    if draft.status is OrderStatus.PLACED:
        flash(f"This draft was already placed as order #{draft.number}.", "notice")
        return _redirect(url_for("orders.summary", number=draft.number))
    flash(f"Your draft order for {draft.course.code} in {draft.term.name} was canceled, so it can no longer be changed.", "notice")
    return _redirect(url_for("courses.index"))


def _step_context(draft: Order, step: str) -> dict:
    """What every step page shows around its own content."""
    return dict(draft=draft, step=step, steps=STEPS, ordering_for=on_behalf_of(current_user, draft), form=EmptyForm())


def _materials_context(draft: Order, query: str, **extra) -> dict:
    return dict(
        _step_context(draft, "materials"),
        search=ordering.search_catalog(query),
        on_order={line.catalog_item_id for line in draft.lines},
        min_length=ordering.MIN_SEARCH_LENGTH,
        **extra,
    )


# --- Start -----------------------------------------------------------------------------------------


@bp.route("/start/<int:course_id>/<int:term_id>")
@signed_in
def start(course_id: int, term_id: int):
    """Resume the user's draft for this course and term, or offer to start one (a POST)."""
    course, term = ordering.get_course_term_or_404(course_id, term_id)
    existing = ordering.find_draft(current_user, course.id, term.id)
    if existing is not None:
        flash(f"You already have a draft order for {course.code} in {term.name}; continue it here.", "notice")
        return redirect(url_for("ordering.sections", draft_id=existing.id), code=303)
    now = clock.utcnow()
    choices = ordering.section_choices(current_user, course.id, term.id, now)
    if not choices:
        raise PermissionDenied(ordering.not_your_course_message(course, term))
    orderable = any(choice.orderable for choice in choices)
    return render_template(
        "ordering/start.html",
        course=course,
        term=term,
        choices=choices,
        orderable=orderable,
        reason=None if orderable else ordering.no_orderable_sections_message(current_user, course, term, now),
        instructor=_int(request.args.get("instructor")),
        form=EmptyForm(),
    )


@bp.route("/start/<int:course_id>/<int:term_id>", methods=["POST"])
@signed_in
def create(course_id: int, term_id: int):
    """Start a draft (or resume the one the user already has) and go to step 1."""
    course, term = ordering.get_course_term_or_404(course_id, term_id)
    try:
        draft, _created = ordering.start_draft(
            current_user,
            course,
            term,
            now=clock.utcnow(),
            request_id=g.request_id,
            instructor_id=_int(request.form.get("instructor")),
        )
        db.session.commit()
    except OrderingError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _redirect(url_for("ordering.start", course_id=course_id, term_id=term_id))
    except IntegrityError:  # another tab started the same draft a moment ago (uq_order_one_draft): resume it
        db.session.rollback()
        draft = ordering.find_draft(current_user, course.id, term.id)
        if draft is None:
            raise
    return _redirect(url_for("ordering.sections", draft_id=draft.id))


# --- Step 1: sections ------------------------------------------------------------------------------


@bp.route("/drafts/<int:draft_id>/sections")
@draft_guard(require_draft_owner)
def sections(draft: Order):
    """Step 1: the sections of the course in the term the user may order for, as checkboxes."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    choices = ordering.section_choices(current_user, draft.course_id, draft.term_id, clock.utcnow())
    chosen = {link.section_id for link in draft.order_sections}
    return render_template("ordering/sections.html", choices=choices, chosen=chosen, **_step_context(draft, "sections"))


@bp.route("/drafts/<int:draft_id>/sections", methods=["POST"])
@draft_guard(require_draft_owner)
def save_sections(draft: Order):
    """Save the chosen sections, then on to the materials."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    raw = request.form.getlist("section")
    ids = [_int(value) for value in raw]
    try:
        if None in ids:
            raise OrderingError("That section is not one you may order for. Choose from the list.")
        ordering.set_sections(draft, ids, actor=current_user, now=clock.utcnow())
    except OrderingError as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return _redirect(url_for("ordering.sections", draft_id=draft.id))
    db.session.commit()
    return _redirect(url_for("ordering.materials", draft_id=draft.id))


# --- Step 2: materials -----------------------------------------------------------------------------


@bp.route("/drafts/<int:draft_id>/materials")
@draft_guard(require_draft_owner)
def materials(draft: Order):
    """Step 2: search the catalog (live with htmx, a GET form without) and the draft's items."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    context = _materials_context(draft, request.args.get("q", ""))
    if is_htmx():
        return render_template("ordering/_materials_response.html", announce_count=True, **context)
    return render_template("ordering/materials.html", **context)


@bp.route("/drafts/<int:draft_id>/items", methods=["POST"])
@draft_guard(require_draft_owner)
def add_item(draft: Order):
    """Add a catalog item; htmx gets the updated results and items, a plain POST a 303 back."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    item_id = _int(request.form.get("item_id"))
    try:
        if item_id is None:
            raise OrderingError("That item is not in the catalog. Search again and choose it from the results.")
        item, added = ordering.add_item(draft, item_id)
        db.session.commit()
        message, category = (f"Added {item.title}." if added else f"{item.title} is already on this order."), "status"
    except OrderingError as refusal:
        db.session.rollback()
        message, category = refusal.message, "error"
    except IntegrityError:  # the same item added twice at once: the primary key keeps one
        db.session.rollback()
        message, category = "That item is already on this order.", "status"
    return _after_materials_change(draft, message, category)


@bp.route("/drafts/<int:draft_id>/items/<int:item_id>/remove", methods=["POST"])
@draft_guard(require_draft_owner)
def remove_item(draft: Order, item_id: int):
    """Take an item off the draft; htmx gets the updated results and items, a plain POST a 303 back."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    item = ordering.remove_item(draft, item_id)
    db.session.commit()
    message = f"Removed {item.title}." if item else "That item was not on this order."
    return _after_materials_change(draft, message, "status")


def _after_materials_change(draft: Order, message: str, category: str):
    query = request.form.get("q", "")
    if is_htmx():
        status = 422 if category == "error" else 200
        context = _materials_context(draft, query, message=message, category=category)
        return render_template("ordering/_materials_response.html", **context), status
    flash(message, category)
    return redirect(url_for("ordering.materials", draft_id=draft.id, q=query.strip() or None), code=303)


# --- Step 3: review and place ----------------------------------------------------------------------


@bp.route("/drafts/<int:draft_id>/review")
@draft_guard(require_draft_owner)
def review(draft: Order):
    """Step 3: everything that will be ordered, the total per student, and Place order when allowed."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    taken = ordering.claimed_sections([s.id for s in draft.sections], excluding_order_id=draft.id)
    problems = ordering.placement_problems(draft, current_user, clock.utcnow(), taken)
    return render_template(
        "ordering/review.html",
        problems=problems,
        place_form=PlaceOrderForm(version=str(draft.version)),
        **_step_context(draft, "review"),
    )


@bp.route("/drafts/<int:draft_id>/place", methods=["POST"])
@draft_guard(require_draft_owner)
def place(draft: Order):
    """Place the order: every rule re-checked, a number assigned, receipts queued; then its summary."""
    form = PlaceOrderForm()
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    if not form.validate_on_submit():
        flash("Your order could not be checked. Review it and place it again.", "error")
        return _redirect(url_for("ordering.review", draft_id=draft.id))
    version = _int(form.version.data)
    try:
        order = ordering.place_draft(
            draft, actor=current_user, now=clock.utcnow(), request_id=g.request_id, expected_version=version or -1
        )
    except DraftClosed as closed:
        db.session.rollback()
        return _gone(closed.draft)
    except (DraftChanged, PlacementRefused) as refusal:
        db.session.rollback()  # nothing was written, not even an order number
        flash(refusal.message, "error")
        return _redirect(url_for("ordering.review", draft_id=draft.id))
    number = order.number
    db.session.commit()
    flash(f"Order #{number} placed.", "status")
    return _redirect(url_for("orders.summary", number=number))


# --- Cancel (discard) the draft --------------------------------------------------------------------


def _step_from_args() -> str:
    step = request.args.get("step", "")
    return step if step in dict(STEPS) else "sections"


@bp.route("/drafts/<int:draft_id>/cancel")
@draft_guard(require_draft_owner)
def confirm_discard(draft: Order):
    """Ask before discarding: an inline prompt for htmx, its own page without JavaScript."""
    if draft.status is not OrderStatus.DRAFT:
        return _gone(draft)
    context = dict(_step_context(draft, _step_from_args()))
    template = "ordering/_confirm_discard.html" if is_htmx() else "ordering/confirm_discard.html"
    return render_template(template, **context)


@bp.route("/drafts/<int:draft_id>/cancel", methods=["POST"])
@draft_guard(require_draft_owner)
def discard(draft: Order):
    """Discard the draft (no order number, no email), then back to the Courses screen with a banner."""
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("Your confirmation could not be checked. Please try again.", "error")
        return _redirect(url_for("ordering.confirm_discard", draft_id=draft.id))
    changed = ordering.discard_draft(draft, actor=current_user, now=clock.utcnow(), request_id=g.request_id)
    db.session.commit()
    if not changed:
        return _gone(draft)
    flash(
        f"Your draft order for {draft.course.code} {draft.course.title}, {draft.term.name} was canceled. Nothing was ordered.",
        "status",
    )
    return _redirect(url_for("courses.index"))

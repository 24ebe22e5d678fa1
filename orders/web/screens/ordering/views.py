"""The ordering workflow: start a draft, choose sections, add materials, review, place, or cancel the draft."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from orders import clock
from orders.domain.audit import on_behalf_of
from orders.domain.catalog.search import MIN_SEARCH_LENGTH, search_catalog
from orders.domain.lines import total_per_student
from orders.domain.lookups import find_draft
from orders.domain.models import Order, OrderStatus, Requirement
from orders.domain.ordering import drafts as ordering
from orders.domain.ordering.drafts import OrderingError
from orders.domain.refusals import Conflict, PermissionDenied, parse_requirement
from orders.domain.rules import draft_owner_decision
from orders.web.changes import run_change
from orders.web.forms import EmptyForm, VersionedConfirmForm
from orders.web.guards import actor, draft_guard, staff_only
from orders.web.htmx import is_htmx, redirect_to
from orders.web.loaders import get_course_term_or_404
from orders.web.other_costs import OtherCostForm, costs_context
from orders.web.parsing import parse_id
from orders.web.review_words import earlier_royalty, placed_message, returned_context
from orders.web.royalty_form import RoyaltyEntry, read_royalty
from orders.web.screens.ordering import bp

STEPS = [("sections", "Sections"), ("materials", "Materials"), ("review", "Review")]


def _step_context(draft: Order, step: str) -> dict:
    """What every step page shows around its own content."""
    return dict(draft=draft, step=step, steps=STEPS, ordering_for=on_behalf_of(actor(), draft), form=EmptyForm(),
                returned=returned_context(draft))


def _materials_context(draft: Order, query: str, cost_form: OtherCostForm | None = None, **extra) -> dict:
    return dict(
        _step_context(draft, "materials"),
        **draft_costs_context(draft, cost_form),
        search=search_catalog(query),
        on_order={line.catalog_item_id for line in draft.lines},
        lines=draft.lines,
        total=total_per_student(draft),
        add_url=url_for("ordering.add_item", draft_id=draft.id),
        remove_url=lambda item_id: url_for("ordering.remove_item", draft_id=draft.id, item_id=item_id),
        requirement_url=lambda item_id: url_for("ordering.set_requirement", draft_id=draft.id, item_id=item_id),
        requirements=list(Requirement),
        requests=[
            {
                "key": str(r.id),
                "title": r.title,
                "isbn13": r.isbn13,
                "status": r.status.label,
                "requirement": r.requirement.label,
            }
            for r in draft.current_requests
        ],
        request_url=url_for("ordering.request_title", draft_id=draft.id),
        remove_request_url=lambda key: url_for("ordering.remove_request", draft_id=draft.id, request_id=key),
        min_length=MIN_SEARCH_LENGTH,
        **extra,
    )


def draft_costs_context(draft: Order, form: OtherCostForm | None = None) -> dict:
    """The draft's other required costs for templates/shared/_other_costs.html (each keyed by its id)."""
    return costs_context(
        ({"key": str(c.id), "description": c.description, "amount": c.amount} for c in draft.other_costs),
        form,
        url_for("ordering.add_other_cost", draft_id=draft.id),
        lambda key: url_for("ordering.remove_other_cost", draft_id=draft.id, cost_id=key),
    )


# --- Start -----------------------------------------------------------------------------------------


@bp.route("/start/<int:course_id>/<int:term_id>")
@staff_only
def start(course_id: int, term_id: int):
    """Resume the user's draft for this course and term, or offer to start one (a POST)."""
    course, term = get_course_term_or_404(course_id, term_id)
    existing = find_draft(actor(), course.id, term.id)
    if existing is not None:
        flash(f"You already have a draft order for {course.code} in {term.name}; continue it here.", "notice")
        return redirect(url_for("ordering.sections", draft_id=existing.id), code=303)
    now = clock.now()
    choices = ordering.section_choices(actor(), course.id, term.id, now)
    if not choices:
        raise PermissionDenied(ordering.not_your_course_message(course, term))
    orderable = any(choice.orderable for choice in choices)
    return render_template(
        "ordering/start.html",
        course=course,
        term=term,
        choices=choices,
        orderable=orderable,
        reason=None if orderable else ordering.no_orderable_sections_message(actor(), course, term, now),
        instructor=parse_id(request.args.get("instructor")),
        form=EmptyForm(),
    )


@bp.route("/start/<int:course_id>/<int:term_id>", methods=["POST"])
@staff_only
def create(course_id: int, term_id: int):
    """Start a draft (or resume the one the user already has) and go to step 1."""
    course, term = get_course_term_or_404(course_id, term_id)
    instructor_id = parse_id(request.form.get("instructor"))
    outcome = run_change(
        lambda: ordering.start_draft(
            actor(), course, term, now=clock.now(), request_id=g.request_id, instructor_id=instructor_id
        ),
        conflict="",  # another tab started the same draft a moment ago (uq_order_one_draft): resume it
    )
    draft: Order | None
    if outcome.ok:
        draft, _created = outcome.result()
    elif isinstance(outcome.refusal, Conflict):
        draft = find_draft(actor(), course.id, term.id)
    else:
        draft = None
    if draft is None:
        flash(outcome.message or "Your draft could not be started. Please try again.", "error")
        return redirect_to(url_for("ordering.start", course_id=course_id, term_id=term_id))
    return redirect_to(url_for("ordering.sections", draft_id=draft.id))


# --- Step 1: sections ------------------------------------------------------------------------------


@bp.route("/drafts/<int:draft_id>/sections")
@draft_guard(draft_owner_decision)
def sections(draft: Order):
    """Step 1: the sections of the course in the term the user may order for, as checkboxes."""
    choices = ordering.section_choices(
        actor(), draft.course_id, draft.term_id, clock.now(), excluding_order_id=draft.id
    )
    chosen = {link.section_id for link in draft.order_sections}
    return render_template("ordering/sections.html", choices=choices, chosen=chosen, **_step_context(draft, "sections"))


@bp.route("/drafts/<int:draft_id>/sections", methods=["POST"])
@draft_guard(draft_owner_decision)
def save_sections(draft: Order):
    """Save the chosen sections, then on to the materials."""
    ids = [parse_id(value) for value in request.form.getlist("section")]

    def choose() -> None:
        section_ids = [section_id for section_id in ids if section_id is not None]
        if len(section_ids) != len(ids):
            raise OrderingError("That section is not one you may order for. Choose from the list.")
        ordering.set_sections(draft, section_ids, actor=actor(), now=clock.now())

    outcome = run_change(choose)
    if not outcome.ok:
        flash(outcome.message, "error")
        return redirect_to(url_for("ordering.sections", draft_id=draft.id))
    return redirect_to(url_for("ordering.materials", draft_id=draft.id))


# --- Step 2: materials -----------------------------------------------------------------------------


@bp.route("/drafts/<int:draft_id>/materials")
@draft_guard(draft_owner_decision)
def materials(draft: Order):
    """Step 2: search the catalog (live with htmx, a GET form without) and the draft's items."""
    context = _materials_context(draft, request.args.get("q", ""))
    if is_htmx():
        return render_template("ordering/_materials_response.html", announce_count=True, **context)
    return render_template("ordering/materials.html", **context)


@bp.route("/drafts/<int:draft_id>/items", methods=["POST"])
@draft_guard(draft_owner_decision)
def add_item(draft: Order):
    """Add a catalog item; htmx gets the updated results and items, a plain POST a 303 back."""
    item_id = parse_id(request.form.get("item_id"))

    def add():
        if item_id is None:
            raise OrderingError("That item is not in the catalog. Search again and choose it from the results.")
        return ordering.add_item(draft, item_id, clock.now())

    # the same item added twice at once: the primary key keeps one
    outcome = run_change(add, conflict="That item is already on this order.")
    if outcome.ok:
        item, added = outcome.result()
        message, category = (f"Added {item.title}." if added else f"{item.title} is already on this order."), "status"
    else:
        message, category = outcome.message, "status" if isinstance(outcome.refusal, Conflict) else "error"
    return _after_materials_change(draft, message, category)


@bp.route("/drafts/<int:draft_id>/items/<int:item_id>/remove", methods=["POST"])
@draft_guard(draft_owner_decision)
def remove_item(draft: Order, item_id: int):
    """Take an item off the draft; htmx gets the updated results and items, a plain POST a 303 back."""
    item = run_change(lambda: ordering.remove_item(draft, item_id, clock.now())).result()
    message = f"Removed {item.title}." if item else "That item was not on this order."
    return _after_materials_change(draft, message, "status")


@bp.route("/drafts/<int:draft_id>/items/<int:item_id>/requirement", methods=["POST"])
@draft_guard(draft_owner_decision)
def set_requirement(draft: Order, item_id: int):
    """Mark a line required or recommended; htmx gets the updated items, a plain POST a 303 back."""

    def mark():
        requirement = parse_requirement(request.form.get("requirement"))
        return requirement, ordering.set_requirement(draft, item_id, requirement, clock.now())

    outcome = run_change(mark)
    if not outcome.ok:
        return _after_materials_change(draft, outcome.message, "error")
    requirement, item = outcome.result()
    message = f"{item.title} is {requirement.label.lower()}." if item else "That item is not on this order."
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


def _review_page(draft: Order, *, royalty: RoyaltyEntry | None = None, status: int = 200):
    """Step 3 as it stands, with the royalty question (what was entered, after a refused answer)."""
    now = clock.now()
    taken = ordering.claimed_sections([s.id for s in draft.sections], excluding_order_id=draft.id)
    decision = ordering.placement_decision(draft, actor(), now, taken)
    return render_template(
        "ordering/review.html",
        problems=decision.reasons,
        place_form=VersionedConfirmForm(version=draft.version),
        route=ordering.route_preview(draft, actor(), now),
        royalty=royalty or RoyaltyEntry.of(earlier_royalty(draft)),
        royalty_lines=[line.item for line in draft.current_lines],
        **_step_context(draft, "review"),
    ), status


@bp.route("/drafts/<int:draft_id>/review")
@draft_guard(draft_owner_decision)
def review(draft: Order):
    """Step 3: everything that will be ordered.

    The total per student, the royalty question and Place order when allowed.
    """
    return _review_page(draft)


@bp.route("/drafts/<int:draft_id>/place", methods=["POST"])
@draft_guard(draft_owner_decision)
def place(draft: Order):
    """Place the order: every rule re-checked, a number assigned, receipts queued; then its summary. In an
    organization under review (or with a royalty Yes) it is submitted for approval instead (docs/spec.md §8)."""
    form = VersionedConfirmForm()
    if not form.validate_on_submit():
        flash("Your order could not be checked. Review it and place it again.", "error")
        return redirect_to(url_for("ordering.review", draft_id=draft.id))
    answer, entry = read_royalty(request.form, [line.catalog_item_id for line in draft.current_lines])
    if answer is None:  # the question's own message, beside it; nothing was written
        return _review_page(draft, royalty=entry, status=422)
    outcome = run_change(
        lambda: ordering.place_draft(
            draft,
            actor=actor(),
            now=clock.now(),
            request_id=g.request_id,
            expected_version=form.version.data,
            royalty=answer,
        )
    )
    if not outcome.ok:  # nothing was written, not even an order number
        flash(outcome.message, "error")
        return redirect_to(url_for("ordering.review", draft_id=draft.id))
    order = outcome.result()
    flash(placed_message(order), "status")
    return redirect_to(url_for("orders.summary", number=order.number))


# --- Cancel (discard) the draft --------------------------------------------------------------------


def _step_from_args() -> str:
    step = request.args.get("step", "")
    return step if step in dict(STEPS) else "sections"


@bp.route("/drafts/<int:draft_id>/cancel")
@draft_guard(draft_owner_decision)
def confirm_discard(draft: Order):
    """Ask before discarding: an inline prompt for htmx, its own page without JavaScript."""
    if draft.status is OrderStatus.RETURNED:  # numbered, with a history: withdrawn by the order's cancel flow
        return redirect_to(url_for("orders.confirm_cancel", number=draft.number))
    context = dict(_step_context(draft, _step_from_args()))
    template = "ordering/_confirm_discard.html" if is_htmx() else "ordering/confirm_discard.html"
    return render_template(template, **context)


@bp.route("/drafts/<int:draft_id>/cancel", methods=["POST"])
@draft_guard(draft_owner_decision)
def discard(draft: Order):
    """Discard the draft (no order number, no email), then back to the Courses screen with a banner."""
    changed = run_change(
        lambda: ordering.discard_draft(draft, actor=actor(), now=clock.now(), request_id=g.request_id)
    ).result()
    if not changed:
        raise ordering.DraftClosed(draft)
    flash(
        f"Your draft order for {draft.course.code} {draft.course.title}, {draft.term.name} was canceled. "
        "Nothing was ordered.",
        "status",
    )
    return redirect_to(url_for("courses.index"))

"""Placed orders: the summary and the cancel flow."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, g, redirect, render_template, request, url_for

from orders import clock
from orders.domain.catalog.search import MIN_SEARCH_LENGTH, search_catalog
from orders.domain.costs import other_costs
from orders.domain.institution import institution, local_time
from orders.domain.lookups import order_events
from orders.domain.models import Order, OrderStatus, Requirement
from orders.domain.ordering import editing, pending_edits
from orders.domain.ordering.canceling import already_canceled_notice, cancel_order
from orders.domain.ordering.reorder import reordered_from_number
from orders.domain.refusals import Refused, StaleOrder, parse_requirement
from orders.domain.rules import (
    add_sections_decision,
    cancel_decision,
    cancel_route_decision,
    edit_decision,
    edit_route_decision,
    view_decision,
)
from orders.domain.students.counts import section_student_counts
from orders.web.back_link import back_link
from orders.web.changes import run_change
from orders.web.forms import EmptyForm, VersionedConfirmForm
from orders.web.guards import actor, order_guard
from orders.web.htmx import is_htmx, redirect_to, render_page_or_fragment
from orders.web.other_costs import OtherCostForm, costs_context
from orders.web.parsing import parse_id
from orders.web.royalty_form import read_royalty
from orders.web.screens.orders import bp
from orders.web.screens.orders.review_panel import edit_review_context, review_context
from orders.web.title_request import request_a_title


def summary_context(order: Order, **extra) -> dict:
    """What the summary page and its htmx fragment render from."""
    now = clock.now()
    events = order_events(order)
    return dict(
        order=order,
        events=events,
        **review_context(order, events, actor()),
        decision=cancel_decision(actor(), order, now),
        edit=edit_decision(actor(), order, now),
        institution=institution(),
        local_time=local_time,
        **back_context(),
        source_number=reordered_from_number(order),
        student_counts=section_student_counts(order, institution().program_mode),
        **extra,
    )


def _back() -> str | None:
    return request.args.get("back") or None


def back_context() -> dict:
    """The `back` parameter and the "Back to <instructor>'s courses" link the page shows from it."""
    back = request.args.get("back", "")
    return dict(back_query=back, back_link=back_link(back))


@bp.route("/orders/<int:number>")
@order_guard(view_decision)
def summary(order: Order):
    """The order summary: sections, materials, who placed it, history, and Cancel/Edit when allowed."""
    return render_page_or_fragment("orders/summary.html", "orders/_summary.html", **summary_context(order))


@bp.route("/orders/<int:number>/cancel")
@order_guard(cancel_route_decision)
def confirm_cancel(order: Order):
    """Ask for confirmation: an inline prompt for htmx, its own page without JavaScript."""
    if order.status is OrderStatus.CANCELED:
        flash(already_canceled_notice(order), "notice")
        return redirect(url_for("orders.summary", number=order.number, back=_back()), code=303)
    return render_page_or_fragment(
        "orders/confirm_cancel.html",
        "orders/_confirm_cancel.html",
        order=order,
        form=VersionedConfirmForm(version=order.version),
        **back_context(),
    )


@bp.route("/orders/<int:number>/cancel", methods=["POST"])
@order_guard(cancel_route_decision)
def cancel(order: Order):
    """Cancel the order once; repeats and races get the canceled order with a calm notice."""
    form = VersionedConfirmForm()
    if not form.validate_on_submit():
        flash("Your confirmation could not be checked. Please try again.", "error")
        return _after_cancel(order, status=400)

    def cancel_it() -> tuple[str, bool]:
        result = cancel_order(order, actor=actor(), now=clock.now(), request_id=g.request_id,
                              expected_version=form.version.data)
        return (
            f"Order #{order.number} was canceled." if result.changed else already_canceled_notice(order)
        ), result.changed

    outcome = run_change(cancel_it)
    if outcome.refusal is not None:  # a stale version: nothing was canceled
        flash(
            "This order changed while you were looking at it. Review it and cancel again if you still want to.",
            "notice",
        )
        return _after_cancel(order, status=outcome.refusal.status)
    notice, changed = outcome.result()
    flash(notice, "status" if changed else "notice")
    return _after_cancel(order)


def _after_cancel(order: Order, status: int = 200):
    """htmx: the summary swapped in with its banner; plain POST: 303 to the summary."""
    if is_htmx():
        return render_template("orders/_summary.html", **summary_context(order)), status
    return redirect(url_for("orders.summary", number=order.number, back=_back()), code=303)


# --- Edit order ------------------------------------------------------------------------------------


def edit_costs_context(order: Order, state: pending_edits.EditState, form: OtherCostForm | None = None) -> dict:
    """The pending edit's other required costs for templates/shared/_other_costs.html."""
    return costs_context(
        other_costs.pending_costs(order, state.costs, state.new_costs),
        form,
        url_for("orders.edit_add_other_cost", number=order.number),
        lambda key: url_for("orders.edit_remove_other_cost", number=order.number, key=key),
    )


def _edit_context(
    order: Order, query: str, *, full_page: bool = True, cost_form: OtherCostForm | None = None, **extra
) -> dict:
    """The edit page as this user's pending changes leave it (htmx fragments skip the sections form)."""
    now = clock.now()
    pending = pending_edits.find_pending(order, actor())
    state = pending_edits.pending_state(order, pending)
    lines = pending_edits.pending_lines(order, state)
    change = pending_edits.diff(order, state)
    stale = pending_edits.is_stale(order, pending)
    return dict(
        order=order,
        **edit_costs_context(order, state, cost_form),
        search=search_catalog(query),
        min_length=MIN_SEARCH_LENGTH,
        on_order=set(state.items),
        lines=lines,
        total=sum((line.student_price for line in lines), Decimal("0.00")),
        add_url=url_for("orders.edit_add_item", number=order.number),
        remove_url=lambda item_id: url_for("orders.edit_remove_item", number=order.number, item_id=item_id),
        requirement_url=lambda item_id: url_for("orders.edit_set_requirement", number=order.number, item_id=item_id),
        requirements=list(Requirement),
        requests=pending_edits.pending_requests(order, state),
        request_url=url_for("orders.edit_request", number=order.number),
        remove_request_url=lambda key: url_for("orders.edit_remove_request", number=order.number, key=key),
        section_choices=editing.addable_sections(order, actor(), now) if full_page else [],
        chosen_sections=set(state.sections),
        change=change,
        stale=stale,
        dropped=pending_edits.rebase(order, pending)[1] if stale and pending is not None else [],
        form=EmptyForm(),
        submit_form=VersionedConfirmForm(version=order.version),
        back_query=request.args.get("back", ""),
        **edit_review_context(order, actor(), pending, change, now, extra.pop("royalty", None)),
        **extra,
    )


@bp.route("/orders/<int:number>/edit")
@order_guard(edit_route_decision)
def edit(order: Order):
    """The edit page: sections, materials (search, Add, Remove), then Submit changes or Discard changes."""
    context = _edit_context(order, request.args.get("q", ""), full_page=not is_htmx())
    if is_htmx():
        return render_template("orders/_edit_response.html", announce_count=True, **context)
    return render_template("orders/edit.html", **context)


def _after_edit_change(order: Order, message: str, category: str):
    """htmx: the materials and the pending changes swapped in; a plain POST: 303 back to the edit page."""
    query = request.form.get("q", "")
    if is_htmx():
        context = _edit_context(order, query, full_page=False, message=message, category=category)
        return render_template("orders/_edit_response.html", **context), 422 if category == "error" else 200
    flash(message, category)
    return redirect(url_for("orders.edit", number=order.number, q=query.strip() or None), code=303)


def _pending_change(change) -> tuple[str, str]:
    """Run one change to the pending edit; (message, category) for the user."""
    # two tabs may make their first change at once: the other tab's row stands
    outcome = run_change(
        change, conflict="Your other tab changed this edit at the same moment. Check the list and try again."
    )
    return (outcome.result(), "status") if outcome.ok else (outcome.message, "error")


@bp.route("/orders/<int:number>/edit/items", methods=["POST"])
@order_guard(edit_route_decision)
def edit_add_item(order: Order):
    """Add a catalog item to the pending changes."""
    item_id = parse_id(request.form.get("item_id"))

    def change() -> str:
        if item_id is None:
            raise Refused("That item is not in the catalog. Search again and choose it from the results.")
        return f"Added {editing.add_item(order, actor(), item_id, clock.now()).title} (not yet submitted)."

    return _after_edit_change(order, *_pending_change(change))


@bp.route("/orders/<int:number>/edit/items/<int:item_id>/remove", methods=["POST"])
@order_guard(edit_route_decision)
def edit_remove_item(order: Order, item_id: int):
    """Take an item off the pending changes."""

    def change() -> str:
        item = editing.remove_item(order, actor(), item_id, clock.now())
        return f"Removed {item.title} (not yet submitted)." if item else "That item was not on this order."

    return _after_edit_change(order, *_pending_change(change))


@bp.route("/orders/<int:number>/edit/items/<int:item_id>/requirement", methods=["POST"])
@order_guard(edit_route_decision)
def edit_set_requirement(order: Order, item_id: int):
    """Mark an item of the pending changes required or recommended."""

    def change() -> str:
        requirement = parse_requirement(request.form.get("requirement"))
        item = editing.set_requirement(order, actor(), item_id, requirement, clock.now())
        return (
            f"{item.title} is {requirement.label.lower()} (not yet submitted)."
            if item
            else "That item is not on this order."
        )

    return _after_edit_change(order, *_pending_change(change))


@bp.route("/orders/<int:number>/edit/sections", methods=["POST"])
@order_guard(edit_route_decision)
def edit_sections(order: Order):
    """Choose the order's sections in the pending changes."""
    ids = [parse_id(value) for value in request.form.getlist("section")]

    def change() -> str:
        section_ids = [section_id for section_id in ids if section_id is not None]
        if len(section_ids) != len(ids):
            raise Refused("That section can't be put on this order. Choose from the list.")
        editing.set_sections(order, actor(), section_ids, clock.now())
        return "Sections saved (not yet submitted)."

    message, category = _pending_change(change)
    flash(message, category)
    return redirect(url_for("orders.edit", number=order.number), code=303)


@bp.route("/orders/<int:number>/edit/submit", methods=["POST"])
@order_guard(edit_route_decision)
def submit_edit(order: Order):
    """Apply the pending changes at once; a stale version applies nothing and shows the order as it is."""
    form = VersionedConfirmForm()
    if not form.validate_on_submit():
        flash("Your changes could not be checked. Review them and submit again.", "error")
        return redirect_to(url_for("orders.edit", number=order.number))
    number, version = order.number, form.seen_version()
    # The royalty question, asked when the change adds items (docs/spec.md §8): the service says when it was
    # required and unanswered, and checks that the answer names only the added items.
    answer, entry = read_royalty(request.form)
    if entry.answer and answer is None:  # a Yes without a line, or an estimate that is no amount
        return render_template("orders/edit.html", **_edit_context(order, "", royalty=entry)), 422
    outcome = run_change(
        lambda: editing.submit(
            order,
            actor=actor(),
            now=clock.now(),
            request_id=g.request_id,
            expected_version=version,
            royalty=answer,
        )
    )
    if not outcome.ok and outcome.message == editing.ROYALTY_UNANSWERED:
        entry.error = outcome.message
        return render_template("orders/edit.html", **_edit_context(order, "", royalty=entry)), 422
    if not outcome.ok:  # a rule said no, or someone changed the order at the same moment: nothing applied
        flash(outcome.message, "notice" if isinstance(outcome.refusal, StaleOrder) else "error")
        target = "orders.summary" if isinstance(outcome.refusal, StaleOrder) else "orders.edit"
        return redirect_to(url_for(target, number=number))
    done = outcome.result()
    category, target = SUBMIT_ANSWERS[done.result]
    flash(done.message, category)
    return redirect_to(url_for(target, number=number))


# How each outcome of a submit is told (the banner's kind) and where the user lands.
SUBMIT_ANSWERS = {
    editing.EditResult.APPLIED: ("status", "orders.summary"),
    editing.EditResult.UNCHANGED: ("notice", "orders.summary"),
    editing.EditResult.ALREADY_APPLIED: ("status", "orders.summary"),
    editing.EditResult.CHANGES_KEPT: ("notice", "orders.edit"),  # carried onto the order as it is now, for review
    editing.EditResult.CHANGES_DROPPED: ("notice", "orders.summary"),  # nothing of theirs still applies
    editing.EditResult.SUBMITTED: ("status", "orders.summary"),  # they wait for an approver (docs/spec.md §8)
    editing.EditResult.ALREADY_SUBMITTED: ("notice", "orders.summary"),
}


@bp.route("/orders/<int:number>/edit/discard", methods=["POST"])
@order_guard(view_decision)
def discard_edit(order: Order):
    """Drop the pending changes (withdrawing them when they await approval); the order stays as it was."""
    run_change(lambda: editing.discard(order, actor()))
    flash("Your changes were discarded. The order is as it was.", "status")
    return redirect_to(url_for("orders.summary", number=order.number))


# --- Request a title while editing a placed order --------------------------------------------------


@bp.route("/orders/<int:number>/edit/request-title", methods=["GET", "POST"])
@order_guard(edit_route_decision)
def edit_request(order: Order):
    """Request a title as part of the pending changes to a placed order."""
    return request_a_title(
        lambda wanted: editing.add_request(order, actor(), wanted, clock.now()),
        added="Requested “{title}” (not yet submitted).",
        action=url_for("orders.edit_request", number=order.number),
        back=url_for("orders.edit", number=order.number),
        add_url=url_for("orders.edit_add_item", number=order.number),
        heading=f"Request a title for order #{order.number}",
    )


@bp.route("/orders/<int:number>/edit/requests/<key>/remove", methods=["POST"])
@order_guard(edit_route_decision)
def edit_remove_request(order: Order, key: str):
    """Take a content request off the pending changes."""
    outcome = run_change(
        lambda: editing.remove_request(order, actor(), key[:40], clock.now()),
        conflict="Your other tab changed this edit at the same moment. Try again.",
    )
    if outcome.ok:
        title = outcome.value
        flash(
            f"Removed the request for “{title}” (not yet submitted)."
            if title
            else "That request was not on this order.",
            "status",
        )
    else:
        flash(outcome.message, "error")
    return redirect(url_for("orders.edit", number=order.number), code=303)


# --- Add sections ----------------------------------------------------------------------------------


@bp.route("/orders/<int:number>/add-sections")
@order_guard(add_sections_decision)
def add_sections_form(order: Order):
    """Choose sections of the same course and term to put on this placed order."""
    on_order = {s.id for s in order.sections}
    choices = [s for s in editing.addable_sections(order, actor(), clock.now()) if s.id not in on_order]
    return render_template(
        "orders/add_sections.html",
        order=order,
        choices=choices,
        form=VersionedConfirmForm(version=order.version),
        **back_context(),
    )


@bp.route("/orders/<int:number>/add-sections", methods=["POST"])
@order_guard(add_sections_decision)
def add_sections(order: Order):
    """Put the chosen sections on the order: the same materials now cover them."""
    form = VersionedConfirmForm()
    number = order.number
    if not form.validate_on_submit():
        flash("Your choice could not be checked. Choose the sections again.", "error")
        return redirect(url_for("orders.add_sections_form", number=number), code=303)
    ids, version = [parse_id(value) for value in request.form.getlist("section")], form.seen_version()

    def add() -> editing.EditOutcome:
        section_ids = [section_id for section_id in ids if section_id is not None]
        if len(section_ids) != len(ids):
            raise Refused("That section can't be added to this order. Choose from the list.")
        return editing.add_sections(
            order, section_ids, actor=actor(), now=clock.now(), request_id=g.request_id, expected_version=version
        )

    outcome = run_change(add)
    if not outcome.ok:  # StaleOrder included: nothing was applied
        flash(outcome.message, "error")
        return redirect(url_for("orders.add_sections_form", number=number), code=303)
    flash(outcome.result().message, "status")
    return redirect(url_for("orders.summary", number=number), code=303)

"""Other required costs while editing a placed order (docs/spec.md §10): part of the user's pending changes, applied
on "Submit changes" with its version check, its `edited` event and its "Order #N changed" email."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from orders import clock
from orders.domain.formats.money import money
from orders.domain.models import Order
from orders.domain.ordering import editing, pending_edits
from orders.domain.rules import edit_route_decision
from orders.web.changes import run_change
from orders.web.guards import actor, order_guard
from orders.web.htmx import is_htmx
from orders.web.other_costs import REFUSED, OtherCostForm, submitted_cost
from orders.web.screens.orders import bp
from orders.web.screens.orders.views import _edit_context, edit_costs_context

TWO_TABS = "Your other tab changed this edit at the same moment. Check the list and try again."


@bp.route("/orders/<int:number>/edit/other-costs", methods=["POST"])
@order_guard(edit_route_decision)
def edit_add_other_cost(order: Order):
    """Add an other required cost to the pending changes; a field that is wrong says so and nothing is saved."""
    form = OtherCostForm()
    cost = submitted_cost(form)
    if cost is None:
        return _answer(order, REFUSED, "error", form=form, status=422)
    outcome = run_change(lambda: editing.add_cost(order, actor(), cost, clock.now()), conflict=TWO_TABS)
    if not outcome.ok:
        return _answer(order, outcome.message, "error", status=outcome.refusal.status if outcome.refusal else 409)
    if outcome.value:
        return _answer(order, f"Added {cost.description} ({money(cost.amount)}) (not yet submitted).", "status")
    return _answer(order, f"{cost.description} ({money(cost.amount)}) is already on this order.", "status")


@bp.route("/orders/<int:number>/edit/other-costs/<key>/remove", methods=["POST"])
@order_guard(edit_route_decision)
def edit_remove_other_cost(order: Order, key: str):
    """Take an other required cost off the pending changes."""
    outcome = run_change(lambda: editing.remove_cost(order, actor(), key[:40], clock.now()), conflict=TWO_TABS)
    if not outcome.ok:
        return _answer(order, outcome.message, "error", status=outcome.refusal.status if outcome.refusal else 409)
    description = outcome.value
    return _answer(
        order,
        f"Removed {description} (not yet submitted)." if description else "That cost was not on this order.",
        "status",
    )


def _answer(order: Order, message: str, category: str, *, form: OtherCostForm | None = None, status: int = 200):
    """htmx: the costs and the pending changes swapped in with the message; without JavaScript a wrong field
    re-renders the edit page with its message (nothing saved), anything else is a 303 back to it."""
    if is_htmx():
        state = pending_edits.pending_state(order, pending_edits.find_pending(order, actor()))
        return render_template(
            "orders/_other_costs_response.html",
            message=message,
            category=category,
            change=pending_edits.diff(order, state),
            **edit_costs_context(order, state, form),
        ), status
    flash(message, category)
    if form is not None and (form.description.errors or form.amount.errors):
        return render_template("orders/edit.html", **_edit_context(order, "", cost_form=form)), status
    return redirect(url_for("orders.edit", number=order.number) + "#other-costs", code=303)

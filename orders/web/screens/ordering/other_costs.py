"""Other required costs on a draft's materials step (docs/spec.md §10): add one, remove one."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from orders import clock
from orders.domain.costs import other_costs
from orders.domain.formats.money import money
from orders.domain.models import Order
from orders.domain.rules import draft_owner_decision
from orders.web.changes import run_change
from orders.web.guards import draft_guard
from orders.web.htmx import is_htmx
from orders.web.other_costs import REFUSED, OtherCostForm, submitted_cost
from orders.web.screens.ordering import bp
from orders.web.screens.ordering.views import _materials_context, draft_costs_context

TWO_TABS = "Your other tab changed this draft at the same moment. Check it and try again."


@bp.route("/drafts/<int:draft_id>/other-costs", methods=["POST"])
@draft_guard(draft_owner_decision)
def add_other_cost(draft: Order):
    """Add an other required cost; a field that is wrong says so and nothing is saved."""
    form = OtherCostForm()
    cost = submitted_cost(form)
    if cost is None:
        return _answer(draft, REFUSED, "error", form=form, status=422)
    outcome = run_change(lambda: other_costs.add_to_draft(draft, cost, clock.now()), conflict=TWO_TABS)
    if not outcome.ok:
        return _answer(draft, outcome.message, "error", status=outcome.refusal.status if outcome.refusal else 409)
    found, added = outcome.result()
    if added:
        return _answer(draft, f"Added {found.description} ({money(found.amount)}).", "status")
    return _answer(draft, f"{found.description} ({money(found.amount)}) is already on this order.", "status")


@bp.route("/drafts/<int:draft_id>/other-costs/<int:cost_id>/remove", methods=["POST"])
@draft_guard(draft_owner_decision)
def remove_other_cost(draft: Order, cost_id: int):
    """Take an other required cost off the draft (a second click finds it gone and says so)."""
    outcome = run_change(lambda: other_costs.remove_from_draft(draft, cost_id, clock.now()), conflict=TWO_TABS)
    if not outcome.ok:
        return _answer(draft, outcome.message, "error", status=outcome.refusal.status if outcome.refusal else 409)
    removed = outcome.value
    return _answer(
        draft, f"Removed {removed.description}." if removed else "That cost was not on this order.", "status"
    )


def _answer(draft: Order, message: str, category: str, *, form: OtherCostForm | None = None, status: int = 200):
    """htmx: the costs swapped in with the message; without JavaScript a wrong field re-renders the page with its
    message (nothing saved), anything else is a 303 back to the materials step with a banner."""
    if is_htmx():
        return render_template(
            "ordering/_other_costs_response.html",
            message=message,
            category=category,
            **draft_costs_context(draft, form),
        ), status
    if form is not None and (form.description.errors or form.amount.errors):
        flash(message, category)
        return render_template("ordering/materials.html", **_materials_context(draft, "", cost_form=form)), status
    flash(message, category)
    return redirect(url_for("ordering.materials", draft_id=draft.id) + "#other-costs", code=303)

"""Other required costs on the materials step (docs/spec.md §10), shared by a draft's ordering step and a placed
order's edit page: the form, its field messages, and what the partial templates/shared/_other_costs.html reads."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from wtforms import StringField
from wtforms.validators import Length

from orders.domain.costs.fields import CostFields, parse_cost
from orders.web.forms import Form


class OtherCostForm(Form):
    """A description and an amount; the rules (and their messages) are orders.domain.costs.fields's."""

    description = StringField(
        "Description", validators=[Length(max=1000, message="Keep the description under 200 characters.")]
    )
    amount = StringField(
        "Amount (US dollars)", validators=[Length(max=100, message="Enter the amount in dollars, like 15.00.")]
    )


REFUSED = "Nothing was added: correct the cost below."


def submitted_cost(form: OtherCostForm) -> CostFields | None:
    """The form's cost when the lengths and the cost rules pass; else None, with each field's message set.
    (CSRF is checked for every POST before any view runs: orders.web.errors answers a missing token.)"""
    if not form.validate_on_submit():
        return None
    cost, errors = parse_cost(form.description.data, form.amount.data)
    for name, message in errors.items():
        form[name].errors = [message]
    return cost


def costs_context(costs: Iterable, form: OtherCostForm | None, add_url: str, remove_url: Callable[[str], str]) -> dict:
    """What the partial reads: the costs (each with key, description, amount), the form, the add and remove URLs."""
    return dict(
        other_costs=list(costs),
        cost_form=form if form is not None else OtherCostForm(formdata=None),
        add_cost_url=add_url,
        remove_cost_url=remove_url,
    )

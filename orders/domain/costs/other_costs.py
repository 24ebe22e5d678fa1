"""Other required costs on an order (docs/spec.md §10): a description and an amount that apply to every section.

On a draft they change directly, through the draft's versioned changes (revise_draft). On a placed order they
are part of the user's pending edit (orders/domain/ordering/pending_edits.py: the state keeps the ids of the
costs it keeps and the new ones as typed) and change on "Submit changes", with its version check, its
`edited` event and its "Order #N changed" email. They are disclosed, never billed through this program and
never a student choice: neither the billing feed nor the order feed reads them.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, literal, null, select, union_all

from orders.domain.costs.fields import MAX_COSTS_PER_ORDER, CostFields, check_cost
from orders.domain.lines import order_lines
from orders.domain.models import Order, OrderStatus, OtherCost, Requirement
from orders.domain.refusals import DraftClosed, Refused
from orders.domain.transitions import revise_draft
from orders.extensions import db


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _room_for_one_more(count: int) -> None:
    if count >= MAX_COSTS_PER_ORDER:
        raise Refused(f"An order can list at most {MAX_COSTS_PER_ORDER} other required costs.")


def _already(description: str, amount: Decimal, on_order: Iterable[tuple[str, Decimal]]) -> bool:
    """True when exactly this cost is already there (a double submit: nothing to do); a refusal when the same
    description stands there with another amount (which of the two is meant is the user's to say)."""
    for other_description, other_amount in on_order:
        if _same(other_description, description):
            if other_amount == amount:
                return True
            raise Refused(
                f"“{other_description}” is already on this order at a different amount. Remove it first to change it."
            )
    return False


# --- A draft ---------------------------------------------------------------------------------------


def add_to_draft(draft: Order, cost: CostFields, now) -> tuple[OtherCost, bool]:
    """Put a cost on the draft; returns (the cost, added). The same cost twice (a double click) is added once."""
    if draft.status is not OrderStatus.DRAFT:
        raise DraftClosed(draft)
    check_cost(cost)
    existing = list(draft.other_costs)
    if _already(cost.description, cost.amount, ((c.description, c.amount) for c in existing)):
        return next(c for c in existing if _same(c.description, cost.description)), False
    _room_for_one_more(len(existing))
    added = OtherCost(
        description=cost.description, amount=cost.amount, position=max((c.position for c in existing), default=-1) + 1
    )
    draft.other_costs.append(added)
    revise_draft(draft, now)
    return added, True


def remove_from_draft(draft: Order, cost_id: int, now) -> OtherCost | None:
    """Take a cost off the draft; returns it, or None when it was not there (a second click)."""
    if draft.status is not OrderStatus.DRAFT:
        raise DraftClosed(draft)
    found = next((c for c in draft.other_costs if c.id == cost_id), None)
    if found is None:
        return None
    draft.other_costs.remove(found)
    revise_draft(draft, now)
    return found


# --- A placed order's pending edit -----------------------------------------------------------------


@dataclass(frozen=True)
class PendingCost:
    """A cost as the edit page lists it: `key` is c<id> for one on the order, else the new one's key."""

    key: str
    description: str
    amount: Decimal
    new: bool = False


def pending_costs(order: Order, kept: list[int], new: list[dict]) -> list[PendingCost]:
    """The costs the pending edit would leave on the order, in order: kept ones, then new ones."""
    return [PendingCost(f"c{c.id}", c.description, c.amount) for c in order.other_costs if c.id in kept] + [
        PendingCost(d["key"], d["description"], Decimal(d["amount"]), new=True) for d in new
    ]


def add_to_pending(order: Order, kept: list[int], new: list[dict], cost: CostFields) -> bool:
    """Put a cost on the pending edit's lists (changed in place); False when exactly it is already there."""
    check_cost(cost)
    listed = pending_costs(order, kept, new)
    if _already(cost.description, cost.amount, ((c.description, c.amount) for c in listed)):
        return False
    _room_for_one_more(len(listed))
    new.append(dict(cost.as_json(), key=uuid.uuid4().hex[:12]))
    return True


def remove_from_pending(order: Order, kept: list[int], new: list[dict], key: str) -> str | None:
    """Take a cost off the pending edit's lists (changed in place); its description, or None when not there."""
    for cost in order.other_costs:
        if key == f"c{cost.id}" and cost.id in kept:
            kept.remove(cost.id)
            return cost.description
    found = next((d for d in new if d.get("key") == key), None)
    if found is None:
        return None
    new.remove(found)
    return str(found["description"])


@dataclass
class CostChange:
    """What a submit would do to the order's other required costs."""

    added: list[CostFields] = field(default_factory=list)
    removed: list[OtherCost] = field(default_factory=list)

    def details(self) -> dict:
        """The `edited` event's record of it (absent when nothing changed, so other events keep their shape)."""
        found = {}
        if self.added:
            found["added_costs"] = [c.as_json() for c in self.added]
        if self.removed:
            found["removed_costs"] = [
                {"id": c.id, "description": c.description, "amount": str(c.amount)} for c in self.removed
            ]
        return found


def cost_change(order: Order, kept: list[int], new: list[dict]) -> CostChange:
    """Compare the pending lists with the order as it is."""
    return CostChange(
        added=[CostFields.from_json(d) for d in new],
        removed=[c for c in order.other_costs if c.id not in kept],
    )


def carry_over(
    order: Order, base: list[int], kept: list[int], new: list[dict]
) -> tuple[list[int], list[dict], list[str]]:
    """The user's cost changes (made against the order as it was, `base`) carried onto the order as it is now:
    (kept ids, new costs, in words those that no longer apply)."""
    now_ids = [c.id for c in order.other_costs]
    described = {c.id: c.description for c in order.other_costs}
    result, dropped = list(now_ids), []
    for cost_id in [i for i in base if i not in kept]:
        if cost_id in result:
            result.remove(cost_id)
        else:
            dropped.append("removing an other required cost (someone else already removed it)")
    carried = []
    for wanted in new:
        if any(_same(described[i], wanted["description"]) for i in result):
            dropped.append(f"adding “{wanted['description']}” (someone else already added it)")
        else:
            carried.append(wanted)
    return result, carried, dropped


def apply(order: Order, change: CostChange) -> None:
    """Submit: removed costs go (the edited event keeps what they were), added ones join at the end."""
    for gone in change.removed:
        order.other_costs.remove(gone)
    position = max((c.position for c in order.other_costs), default=-1)
    for wanted in change.added:
        position += 1
        order.other_costs.append(OtherCost(description=wanted.description, amount=wanted.amount, position=position))


def copy_for(order: Order) -> list[OtherCost]:
    """The order's costs as new rows for another order (Reorder copies them with the catalog items)."""
    return [OtherCost(description=c.description, amount=c.amount, position=c.position) for c in order.other_costs]


def snapshot(order: Order) -> list[dict]:
    """The order's costs as plain values for an email snapshot (the amount as exact decimal text)."""
    return [{"description": c.description, "amount": str(c.amount)} for c in order.other_costs]


# --- Reading many orders at once -------------------------------------------------------------------


@dataclass
class OrderCostFacts:
    """What the estimate needs of an order besides the lines a page already read: its other required costs,
    and whether a required title of it is still to be determined (a content request being researched)."""

    number: int | None = None  # the order's number
    costs: list[tuple[str, Decimal]] = field(default_factory=list)
    pending_required: bool = False


def cost_facts_query(order_ids: Select, *, pending_lines: bool = True) -> Select:
    """SQL: rows (order_id, number, description, amount, pending) for the orders `order_ids` selects: one per other
    required cost, and (unless the caller reads the lines itself) one per required line still to be determined
    (orders/domain/lines.py, pending)."""
    costs = (
        select(
            OtherCost.order_id.label("order_id"),
            Order.number.label("number"),
            OtherCost.description.label("description"),
            OtherCost.amount.label("amount"),
            literal(0).label("pending"),
            OtherCost.position.label("position"),
        )
        .join(Order, Order.id == OtherCost.order_id)
        .where(OtherCost.order_id.in_(order_ids))
    )
    if not pending_lines:
        return costs.order_by(OtherCost.order_id, OtherCost.position)
    line = order_lines(order_ids, pending=True)
    pending = (
        select(
            line.c.order_id,
            Order.number,
            null(),
            null(),
            literal(1),
            line.c.position,
        )
        .join(Order, Order.id == line.c.order_id)
        .where(line.c.pending == 1, line.c.requirement == Requirement.REQUIRED)
    )
    both = union_all(costs, pending).subquery("cost_fact")  # the first SELECT names the columns and types the amount
    return select(*both.c).order_by(both.c.order_id, both.c.pending, both.c.position)


def fold_facts(rows) -> dict[int, OrderCostFacts]:
    """The rows of cost_facts_query by order."""
    facts: dict[int, OrderCostFacts] = {}
    for row in rows:
        found = facts.setdefault(row.order_id, OrderCostFacts(row.number))
        if row.pending:
            found.pending_required = True
        else:
            found.costs.append((row.description, Decimal(row.amount).quantize(Decimal("0.01"))))
    return facts


def cost_facts(order_ids: Select, *, pending_lines: bool = True) -> dict[int, OrderCostFacts]:
    """One query: the facts of every order `order_ids` selects (orders without any are absent)."""
    return fold_facts(db.session.execute(cost_facts_query(order_ids, pending_lines=pending_lines)))

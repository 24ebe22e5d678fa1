"""A section's estimated required cost and its label (docs/spec.md §10): one rule, its SQL twin beside it.

Estimated required cost = the student prices of the section's required lines (each catalog item once:
orders/domain/lines.py; a zero-cost item is free) + the order's other required costs. Recommended lines are
summed apart and never count. The estimate is not known (None) while the section has no placed order and no
"no materials needed" answer, or while a required title is still to be determined (a content request being
researched), or when its placed order counts no line at all. A known estimate of exactly zero is "Zero textbook
cost" (a section answered "no materials needed" is one); one above zero and at or below the institution's
threshold is "Low cost" (no threshold set: no such label).

Every page and export asks `estimate` (the public lookup, its CSV and JSON, the student page); the public
lookup's label filter asks `label_clause`, the same rule in SQL, which a test holds to the Python one.
Amounts are Decimal and exact here: nothing is rounded (orders/domain/formats/money.py shows them).
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, false, func, or_, select
from sqlalchemy.orm import aliased

from orders.domain.lines import order_lines
from orders.domain.models import CatalogItem, OtherCost, Requirement

ZERO = Decimal("0.00")


class CostLabel(enum.Enum):
    ZERO_TEXTBOOK_COST = "zero_textbook_cost"
    LOW_COST = "low_cost"

    @property
    def label(self) -> str:
        return "Zero textbook cost" if self is CostLabel.ZERO_TEXTBOOK_COST else "Low cost"


class Disclosure(enum.Enum):
    """What is known of a section's materials."""

    ORDERED = "ordered"  # on a placed order
    NO_MATERIALS = "no_materials"  # answered "no materials needed", on no placed order
    NOT_YET = "not_yet"  # neither


@dataclass(frozen=True)
class CostLine:
    """One line of a section as the estimate reads it: `price` None while the title is still to be determined."""

    requirement: Requirement
    price: Decimal | None
    zero_cost: bool = False


@dataclass(frozen=True)
class CostEstimate:
    """A section's estimate: `required` None while it is not known; `recommended` summed apart."""

    required: Decimal | None
    recommended: Decimal | None
    other: Decimal  # the other required costs included in `required`
    label: CostLabel | None
    pending: bool = False  # a required title is still to be determined

    @property
    def known(self) -> bool:
        return self.required is not None


UNKNOWN = CostEstimate(None, None, ZERO, None)


def label_for(required: Decimal, threshold: Decimal | None) -> CostLabel | None:
    """The label of a known estimate."""
    if required == ZERO:
        return CostLabel.ZERO_TEXTBOOK_COST
    if threshold is not None and required <= threshold:
        return CostLabel.LOW_COST
    return None


def estimate(disclosure: Disclosure, lines: Iterable[CostLine], other_costs: Iterable[Decimal],
             threshold: Decimal | None) -> CostEstimate:
    """The section's estimated required cost and label, from its lines and its order's other required costs."""
    if disclosure is Disclosure.NO_MATERIALS:
        return CostEstimate(ZERO, ZERO, ZERO, CostLabel.ZERO_TEXTBOOK_COST)
    if disclosure is Disclosure.NOT_YET:
        return UNKNOWN
    lines = list(lines)
    other = sum(other_costs, ZERO)
    if not lines:  # a placed order that counts no line (say, only denied requests) tells nothing yet
        return CostEstimate(None, None, other, None)
    required = [line for line in lines if line.requirement is Requirement.REQUIRED]
    recommended = sum(
        (_price(line) for line in lines if line.requirement is Requirement.RECOMMENDED and line.price is not None), ZERO
    )
    if any(line.price is None for line in required):
        return CostEstimate(None, recommended, other, None, pending=True)
    total = sum((_price(line) for line in required), ZERO) + other
    return CostEstimate(total, recommended, other, label_for(total, threshold))


def _price(line: CostLine) -> Decimal:
    """What a student pays for the line: nothing for a zero-cost (OER) item."""
    return ZERO if line.zero_cost or line.price is None else line.price


# --- The same rule in SQL (the public lookup's label filter) -----------------------------------------


def _cents(amount) -> ColumnElement:
    """Whole cents as an integer: exact on PostgreSQL's numeric and on SQLite's floating point alike."""
    return cast(func.round(amount * 100), Integer)


def order_totals(order_ids: Select):
    """SQL: per order of `order_ids` with at least one line: required cents (lines + other costs), whether a
    required line is still to be determined, and how many lines it counts (orders/domain/lines.py)."""
    line = order_lines(order_ids, pending=True)
    item = aliased(CatalogItem, name="estimate_item")
    required = line.c.requirement == Requirement.REQUIRED
    priced = and_(required, line.c.pending == 0, item.zero_cost.is_(False))
    lines = (
        select(
            line.c.order_id.label("order_id"),
            func.sum(case((priced, _cents(func.coalesce(line.c.price, item.student_price))), else_=0)).label(
                "line_cents"
            ),
            func.max(case((and_(required, line.c.pending == 1), 1), else_=0)).label("pending_required"),
            func.count().label("lines"),
        )
        .select_from(line)
        .outerjoin(item, item.id == line.c.item_id)
        .group_by(line.c.order_id)
        .subquery("order_lines_total")
    )
    others = (
        select(OtherCost.order_id.label("order_id"), func.sum(_cents(OtherCost.amount)).label("other_cents"))
        .where(OtherCost.order_id.in_(order_ids))
        .group_by(OtherCost.order_id)
        .subquery("order_other_total")
    )
    return (
        select(
            lines.c.order_id,
            lines.c.pending_required,
            lines.c.lines,
            (func.coalesce(lines.c.line_cents, 0) + func.coalesce(others.c.other_cents, 0)).label("required_cents"),
        )
        .select_from(lines)
        .outerjoin(others, others.c.order_id == lines.c.order_id)
        .subquery("order_total")
    )


def label_clause(
    label: CostLabel, totals, *, ordered: ColumnElement[bool], answered: ColumnElement[bool], threshold: Decimal | None
) -> ColumnElement[bool]:
    """SQL: a section has `label`, given its placed order's row of `order_totals` (outer-joined: NULL when it has
    none), whether it is on a placed order and whether it was answered "no materials needed"."""
    known = and_(ordered, totals.c.lines > 0, totals.c.pending_required == 0)
    if label is CostLabel.ZERO_TEXTBOOK_COST:
        return or_(and_(~ordered, answered), and_(known, totals.c.required_cents == 0))
    if threshold is None:
        return false()  # no threshold, no "Low cost"
    cents = int(threshold * 100)
    return and_(known, totals.c.required_cents > 0, totals.c.required_cents <= cents)

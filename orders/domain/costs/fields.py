"""An other required cost as typed: one parser and one set of messages for the ordering step and the edit page.

Money is Decimal from the text on: nothing is rounded here (more than two decimals is refused, not rounded),
so the only rounding anywhere is the display's (orders/domain/formats/money.py), and it changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from orders.domain.formats.text import clean_line
from orders.domain.refusals import RuleBroken

MAX_AMOUNT = Decimal("10000.00")
MAX_DESCRIPTION = 200
MAX_COSTS_PER_ORDER = 20
# Whole dollars with or without thousands commas, then any decimals (their count is checked apart, to say so).
_AMOUNT = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]*))?$")
_MINUS = ("-", "\u2212", "\u2013")  # hyphen-minus, the minus sign, an en dash typed as one


@dataclass(frozen=True)
class CostFields:
    """A valid other required cost: a visible description and 0 <= amount <= $10,000.00 with at most two decimals."""

    description: str
    amount: Decimal

    def as_json(self) -> dict:
        # The amount as its exact decimal text (JSON has no Decimal).
        return {"description": self.description, "amount": str(self.amount)}

    @classmethod
    def from_json(cls, data: dict) -> CostFields:
        return cls(str(data["description"]), Decimal(str(data["amount"])))


def parse_description(raw: str | None) -> tuple[str | None, str | None]:
    """(description, None) or (None, why): required, one line, visible, at most 200 characters."""
    value = " ".join(clean_line(raw).split())
    if not value:
        return None, "Describe the cost, like “Graphing calculator” or “Courseware access fee”."
    if len(value) > MAX_DESCRIPTION:
        return None, f"Keep the description under {MAX_DESCRIPTION} characters."
    return value, None


def parse_amount(raw: str | None, noun: str = "An other required cost") -> tuple[Decimal | None, str | None]:
    """(amount, None) or (None, why): dollars like 15, 15.00, $1,200.50; never negative, at most two decimals,
    at most $10,000.00 (`noun` names the amount in that message)."""
    value = clean_line(raw).replace(" ", "")
    if not value:
        return None, "Enter the amount in dollars, like 15.00."
    unsigned = value.removeprefix("$")
    if unsigned.startswith(_MINUS) or value.startswith(_MINUS):
        return None, "The amount can't be negative."
    found = _AMOUNT.match(unsigned)
    if found is None:
        return None, "Enter the amount as a number of dollars, like 15.00."
    decimals = found.group(1)
    if decimals is not None and len(decimals) > 2:
        return None, "Enter at most two decimals (dollars and cents), like 15.99."
    amount = Decimal(unsigned.replace(",", "").rstrip("."))
    if amount > MAX_AMOUNT:
        return None, f"{noun} can be at most $10,000.00."
    return amount.quantize(Decimal("0.01")), None


def parse_cost(description: str | None, amount: str | None) -> tuple[CostFields | None, dict[str, str]]:
    """Both fields checked; the cost, or the message of each field that is wrong."""
    text, text_problem = parse_description(description)
    value, value_problem = parse_amount(amount)
    errors = {name: problem for name, problem in (("description", text_problem), ("amount", value_problem)) if problem}
    if errors or text is None or value is None:
        return None, errors
    return CostFields(text, value), {}


def check_cost(cost: CostFields) -> None:
    """Services re-check a cost they are handed (they may be called from anywhere): the same rule, as a refusal."""
    fields, errors = parse_cost(cost.description, str(cost.amount))
    if fields is None or fields != cost:
        raise RuleBroken(" ".join(errors.values()) or "That cost can't be added. Check the description and the amount.")

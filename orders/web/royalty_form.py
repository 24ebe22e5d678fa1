"""The royalty question as a form (docs/spec.md §8), on "Place order" and on "Submit changes" that add an item.

Plain inputs read from the request, so the same fields work without JavaScript: `royalty` (yes / no, required),
`royalty_item` (the lines a Yes names, one checkbox each) and `royalty_estimate_<item id>` (the estimated royalty
per copy, optional). A refused answer comes back with its message and what was typed, for the page to show again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from orders.domain.catalog.fields import parse_optional_amount
from orders.domain.review.royalty import QUESTION, RoyaltyAnswer
from orders.web.parsing import parse_id

UNANSWERED = "Answer the question: Yes or No."
NO_LINE = "You answered Yes: choose the materials an instructor wrote or edited, or earns a royalty from."


@dataclass
class RoyaltyEntry:
    """What the user entered (to show it again) and what was wrong with it."""

    answer: str = ""  # "yes", "no" or "" (not answered)
    items: set[int] = field(default_factory=set)
    estimates: dict[int, str] = field(default_factory=dict)
    error: str = ""
    question: str = QUESTION

    @classmethod
    def of(cls, answer: RoyaltyAnswer | None) -> RoyaltyEntry:
        """An earlier answer, to start from (an order returned to its placer)."""
        if answer is None:
            return cls()
        return cls("yes" if answer.authored else "no", set(answer.items),
                   {k: ("" if v is None else f"{v:.2f}") for k, v in answer.items.items()})


MAX_LINES = 200  # more checkboxes than any order has lines: the rest are not read


def read_royalty(
    form: MultiDict[str, str], offered: list[int] | None = None
) -> tuple[RoyaltyAnswer | None, RoyaltyEntry]:
    """The answer from the submitted form, or None with the entry's error. `offered`: the lines it may name (None:
    whatever it names, which the service then checks against the lines it asks about)."""
    raw = (form.get("royalty") or "").strip().lower()
    named = [i for i in (parse_id(v) for v in form.getlist("royalty_item")[:MAX_LINES]) if i is not None]
    chosen = {i for i in named if offered is None or i in offered}
    estimates = {
        i: (form.get(f"royalty_estimate_{i}") or "")[:40] for i in (offered if offered is not None else chosen)
    }
    entry = RoyaltyEntry(raw if raw in ("yes", "no") else "", chosen, estimates)
    if entry.answer == "":
        entry.error = UNANSWERED
        return None, entry
    if entry.answer == "no":
        return RoyaltyAnswer(False), entry
    if not chosen:
        entry.error = NO_LINE
        return None, entry
    amounts: dict[int, Decimal | None] = {}
    for item_id in sorted(chosen):
        amount, problem = parse_optional_amount(estimates.get(item_id, ""), "The estimated royalty per copy")
        if problem:
            entry.error = problem
            return None, entry
        amounts[item_id] = amount
    return RoyaltyAnswer(True, amounts), entry

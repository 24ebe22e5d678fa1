"""The royalty question's answer (docs/spec.md §8): Yes or No, and with Yes which lines and their estimated royalty."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from orders.domain.refusals import Refused

QUESTION = (
    "Did an instructor of this course write or edit any of these materials, or does anyone teaching it "
    "earn a royalty from them?"
)
MAX_ROYALTY = Decimal("100000")


@dataclass(frozen=True)
class RoyaltyAnswer:
    """Yes (`authored`) with the catalog items it names, each with its estimated royalty per copy (or None), or No."""

    authored: bool
    items: dict[int, Decimal | None] = field(default_factory=dict)

    def check(self, offered: Iterable[int]) -> RoyaltyAnswer:
        """Refuse an answer that names no line, or a line that is not among `offered` (the lines it may name)."""
        if not self.authored:
            return NO_ROYALTY
        offered = set(offered)
        if not self.items:
            raise Refused(
                "You answered Yes: choose the materials an instructor wrote or edited, or earns a royalty from."
            )
        if any(item_id not in offered for item_id in self.items):
            raise Refused("That material is not one of these. Choose from the list.")
        for estimate in self.items.values():
            if estimate is not None and not (Decimal(0) <= estimate <= MAX_ROYALTY):
                raise Refused("Enter the estimated royalty per copy as an amount like 4.50, or leave it empty.")
        return self

    def as_json(self) -> dict:
        """For a change's stored state (a pending edit): amounts as exact strings."""
        return {
            "authored": self.authored,
            "items": {str(k): (None if v is None else str(v)) for k, v in self.items.items()},
        }

    @classmethod
    def from_json(cls, data: dict | None) -> RoyaltyAnswer | None:
        if not data:
            return None
        items = {int(k): (None if v is None else Decimal(v)) for k, v in (data.get("items") or {}).items()}
        return cls(bool(data.get("authored")), items)

    def details(self, titles: dict[int, str]) -> dict:
        """The event's record of the answer (the order's history shows it)."""
        return {
            "authored": self.authored,
            "lines": [
                {"id": item_id, "title": titles.get(item_id, ""), "royalty_per_copy": None if v is None else str(v)}
                for item_id, v in self.items.items()
            ],
        }


NO_ROYALTY = RoyaltyAnswer(False)

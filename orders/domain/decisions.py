"""The one shape of every "may X": a Decision(allowed, reason), asked by templates, routes and services alike."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """A rule's answer; `reason` is what the user is told when it says no (pages, notices, 403s).

    Naming says which is which: `can_x` answers a bare bool (a button shown or not), `x_decision`
    answers a Decision. A rule with several reasons at once (placing a draft) lists them in `reasons`.
    """

    allowed: bool
    reason: str = ""
    reasons: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def refused(cls, reasons: list[str]) -> Decision:
        """No, for every one of `reasons`; yes when there are none."""
        return cls(False, " ".join(reasons), tuple(reasons)) if reasons else ALLOWED


ALLOWED = Decision(True)

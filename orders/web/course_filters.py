"""The Courses list's filter as it round-trips through the query string: shared by the screens that link to it."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from orders.domain.reach import UNASSIGNED
from orders.web.filters import QueryFilter, arg, choice, flag, identifier, identifiers, member, page, text

CURRENT_TERMS = "current"


class OrderState(enum.Enum):
    NOT_ORDERED = "not_ordered"
    ORDERED = "ordered"
    CANCELED = "canceled"
    NO_MATERIALS = "no_materials"  # answered "no materials needed", no placed order
    MISSING = "missing"  # active, neither ordered nor answered (what reminders are about)
    AWAITING_APPROVAL = "awaiting_approval"  # on an order awaiting approval or returned to its placer (docs/spec.md §8)


PLACED_WHEN = {"on_time": "placed on time (before the soft close)", "late": "placed late (at or after the soft close)"}
# Cost disclosure (docs/spec.md §10; orders/domain/costs/coverage.py): now, or by the term's registration opening.
DISCLOSED_WHEN = {"now": "disclosed (a placed order or “no materials needed”)",
                  "registration": "disclosed by the time registration opened"}


# "not_started" is the Progress screen's word for a missing section (active, neither ordered nor answered).
STATE_ALIASES = {"not_started": "missing"}


ORDER_STATE_LABELS = {
    OrderState.NOT_ORDERED: "Not ordered",
    OrderState.ORDERED: "Ordered",
    OrderState.CANCELED: "Canceled",
    OrderState.NO_MATERIALS: "No materials needed",
    OrderState.MISSING: "Missing",
    OrderState.AWAITING_APPROVAL: "Awaiting approval",
}


@dataclass(frozen=True)
class CoursesFilter(QueryFilter):
    """Everything that decides the list; it round-trips through the query string."""

    term: str = arg(text(16), CURRENT_TERMS)
    instructor: str = arg(identifier(also=(UNASSIGNED,), as_text=True), "")  # "" all, a user id, or UNASSIGNED
    q: str = arg(text(100), "")
    state: OrderState | None = arg(member(list(OrderState), STATE_ALIASES), None)
    page: int = arg(page(), 1)
    # Set by the Progress screen's links (each count names exactly its sections): exact matches.
    organization: int | None = arg(identifier(), None)
    campus: int | None = arg(identifier(), None)
    subject: str = arg(text(16, upper=True), "")
    active: bool = arg(flag(), False)  # only sections the registrar has not removed
    # PLACED_WHEN key: the section's placed order came before or after the soft close
    placed: str = arg(choice(PLACED_WHEN), "")
    at_risk: bool = arg(flag(), False)  # students declined at or above the threshold (orders.domain.students.rates)
    sections: tuple[int, ...] = arg(identifiers(), ())  # exactly these sections: an LMS course's (docs/spec.md §9)
    disclosed: str = arg(choice(DISCLOSED_WHEN), "")  # DISCLOSED_WHEN key: the section's cost is (or was) disclosed

"""The Courses list's filter as it round-trips through the query string: shared by the screens that link to it."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from orders.domain.reach import UNASSIGNED
from orders.web.parsing import parse_id, parse_id_list, parse_page

CURRENT_TERMS = "current"


class OrderState(enum.Enum):
    NOT_ORDERED = "not_ordered"
    ORDERED = "ordered"
    CANCELED = "canceled"
    NO_MATERIALS = "no_materials"  # answered "no materials needed", no placed order
    MISSING = "missing"  # active, neither ordered nor answered (what reminders are about)


PLACED_WHEN = {"on_time": "placed on time (before the soft close)", "late": "placed late (at or after the soft close)"}


# "not_started" is the Progress screen's word for a missing section (active, neither ordered nor answered).
STATE_ALIASES = {"not_started": "missing"}


ORDER_STATE_LABELS = {
    OrderState.NOT_ORDERED: "Not ordered",
    OrderState.ORDERED: "Ordered",
    OrderState.CANCELED: "Canceled",
    OrderState.NO_MATERIALS: "No materials needed",
    OrderState.MISSING: "Missing",
}


@dataclass(frozen=True)
class CoursesFilter:
    """Everything that decides the list; it round-trips through the query string."""

    term: str = CURRENT_TERMS
    instructor: str = ""  # "" all, a user id, or UNASSIGNED
    q: str = ""
    state: OrderState | None = None
    page: int = 1
    # Set by the Progress screen's links (each count names exactly its sections): exact matches.
    organization: int | None = None
    campus: int | None = None
    subject: str = ""
    active: bool = False  # only sections the registrar has not removed
    placed: str = ""  # PLACED_WHEN key: the section's placed order came before or after the soft close
    at_risk: bool = False  # students declined at or above the threshold (orders.domain.students.rates)
    sections: tuple[int, ...] = ()  # exactly these sections: an LMS course's (docs/spec.md §9)

    @classmethod
    def from_args(cls, args) -> CoursesFilter:
        """Parse request args leniently: anything malformed falls back to the default."""
        state_value = args.get("state", "")
        state_value = STATE_ALIASES.get(state_value, state_value)
        state = next((s for s in OrderState if s.value == state_value), None)
        instructor = args.get("instructor", "").strip()
        if instructor != UNASSIGNED:
            instructor_id = parse_id(instructor)  # ASCII digits that fit an id, never '²' or 5,000 digits
            instructor = "" if instructor_id is None else str(instructor_id)
        return cls(
            term=(args.get("term") or CURRENT_TERMS).strip()[:16],
            instructor=instructor,
            q=args.get("q", "").strip()[:100],
            state=state,
            page=parse_page(args.get("page")),
            organization=parse_id(args.get("organization", "").strip()),
            campus=parse_id(args.get("campus", "").strip()),
            subject=args.get("subject", "").strip().upper()[:16],
            active=args.get("active", "") == "1",
            placed=args.get("placed", "") if args.get("placed", "") in PLACED_WHEN else "",
            at_risk=args.get("at_risk", "") == "1",
            sections=parse_id_list(args.get("sections", "")),
        )

    def query_args(self, **changes) -> dict[str, str]:
        """The non-default parts as URL arguments, with `changes` applied."""
        values = {
            "term": self.term if self.term != CURRENT_TERMS else "",
            "instructor": self.instructor,
            "q": self.q,
            "state": self.state.value if self.state else "",
            "page": str(self.page) if self.page != 1 else "",
            "organization": str(self.organization) if self.organization else "",
            "campus": str(self.campus) if self.campus else "",
            "subject": self.subject,
            "active": "1" if self.active else "",
            "placed": self.placed,
            "at_risk": "1" if self.at_risk else "",
            "sections": ",".join(str(i) for i in self.sections),
        }
        values.update({k: ("" if v is None else str(v)) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}



"""Cost-disclosure coverage (docs/spec.md §10): the share of a term's active sections whose cost is disclosed,
today and as of the moment registration opened, against the institution's target, by organization.

A section's cost is disclosed when it is on a placed order or answered "no materials needed" (the Progress
screen's "done"). As of a past moment T: on an order placed at or before T and not canceled by then, through
a link to the section that no edit had removed by then and that an edit had not added after T (an added
link records when: OrderSection.added_at), or answered at or before T. Two approximations, both stated on
the page: an answer undone since T is gone (undo deletes it; the audit log keeps it), and the sections are
those active today (the SIS records no date for a section's arrival or removal).

`disclosed_clause` is the one rule: the Progress table counts with it and the Courses filter that its
counts link to selects with it, so a count and its list never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, String, case, cast, exists, func, or_, select
from sqlalchemy.orm import aliased

from orders.domain.models import (
    Course,
    Institution,
    NoMaterialsAnswer,
    Order,
    OrderSection,
    OrderStatus,
    Organization,
    Section,
    SectionState,
    Term,
    User,
)
from orders.domain.reach import visible_sections_clause
from orders.extensions import db


def disclosed_clause(as_of=None) -> ColumnElement[bool]:
    """SQL (correlated to Section): the section's cost is disclosed now (`as_of` None), or was at `as_of`
    (a moment, or an SQL expression of one, such as the section's term's registration opening)."""
    if as_of is None:
        return or_(
            # A placed order's claim: an order awaiting approval claims its sections too, but discloses nothing yet.
            exists(select(OrderSection.order_id).join(Order, Order.id == OrderSection.order_id).where(
                OrderSection.section_id == Section.id, OrderSection.claimed, Order.status == OrderStatus.PLACED)),
            exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == Section.id)),
        )
    on_order = (
        select(OrderSection.order_id)
        .join(Order, Order.id == OrderSection.order_id)
        .where(
            OrderSection.section_id == Section.id,
            Order.status.in_((OrderStatus.PLACED, OrderStatus.CANCELED)),
            Order.placed_at <= as_of,
            or_(Order.canceled_at.is_(None), Order.canceled_at > as_of),
            or_(OrderSection.removed_at.is_(None), OrderSection.removed_at > as_of),
            or_(OrderSection.added_at.is_(None), OrderSection.added_at <= as_of),
        )
    )
    answered = select(NoMaterialsAnswer.id).where(
        NoMaterialsAnswer.section_id == Section.id, NoMaterialsAnswer.answered_at <= as_of
    )
    return or_(exists(on_order), exists(answered))


def registration_opens_of_section() -> ColumnElement:
    """SQL (correlated to Section): when its term's registration opens (NULL when not set). Its own alias of the term,
    so a query that joins Term already (Courses does) cannot capture it and widen it to every section's term."""
    term = aliased(Term, name="registration_term")
    return select(term.registration_opens_at).where(term.id == Section.term_id).correlate(Section).scalar_subquery()


@dataclass
class CoverageRow:
    """Active sections and how many have their cost disclosed, today and when registration opened."""

    key: str  # the organization's id as text; "" for the whole term
    label: str
    total: int = 0
    now: int = 0
    then: int | None = None  # None: no registration opening set, or it has not come yet

    @staticmethod
    def _share(value: int | None, total: int) -> int | None:
        """Whole percent, rounded down (100 only when every section is disclosed); None without sections."""
        return None if value is None or not total else value * 100 // total

    @property
    def share_now(self) -> int | None:
        return self._share(self.now, self.total)

    @property
    def share_then(self) -> int | None:
        return self._share(self.then, self.total)

    def meets(self, value: int | None, target: int) -> bool | None:
        """The disclosed share reaches the target (exactly, not by the rounded percent); None without sections."""
        if value is None or not self.total:
            return None
        return value * 100 >= target * self.total

    def courses_args(self) -> dict[str, str]:
        """The Courses filter naming exactly this row's sections (the caller adds the term and the state)."""
        return {"organization": self.key} if self.key else {}


@dataclass
class Coverage:
    term: Term
    target: int  # whole percent
    registration_opens_at: datetime | None
    registration_passed: bool  # the as-of figures exist (a date is set and has come)
    headline: CoverageRow
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """The term has no active section in the user's reach: nothing to divide."""
        return self.headline.total == 0


def coverage(user: User, term: Term, inst: Institution, now: datetime) -> Coverage:
    """The term's coverage within the user's reach, by organization: one statement."""
    opens_at = term.registration_opens_at
    passed = opens_at is not None and opens_at <= now
    then = case((disclosed_clause(opens_at), 1), else_=0) if passed else None
    query = (
        select(
            cast(Section.organization_id, String).label("key"),
            Organization.name.label("label"),
            func.count().label("total"),
            func.sum(case((disclosed_clause(), 1), else_=0)).label("now"),
            *([func.sum(then).label("then")] if then is not None else []),
        )
        .join(Organization, Organization.id == Section.organization_id)
        .join(Course, Course.id == Section.course_id)  # the grants' clause reads the course's subject
        .where(Section.term_id == term.id, Section.state == SectionState.ACTIVE, visible_sections_clause(user))
        .group_by(Section.organization_id, Organization.name)
    )
    rows = [
        CoverageRow(row.key, row.label, int(row.total), int(row.now or 0), int(row.then or 0) if passed else None)
        for row in db.session.execute(query)
    ]
    rows.sort(key=lambda r: (-(r.total - r.now), r.label.lower(), r.key))
    headline = CoverageRow(
        "",
        term.name,
        sum(r.total for r in rows),
        sum(r.now for r in rows),
        sum(r.then or 0 for r in rows) if passed else None,
    )
    return Coverage(term, inst.coverage_target_percent, opens_at, passed, headline, rows)

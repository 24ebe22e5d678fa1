"""Reorder (docs/spec.md §3): copy an earlier order of the same course into a new draft for an open term.

Like every service these take the acting user and `now`, flush and never commit.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import aliased, lazyload

from orders.domain.costs.other_costs import copy_for
from orders.domain.lookups import find_draft
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Course,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    Section,
    Term,
    User,
)
from orders.domain.ordering.drafts import (
    OrderingError,
    SectionChoice,
    new_draft,
    no_orderable_sections_message,
    not_your_course_message,
    section_choices,
)
from orders.domain.reach import viewable_orders_clause
from orders.domain.refusals import PermissionDenied
from orders.domain.rules import ALLOWED, Decision, can_reorder
from orders.extensions import db

CANDIDATE_LIMIT = 20


class ReorderRefused(OrderingError):
    """The reorder can't go ahead; the message tells the user why and what to do instead."""


class AlreadyOrdered(ReorderRefused):
    """The course offering already has a placed order for the user's sections (a 409 page)."""

    status = 409
    answered_by_handler = True


class NotOrderable(ReorderRefused):
    """The user may order none of the offering's sections now (a closed period, say: a 403 page)."""

    status = 403
    answered_by_handler = True


class DraftExists(ReorderRefused):
    """The user already has a draft for this course and term: they continue it instead."""

    def __init__(self, draft: Order, course: Course, term: Term):
        super().__init__(
            f"You already have a draft order for {course.code} in {term.name}. Continue that draft, "
            "or cancel it first if you want to start again from an earlier order."
        )
        self.draft = draft


@dataclass(frozen=True)
class Candidate:
    """An earlier order that can be copied, and whether the user may open its summary."""

    order: Order
    viewable: bool

    @property
    def lines(self) -> list[OrderLine]:
        return [line for line in self.order.lines if line.removed_at is None]


@dataclass(frozen=True)
class PriceChange:
    item: CatalogItem
    was: Decimal
    now: Decimal


@dataclass(frozen=True)
class ReorderResult:
    draft: Order
    source: Order
    copied: list[CatalogItem]
    price_changes: list[PriceChange]
    requested: list[CatalogItem]  # no longer active: on the draft as content requests


def reorder_choices(
    actor: User, course: Course, term: Term, now: datetime, *, instructor_id: int | None = None
) -> list[SectionChoice]:
    """The sections of the offering in the user's reach; for a coordinator who came from one
    instructor's row on Courses, that instructor's sections (as the row showed them)."""
    every = section_choices(actor, course.id, term.id, now)
    if not every:
        raise PermissionDenied(not_your_course_message(course, term))
    if instructor_id is not None:
        theirs = [c for c in every if any(u.id == instructor_id for u in c.section.instructors)]
        return theirs or every
    return every


def reorder_decision(actor: User, course: Course, term: Term, choices: list[SectionChoice], now: datetime) -> Decision:
    """can_reorder, with the words that say why not."""
    if can_reorder(choices):
        return ALLOWED
    ordered = sorted({c.ordered_as for c in choices if c.ordered_as is not None})
    if ordered:
        numbers = ", ".join(f"#{n}" for n in ordered)
        return Decision(
            False,
            f"{course.code} in {term.name} already has order {numbers}. Open it from your courses to change it "
            "or add sections; Reorder is for a course with no order yet.",
        )
    return Decision(False, no_orderable_sections_message(actor, course, term, now))


def require_reorder(actor: User, course: Course, term: Term, choices: list[SectionChoice], now: datetime) -> None:
    """Refuse a reorder reorder_decision says no to: a conflict when the course is ordered already."""
    decision = reorder_decision(actor, course, term, choices, now)
    if not decision:
        ordered = any(c.ordered_as is not None for c in choices)
        raise (AlreadyOrdered if ordered else NotOrderable)(decision.reason)


def reorder_candidates(
    actor: User, course: Course, term: Term, choices: list[SectionChoice], *, number: int | None = None
) -> list[Candidate]:
    """Earlier placed or canceled orders of this course, on a campus of the user's orderable sections,
    with at least one catalog item: newest term first (at most CANDIDATE_LIMIT, or the one `number`)."""
    campuses = {c.section.campus_id for c in choices if c.orderable}
    if not campuses:
        return []
    earlier = aliased(Term, name="earlier")
    on_campus = exists(
        select(OrderSection.order_id)
        .join(Section, Section.id == OrderSection.section_id)
        .where(OrderSection.order_id == Order.id, OrderSection.removed_at.is_(None), Section.campus_id.in_(campuses))
    )
    has_item = exists(select(OrderLine.order_id).where(OrderLine.order_id == Order.id, OrderLine.removed_at.is_(None)))
    query = (
        select(Order, viewable_orders_clause(actor).label("viewable"))
        .join(earlier, earlier.id == Order.term_id)
        .where(
            Order.course_id == course.id,
            Order.status.in_(REORDER_SOURCE_STATUSES),
            earlier.starts_on < term.starts_on,
            on_campus,
            has_item,
        )
        .options(lazyload(Order.order_sections), lazyload(Order.content_requests))
        .order_by(earlier.starts_on.desc(), Order.number.desc())
    )
    query = query.where(Order.number == number) if number is not None else query.limit(CANDIDATE_LIMIT)
    return [Candidate(order, bool(viewable)) for order, viewable in db.session.execute(query).all()]


def copy_order(
    actor: User,
    course: Course,
    term: Term,
    source_number: int,
    *,
    now: datetime,
    request_id: str | None,
    instructor_id: int | None = None,
) -> ReorderResult:
    """Start a draft for this course and term from earlier order `source_number`.

    The user's orderable sections are preselected; the earlier order's catalog items (not removed)
    are copied at today's price; an item no longer active becomes a content request with its title
    and ISBN; the earlier order's content requests are not copied. Refuses (changing nothing) when
    the user already has a draft here, may not reorder (can_reorder), or the order is no candidate.
    """
    db.session.scalar(select(User.id).where(User.id == actor.id).with_for_update())  # one start at a time per user
    existing = find_draft(actor, course.id, term.id)
    if existing is not None:
        raise DraftExists(existing, course, term)
    choices = reorder_choices(actor, course, term, now, instructor_id=instructor_id)
    require_reorder(actor, course, term, choices, now)
    found = reorder_candidates(actor, course, term, choices, number=source_number)
    if not found:
        raise ReorderRefused(
            f"Order #{source_number} can't be copied into {course.code}, {term.name}. "
            "Choose one of the earlier orders listed."
        )
    source = found[0].order
    lines: list[OrderLine] = []
    requests: list[ContentRequest] = []
    copied: list[CatalogItem] = []
    changes: list[PriceChange] = []
    requested: list[CatalogItem] = []
    for position, line in enumerate(found[0].lines):
        item = line.item
        if item.active:
            lines.append(
                OrderLine(catalog_item_id=item.id, item=item, position=position, student_price=item.student_price)
            )
            copied.append(item)
            if line.student_price != item.student_price:
                changes.append(PriceChange(item, line.student_price, item.student_price))
        else:
            requests.append(
                ContentRequest(
                    position=position,
                    title=item.title,
                    isbn13=item.isbn13,
                    author=item.authors,
                    edition=item.edition,
                    note=f"On order #{source.number}, which this order copies; no longer in the catalog.",
                    status=ContentRequestStatus.SUBMITTED,
                    requested_by_id=actor.id,
                    requested_by=actor,
                    created_at=now,
                    updated_at=now,
                )
            )
            requested.append(item)
    draft = new_draft(
        actor,
        course,
        term,
        [c.section for c in choices if c.orderable],
        now=now,
        request_id=request_id,
        details={
            "reordered_from": source.number,
            "price_changes": [{"isbn": c.item.isbn13, "was": str(c.was), "now": str(c.now)} for c in changes],
            "content_requests": [item.isbn13 for item in requested],
        },
        reordered_from_id=source.id,
        lines=lines,
        content_requests=requests,
        other_costs=copy_for(source),  # a calculator or a fee the course needed then: kept, to review
    )
    return ReorderResult(draft, source, copied, changes, requested)


REORDER_SOURCE_STATUSES = (OrderStatus.PLACED, OrderStatus.CANCELED)


@functools.lru_cache(maxsize=8)  # the same expression for a given section entity: built once per process
def earlier_order_exists(section=Section) -> ColumnElement[bool]:
    """SQL, correlated to `section`: an earlier term has a placed or canceled order of the same course
    (subject + number) on a section of the same campus, with at least one catalog item."""
    earlier_section = aliased(Section, name="earlier_section")
    earlier_term = aliased(Term, name="earlier_term")
    this_term = aliased(Term, name="this_term")
    return exists(
        select(OrderSection.order_id)
        .join(earlier_section, earlier_section.id == OrderSection.section_id)
        .join(Order, Order.id == OrderSection.order_id)
        .join(earlier_term, earlier_term.id == Order.term_id)
        .where(
            earlier_section.course_id == section.course_id,
            earlier_section.campus_id == section.campus_id,
            OrderSection.removed_at.is_(None),
            Order.course_id == section.course_id,
            Order.status.in_(REORDER_SOURCE_STATUSES),
            earlier_term.starts_on
            < select(this_term.starts_on)
            .where(this_term.id == section.term_id)
            .correlate_except(this_term)  # two levels down: name the outer section explicitly
            .scalar_subquery(),
            exists(select(OrderLine.order_id).where(OrderLine.order_id == Order.id, OrderLine.removed_at.is_(None))),
        )
    )


def reordered_from_number(order: Order) -> int | None:
    """The number of the order this one was copied from ("Reordered from #N" on its summary)."""
    if order.reordered_from_id is None:
        return None
    return db.session.scalar(select(Order.number).where(Order.id == order.reordered_from_id))

"""The ordering workflow: drafts, their sections and materials, placing and discarding.

Like every service these take the acting user and `now`, flush and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from typing_extensions import TypeVar

from orders.domain.audit import record_event
from orders.domain.lookups import claimed_sections, find_draft
from orders.domain.models import (
    CatalogItem,
    Course,
    EventKind,
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    Requirement,
    Section,
    SectionState,
    Term,
    User,
)
from orders.domain.periods import is_open
from orders.domain.reach import may_order_for, visible_sections_clause
from orders.domain.refusals import DraftClosed, PermissionDenied, Refused
from orders.domain.review.royalty import NO_ROYALTY, RoyaltyAnswer
from orders.domain.review.submitting import Route, mark_authored, record_order_submission, route_order
from orders.domain.rules import Decision, can_discard_draft, can_place, owns_draft, period_closed
from orders.domain.transitions import revise_draft, set_claimed, transition
from orders.extensions import db

OrderingError = Refused  # the workflow's refusals are the app's general kind


class DraftChanged(OrderingError):
    """The draft changed after the user reviewed it (another tab)."""

    def __init__(self):
        super().__init__("This draft changed since you reviewed it. Check it again, then place the order.")


class PlacementRefused(OrderingError):
    """The draft can't be placed as it stands; `problems` lists why."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


class SectionsTaken(PlacementRefused):
    """Someone else placed an order for one of the sections first (caught by the database)."""


FIRST_ORDER_NUMBER = 1001


def next_order_number() -> int:
    """Hand out the next order number; the row update serialises concurrent callers."""
    bumped = db.session.execute(
        update(OrderNumberCounter)
        .where(OrderNumberCounter.id == 1)
        .values(last_number=OrderNumberCounter.last_number + 1)
        .returning(OrderNumberCounter.last_number)
    ).scalar()
    if bumped is None:
        db.session.add(OrderNumberCounter(id=1, last_number=FIRST_ORDER_NUMBER))
        db.session.flush()
        return FIRST_ORDER_NUMBER
    return bumped


# --- Sections --------------------------------------------------------------------------------------


# A Section, or a list's lean section row (the Courses and history lists ask can_reorder about their rows).
S = TypeVar("S", default=Section)


@dataclass(frozen=True)
class SectionChoice(Generic[S]):
    """A section of the draft's course and term as the user sees it in step 1."""

    section: S
    ordered_as: int | None  # number of the placed order that holds it
    orderable: bool


def section_choices(actor: User, course_id: int, term_id: int, now: datetime, *,
                    excluding_order_id: int | None = None) -> list[SectionChoice]:
    """The sections of a course in a term within the user's reach, each orderable or not (the sections an order
    returned to its placer holds are its own: `excluding_order_id`)."""
    sections = list(
        db.session.scalars(
            select(Section)
            .join(Course, Course.id == Section.course_id)
            .where(
                Section.course_id == course_id,
                Section.term_id == term_id,
                Section.state == SectionState.ACTIVE,
                visible_sections_clause(actor),
            )
            .order_by(Section.label)
        )
    )
    taken = claimed_sections([s.id for s in sections], excluding_order_id=excluding_order_id)
    return [
        SectionChoice(s, taken.get(s.id), s.id not in taken and can_place(actor, s, now))
        for s in sections
    ]


def start_draft(
    actor: User, course: Course, term: Term, *, now: datetime, request_id: str | None, instructor_id: int | None = None
) -> tuple[Order, bool]:
    """Resume the user's draft for this course and term, or start one; returns (draft, created).

    The new draft starts with the orderable sections taught by `instructor_id` (the instructor a
    coordinator chose on the Courses screen) or, failing that, by the user.
    """
    db.session.scalar(select(User.id).where(User.id == actor.id).with_for_update())  # one start at a time per user
    existing = find_draft(actor, course.id, term.id)
    if existing is not None:
        return existing, False
    every = section_choices(actor, course.id, term.id, now)
    if not every:
        raise PermissionDenied(not_your_course_message(course, term))
    choices = [c for c in every if c.orderable]
    if not choices:
        raise OrderingError(no_orderable_sections_message(actor, course, term, now))
    wanted = instructor_id or actor.id
    preselected = [c.section for c in choices if any(u.id == wanted for u in c.section.instructors)]
    return new_draft(actor, course, term, preselected, now=now, request_id=request_id), True


def new_draft(
    actor: User, course: Course, term: Term, sections: list[Section], *, now: datetime, request_id: str | None,
    details: dict | None = None, **fields,
) -> Order:
    """A new draft owned by the actor for these sections, with its event.

    `fields` carries the rest: lines, requests, its source.
    """
    draft = Order(
        term_id=term.id,
        course_id=course.id,
        status=OrderStatus.DRAFT,
        owner_id=actor.id,
        created_at=now,
        version=1,
        order_sections=[OrderSection(section_id=s.id, section=s, claimed=False) for s in sections],
        **fields,
    )
    db.session.add(draft)
    db.session.flush()
    record_event(draft, EventKind.DRAFT_STARTED, actor=actor, now=now, request_id=request_id, details=details)
    return draft


def not_your_course_message(course: Course, term: Term) -> str:
    """Why a user can't order for a course offering at all."""
    return f"You do not teach or coordinate any section of {course.code} in {term.name}."


def no_orderable_sections_message(actor: User, course: Course, term: Term, now: datetime) -> str:
    """Why a course offering offers nothing to order."""
    if not actor.is_program_admin and not is_open(term, now):
        return period_closed(term, now, f"order {course.code}").reason
    return f"Every section of {course.code} in {term.name} that you may order for is already on an order."


def _require_draft(draft: Order) -> None:
    """Services re-check what the draft guard checked: a service may be called from anywhere. An order returned
    to its placer (docs/spec.md §8) is worked on like a draft."""
    if not draft.status.workable:
        raise DraftClosed(draft)


def set_sections(draft: Order, section_ids: list[int], *, actor: User, now: datetime) -> None:
    """Put exactly these sections on the draft; refuses (changing nothing) any that can't be ordered."""
    _require_draft(draft)
    if not section_ids:
        raise OrderingError("Choose at least one section.")
    choices = {
        c.section.id: c
        for c in section_choices(actor, draft.course_id, draft.term_id, now, excluding_order_id=draft.id)
    }
    for section_id in section_ids:
        choice = choices.get(section_id)
        if choice is None:
            raise OrderingError(
                f"That section is not a section of {draft.course.code} in {draft.term.name} that you may order for."
            )
        if choice.ordered_as is not None:
            raise OrderingError(f"Section {choice.section.label} is already on order #{choice.ordered_as}.")
        if not choice.orderable:
            raise OrderingError(no_orderable_sections_message(actor, draft.course, draft.term, now))
    wanted = set(section_ids)
    kept = [link for link in draft.order_sections if link.section_id in wanted]
    have = {link.section_id for link in kept}
    # A returned order keeps claiming its sections (no second order for them meanwhile), added ones too.
    holds = draft.status is OrderStatus.RETURNED
    added = [OrderSection(section_id=i, section=choices[i].section, claimed=holds) for i in sorted(wanted - have)]
    if added or len(kept) != len(draft.order_sections):
        draft.order_sections = kept + added
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise OrderingError("One of those sections was put on another order a moment ago. Choose again.") from None
        revise_draft(draft, now)
    db.session.flush()


# --- Materials -------------------------------------------------------------------------------------


def add_item(draft: Order, item_id: int, now: datetime) -> tuple[CatalogItem, bool]:
    """Put a catalog item on the draft at today's student price; returns (item, added). Adding twice is a no-op."""
    _require_draft(draft)
    item = db.session.get(CatalogItem, item_id)
    if item is None:
        raise OrderingError("That item is not in the catalog. Search again and choose it from the results.")
    if not item.active:
        raise OrderingError(f"{item.title} is no longer available to order. Search for a current edition.")
    if any(line.catalog_item_id == item.id for line in draft.lines):
        return item, False
    position = max((line.position for line in draft.lines), default=-1) + 1
    draft.lines.append(
        OrderLine(catalog_item_id=item.id, item=item, position=position, student_price=item.student_price)
    )
    revise_draft(draft, now)
    return item, True


def remove_item(draft: Order, item_id: int, now: datetime) -> CatalogItem | None:
    """Take an item off the draft; returns it, or None when it was not there."""
    _require_draft(draft)
    line = next((line for line in draft.lines if line.catalog_item_id == item_id), None)
    if line is None:
        return None
    draft.lines.remove(line)
    revise_draft(draft, now)
    return line.item


def set_requirement(draft: Order, item_id: int, requirement: Requirement, now: datetime) -> CatalogItem | None:
    """Mark a line of the draft required or recommended; returns its item, or None when it was not there."""
    _require_draft(draft)
    line = next((line for line in draft.lines if line.catalog_item_id == item_id), None)
    if line is None:
        return None
    if line.requirement is not requirement:
        line.requirement = requirement
        revise_draft(draft, now)
    return line.item


# --- Place and discard -----------------------------------------------------------------------------


def placement_decision(draft: Order, actor: User, now: datetime, taken: dict[int, int]) -> Decision:
    """May this user place this draft now; if not, every reason (the review page lists them all)."""
    problems: list[str] = []
    if not owns_draft(actor, draft):
        return Decision.refused(["Only the person who started this draft can place it."])
    if not draft.sections:
        problems.append("Choose at least one section.")
    period_noted = False
    for section in draft.sections:
        if (
            section.course_id != draft.course_id
            or section.term_id != draft.term_id
            or not may_order_for(actor, section)
        ):
            problems.append(f"You may no longer order for section {section.label}. Remove it from this order.")
        elif not can_place(actor, section, now):
            if not period_noted:
                problems.append(period_closed(draft.term, now, "place this order").reason)
                period_noted = True
        if section.is_removed:
            problems.append(f"Section {section.label} was removed by the registrar. Remove it from this order.")
        if section.id in taken:
            problems.append(
                f"Section {section.label} is already on order #{taken[section.id]}. Remove it from this order."
            )
    for line in draft.current_lines:
        if not line.item.active:
            problems.append(f"{line.item.title} is no longer available. Remove it from this order.")
    if not draft.current_lines and not draft.current_requests:
        problems.append("Add at least one course material.")
    return Decision.refused(problems)


def route_preview(draft: Order, actor: User, now: datetime) -> Route:
    """What "Place order" would do under today's policies with a No to the royalty question: the review page
    says whether the order will wait for an approver (a Yes may send it to review as well)."""
    return route_order(draft, actor, NO_ROYALTY, now)


ROYALTY_UNANSWERED = "Answer the question about the materials' authors and royalties: Yes or No."


def place_draft(
    draft: Order,
    *,
    actor: User,
    now: datetime,
    request_id: str | None,
    expected_version: int | None = None,
    royalty: RoyaltyAnswer | None = None,
) -> Order:
    """Place the draft: re-check every rule, claim its sections, number it, write the event and receipts.

    In an organization under review, or with a royalty Yes (docs/spec.md §8), the order is numbered and claims its
    sections but waits for an approver instead (status awaiting approval); an order returned to its placer
    goes the same way again. Raises DraftClosed for a repeat, DraftChanged when the reviewed version is
    stale, and PlacementRefused / SectionsTaken when a rule fails; the caller then rolls back, so nothing
    (not even an order number) is consumed.
    """
    _require_draft(draft)
    if expected_version is not None and expected_version != draft.version:
        raise DraftChanged()
    decision = placement_decision(
        draft, actor, now, claimed_sections([s.id for s in draft.sections], excluding_order_id=draft.id)
    )
    if not decision:
        raise PlacementRefused(list(decision.reasons))
    if royalty is None:
        raise PlacementRefused([ROYALTY_UNANSWERED])
    answer = royalty.check(line.catalog_item_id for line in draft.current_lines)
    route = route_order(draft, actor, answer, now)
    was = draft.status
    # The first write (a returned order keeps its number): the transaction is open before the savepoint below.
    number = draft.number if draft.number is not None else next_order_number()
    if not transition(
        draft,
        expected=was,
        to=route.status,
        now=now,
        number=number,
        placed_by_id=actor.id,
        placed_at=None if route.waits else now,
        submitted_at=draft.submitted_at or now,
        royalty_answer=answer.authored,
        royalty_review=route.need.royalty,
        related={"placed_by": actor},
    ):
        if draft.status is not was:
            raise DraftClosed(draft)
        raise DraftChanged()
    try:
        with db.session.begin_nested():
            set_claimed(draft, True)
    except IntegrityError:
        # Someone placed an order for one of these sections after our check: the partial unique
        # index on claimed sections is the backstop.
        taken = claimed_sections([s.id for s in draft.sections], excluding_order_id=draft.id)
        labels = [s.label for s in draft.sections if s.id in taken] or ["one of your sections"]
        raise SectionsTaken(
            [
                f"Section {', '.join(labels)} was ordered by someone else a moment ago"
                + (f" (order #{', #'.join(str(n) for n in sorted(set(taken.values())))})" if taken else "")
                + ". Your draft is kept: remove that section and place the order again."
            ]
        ) from None
    mark_authored(draft, answer)
    record_order_submission(
        draft, route, answer, actor=actor, now=now, request_id=request_id, resubmitted=was is OrderStatus.RETURNED
    )
    return draft


def discard_draft(draft: Order, *, actor: User, now: datetime, request_id: str | None) -> bool:
    """Discard the draft once: no order number, no email, one audit event. False if it was no longer a draft.
    (An order returned to its placer has a number and a history: it is withdrawn by the cancel flow instead.)"""
    if draft.status is OrderStatus.RETURNED:
        raise Refused(f"Order #{draft.number} was returned to you: to withdraw it, use Cancel Order on the order.")
    if not can_discard_draft(actor, draft):
        if draft.status is not OrderStatus.DRAFT:
            return False
        raise PermissionDenied("Only the person who started this draft can cancel it.")
    if not transition(draft, expected=OrderStatus.DRAFT, to=OrderStatus.DISCARDED, now=now):
        return False
    record_event(draft, EventKind.DRAFT_DISCARDED, actor=actor, now=now, request_id=request_id)
    return True

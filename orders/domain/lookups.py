"""Lookups the rules and services share: a fixed number of queries whatever the data size."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import joinedload, lazyload

from orders.domain.formats.files import UnknownTerm
from orders.domain.models import (
    Enrollment,
    Order,
    OrderEvent,
    OrderSection,
    OrderStatus,
    Section,
    TeachingAssignment,
    Term,
    User,
)
from orders.extensions import db


@dataclass(frozen=True)
class Profiles:
    """The signed-in user's Student and Instructor profiles (docs/spec.md §1 "Profiles"), read with the user."""

    is_student: bool
    teaches: bool


def user_profiles(user: User) -> Profiles:
    """The user's profiles: from the sign-in query when it loaded them, else asked once and kept."""
    found = getattr(user, "profiles", None)
    if found is None:
        enrolled = exists(select(Enrollment.id).where(Enrollment.user_id == user.id))
        teaching = exists(select(TeachingAssignment.section_id).where(TeachingAssignment.user_id == user.id))
        row = db.session.execute(select(enrolled, teaching)).one()
        found = Profiles(is_student=bool(row[0]), teaches=bool(row[1]))
        user.profiles = found  # type: ignore[attr-defined]  # a per-request cache on the instance, not a mapped column
    return found


def order_load_options() -> tuple:
    """Everything the summary, the cancel flow and the emails read, loaded up front."""
    # Sections, their instructors and lines are short lists: one joined query beats several round
    # trips. A section's course and term are the order's own, already in the session: no joins for them.
    return (
        joinedload(Order.order_sections)
        .joinedload(OrderSection.section)
        .options(
            lazyload(Section.course),
            lazyload(Section.term),
            joinedload(Section.instructors),
        ),
        joinedload(Order.lines),
        joinedload(Order.content_requests),
    )


def all_terms() -> list[Term]:
    """Every term, newest first, with its ordering period (Term selects and filters)."""
    return list(db.session.scalars(_terms_newest_first()).unique())


@functools.cache
def _terms_newest_first():
    return select(Term).order_by(Term.starts_on.desc(), Term.id.desc())


def find_draft(user: User, course_id: int, term_id: int) -> Order | None:
    """The user's open draft for this course and term (the oldest, should two tabs have raced)."""
    return db.session.scalars(
        select(Order)
        .where(
            Order.owner_id == user.id,
            Order.course_id == course_id,
            Order.term_id == term_id,
            Order.status == OrderStatus.DRAFT,
        )
        .order_by(Order.id)
        .limit(1)
    ).first()


def claimed_sections(section_ids: list[int], *, excluding_order_id: int | None = None) -> dict[int, int]:
    """{section id: order number} for those of these sections that are on a placed order."""
    if not section_ids:
        return {}
    query = (
        select(OrderSection.section_id, Order.number)
        .join(Order, Order.id == OrderSection.order_id)
        .where(OrderSection.section_id.in_(section_ids), OrderSection.claimed)
    )
    if excluding_order_id is not None:
        query = query.where(OrderSection.order_id != excluding_order_id)
    # A claimed section is on a placed order, and placing assigns the number (the column allows None for drafts).
    return cast("dict[int, int]", dict(db.session.execute(query).all()))


def order_events(order: Order) -> list[OrderEvent]:
    """The order's audit trail, oldest first, with actors."""
    return list(db.session.scalars(_events_of_order(), {"order_id": order.id}))


@functools.cache
def _events_of_order():
    return select(OrderEvent).where(OrderEvent.order_id == bindparam("order_id")).order_by(OrderEvent.id)


def find_term(code: str) -> Term:
    """The term with this code, or UnknownTerm naming the known ones (the export commands' words)."""
    term = db.session.scalars(select(Term).where(Term.code == code)).first()
    if term is None:
        known = ", ".join(db.session.scalars(select(Term.code).order_by(Term.starts_on)))
        raise UnknownTerm(f"No term has the code {code!r}. Known term codes: {known or 'none'}.")
    return term

"""Reach: which sections a user teaches or coordinates, as Python predicates and their SQL twins side by side."""
from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from orders.domain.models import (
    CoordinatorGrant,
    Course,
    CourseLevel,
    Order,
    OrderSection,
    Section,
    TeachingAssignment,
    User,
)

UNASSIGNED = "unassigned"  # the instructor slot of a section nobody teaches yet (Courses rows, filters)


class HasSubject(Protocol):
    """What grant_covers reads of a section's course."""

    @property
    def subject(self) -> str: ...


class CoveredSection(Protocol):
    """What grant_covers reads of a section: a Section, or a read model's lean row."""

    @property
    def organization_id(self) -> int: ...
    @property
    def campus_id(self) -> int: ...
    @property
    def level(self) -> CourseLevel: ...
    @property
    def course(self) -> HasSubject: ...


def grant_covers(grant: CoordinatorGrant, section: CoveredSection) -> bool:
    """A grant covers a section when every dimension it sets matches."""
    return (
        (grant.subject is None or grant.subject == section.course.subject)
        and (grant.level is None or grant.level == section.level)
        and (grant.organization_id is None or grant.organization_id == section.organization_id)
        and (grant.campus_id is None or grant.campus_id == section.campus_id)
    )


def grant_covers_clause(grant: CoordinatorGrant) -> ColumnElement[bool]:
    """SQL twin of grant_covers for one grant, on Section joined with its Course.

    The grant's values are inlined, so the database matches each row against constants instead of
    running a correlated subquery per row.
    """
    conditions = []
    if grant.subject is not None:
        conditions.append(Course.subject == grant.subject)
    if grant.level is not None:
        conditions.append(Section.level == grant.level)
    if grant.organization_id is not None:
        conditions.append(Section.organization_id == grant.organization_id)
    if grant.campus_id is not None:
        conditions.append(Section.campus_id == grant.campus_id)
    return and_(true(), *conditions)


def grant_row_covers_clause(grant) -> ColumnElement[bool]:
    """SQL twin of grant_covers for grants read as rows (`grant` is CoordinatorGrant or an alias), on Section
    joined with its Course: set-based questions about every coordinator at once (reminder digests)."""
    return and_(
        or_(grant.subject.is_(None), grant.subject == Course.subject),
        or_(grant.level.is_(None), grant.level == Section.level),
        or_(grant.organization_id.is_(None), grant.organization_id == Section.organization_id),
        or_(grant.campus_id.is_(None), grant.campus_id == Section.campus_id),
    )


def covered_by_grants_clause(grants: list[CoordinatorGrant]) -> ColumnElement[bool]:
    """SQL: the section (joined with its course) falls under one of these grants (a user's reach)."""
    if not grants:
        return false()
    return or_(*(grant_covers_clause(grant) for grant in grants))


def teaches_clause(user_id: int) -> ColumnElement[bool]:
    """SQL: the user is an instructor of record of the section."""
    return exists(
        select(TeachingAssignment.section_id).where(
            TeachingAssignment.section_id == Section.id, TeachingAssignment.user_id == user_id
        )
    )


def visible_sections_clause(user: User) -> ColumnElement[bool]:
    """SQL: sections the user may see and order for (ignoring periods)."""
    if user.is_program_admin:
        return true()
    return or_(teaches_clause(user.id), covered_by_grants_clause(user.grants))


def teaches(user: User, section: Section) -> bool:
    """The user is an instructor of record of the section."""
    return any(instructor.id == user.id for instructor in section.instructors)


def coordinates(user: User, section: CoveredSection) -> bool:
    """One of the user's coordinator grants covers the section."""
    return any(grant_covers(grant, section) for grant in user.grants)


def may_order_for(user: User, section: Section) -> bool:
    """The section is within the user's reach, periods aside."""
    return user.is_program_admin or teaches(user, section) or coordinates(user, section)


def can_view_order(user: User, order: Order) -> bool:
    """Admins see all; others see orders they placed or that touch a section they teach or cover."""
    if user.is_program_admin or order.placed_by_id == user.id or order.owner_id == user.id:
        return True
    return any(teaches(user, s) or coordinates(user, s) for s in order.sections)


def viewable_orders_clause(user: User, *, probe: bool = False) -> ColumnElement[bool]:
    """SQL twin of can_view_order, on Order: one clause for lists of orders (history, its CSV).

    By default the section test is an uncorrelated IN, so the database builds the set of reachable
    orders once instead of probing each order's sections. With `probe` it is a correlated EXISTS
    instead (the same rule), for walking the orders newest first when most of them are reachable.
    """
    if user.is_program_admin:
        return true()
    on_reach = (
        select(OrderSection.order_id)
        .join(Section, Section.id == OrderSection.section_id)
        .join(Course, Course.id == Section.course_id)
        .where(OrderSection.removed_at.is_(None), visible_sections_clause(user))
    )
    reach: ColumnElement[bool]
    if probe:
        # OFFSET 0 keeps the probe a subplan run per order (stopping at its first section in reach).
        reach = exists(on_reach.where(OrderSection.order_id == Order.id).offset(0))
    else:
        reach = Order.id.in_(on_reach)
    return or_(Order.placed_by_id == user.id, Order.owner_id == user.id, reach)


def oversees_clause(user: User) -> ColumnElement[bool]:
    """SQL: the section (joined with its course) is one the user oversees (grants or admin)."""
    return true() if user.is_program_admin else covered_by_grants_clause(user.grants)


def teaches_in_reach(user: User) -> Select:
    """SQL, correlated on User: the sections this User teaches that `user` oversees (grants or admin)."""
    return (
        select(TeachingAssignment.section_id)
        .join(Section, Section.id == TeachingAssignment.section_id)
        .join(Course, Course.id == Section.course_id)
        .where(TeachingAssignment.user_id == User.id)
        .where(oversees_clause(user))
    )

"""Who decides a review (docs/spec.md §2, §8): coordinators whose flagged grants cover every section, and
Program Administrators. Python predicates and their SQL twins side by side, as in orders/domain/reach.py.

"May approve" decides an order the organization's policy sends to review; "may review royalties" decides
one whose royalty answer sent it there (the stricter review: "may approve" alone is not enough for it).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import selectinload

from orders.domain.models import CoordinatorGrant, Course, Order, OrderingPeriod, OrderSection, Section, User
from orders.domain.reach import covered_by_grants_clause, grant_covers
from orders.extensions import db


def deciding_grants(user: User, *, royalty: bool) -> list[CoordinatorGrant]:
    """The user's grants with the flag this kind of review needs."""
    return [g for g in user.grants if (g.may_review_royalties if royalty else g.may_approve)]


def is_approver(user: User) -> bool:
    """The user decides some reviews ("Approvals" in the header).

    A Program Administrator, or a coordinator with a flagged grant.
    """
    return bool(
        getattr(user, "is_authenticated", False)
        and user.active
        and (user.is_program_admin or any(g.may_approve or g.may_review_royalties for g in user.grants))
    )


def uncovered(user: User, sections: Iterable[Section], *, royalty: bool) -> list[Section]:
    """The sections none of the user's flagged grants covers (none for a Program Administrator)."""
    if user.is_program_admin:
        return []
    grants = deciding_grants(user, royalty=royalty)
    return [s for s in sections if not any(grant_covers(g, s) for g in grants)]


def approvers_of(sections: list[Section], *, royalty: bool, excluding: Iterable[int] = ()) -> list[User]:
    """Whom to tell that a review waits: the active coordinators whose flagged grants cover every section,
    or, when nobody does, the active Program Administrators (so nothing waits unseen). Never `excluding`."""
    skip = set(excluding)
    flag = CoordinatorGrant.may_review_royalties if royalty else CoordinatorGrant.may_approve
    candidates = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.id.in_(select(CoordinatorGrant.user_id).where(flag.is_(True))))
        .options(selectinload(User.grants))
        .order_by(User.sort_name, User.id)
    ).all()
    found = [u for u in candidates if u.id not in skip and sections and not uncovered(u, sections, royalty=royalty)]
    if found:
        return found
    admins = db.session.scalars(
        select(User).where(User.active.is_(True), User.is_program_admin.is_(True)).order_by(User.sort_name, User.id)
    ).all()
    return [u for u in admins if u.id not in skip]


# --- SQL twins: the Approvals list ----------------------------------------------------------------------------


def _all_sections_covered(order_id, grants: list[CoordinatorGrant]) -> ColumnElement[bool]:
    """SQL: every current section of the order (an id expression) falls under one of `grants`."""
    if not grants:
        return false()
    outside = (
        select(OrderSection.section_id)
        .join(Section, Section.id == OrderSection.section_id)
        .join(Course, Course.id == Section.course_id)
        .where(OrderSection.order_id == order_id, OrderSection.removed_at.is_(None), ~covered_by_grants_clause(grants))
    )
    return ~exists(outside)


def decidable_clause(user: User, order_id, royalty, submitter_id, now: datetime) -> ColumnElement[bool]:
    """SQL twin of the approval rule's "who" (orders.domain.review.rules.decider_decision) for a review of the
    order `order_id` (its current sections), of the kind `royalty` (a boolean column), submitted by `submitter_id`:
    a Program Administrator any time; a coordinator whose flagged grants cover every section while the term's
    ordering period is open; never the submitter of a royalty review."""
    not_own_royalty = or_(~royalty, submitter_id != user.id)
    if user.is_program_admin:
        return and_(true(), not_own_royalty)
    covered = or_(
        and_(~royalty, _all_sections_covered(order_id, deciding_grants(user, royalty=False))),
        and_(royalty, _all_sections_covered(order_id, deciding_grants(user, royalty=True))),
    )
    open_now = exists(
        select(OrderingPeriod.id)
        .join(Order, Order.term_id == OrderingPeriod.term_id)
        .where(Order.id == order_id, OrderingPeriod.opens_at <= now, OrderingPeriod.closes_at > now)
    )
    return and_(covered, open_now, not_own_royalty)

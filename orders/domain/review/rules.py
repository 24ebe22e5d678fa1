"""The approval rule (docs/spec.md §2, §8): who may approve or return an order awaiting approval, or a change
awaiting approval, now. One Decision, asked by the summary's buttons, the routes' guard and the services."""
from __future__ import annotations

from datetime import datetime

from orders.domain.decisions import ALLOWED, Decision
from orders.domain.models import Order, OrderStatus, PendingEdit, Section, Term, User
from orders.domain.periods import is_open
from orders.domain.review.approvers import deciding_grants, is_approver, uncovered
from orders.domain.review.changes import awaiting_change
from orders.domain.rules import period_closed, view_decision

OWN_ROYALTY_REVIEW = "You submitted this, and it is under royalty review: another reviewer must decide it."


def decider_decision(user: User, sections: list[Section], term: Term, *, royalty: bool, submitter_id: int | None,
                     now: datetime | None) -> Decision:
    """May the user decide a review of these sections: a Program Administrator any time; a coordinator whose
    grants with the flag this review needs cover every section, while the ordering period is open; never the
    submitter of a royalty review (their own material). `now` None: periods aside."""
    if royalty and submitter_id is not None and submitter_id == user.id:
        return Decision(False, OWN_ROYALTY_REVIEW)
    if user.is_program_admin:
        return ALLOWED
    if not deciding_grants(user, royalty=royalty):
        if royalty:
            return Decision(False, "This order is under royalty review: only reviewers who may review royalties "
                                   "(or a Program Administrator) decide it.")
        return Decision(
            False, "Only approvers for these sections (or a Program Administrator) can approve or return it."
        )
    outside = uncovered(user, sections, royalty=royalty)
    if outside:
        labels = ", ".join(s.label for s in outside)
        return Decision(
            False,
            f"Your approval grants do not cover section{'s' if len(outside) > 1 else ''} {labels}. "
            "An approver covering every section, or a Program Administrator, decides it.",
        )
    if now is not None and not is_open(term, now):
        return period_closed(term, now, "approve or return it")
    return ALLOWED


def approve_decision(user: User, order: Order, now: datetime) -> Decision:
    """May the user approve (or return) this order, awaiting approval, now."""
    if order.status is not OrderStatus.AWAITING_APPROVAL:
        return Decision(False, "This order is not awaiting approval.")
    return decider_decision(
        user, order.sections, order.term, royalty=order.royalty_review, submitter_id=order.placed_by_id, now=now
    )


def change_decision(
    user: User, order: Order, change: PendingEdit, added_sections: list[Section], now: datetime
) -> Decision:
    """May the user approve (or return) this change to a placed order, awaiting approval: the same rule over
    the order's sections and those the change adds."""
    if order.status is not OrderStatus.PLACED or change.submitted_at is None or change.order_id != order.id:
        return Decision(False, "These changes are not awaiting approval.")
    sections = order.sections + [s for s in added_sections if s.id not in {x.id for x in order.sections}]
    return decider_decision(
        user, sections, order.term, royalty=change.royalty_review, submitter_id=change.user_id, now=now
    )


def decide_route_decision(user: User, order: Order, now: datetime) -> Decision:
    """The Approve and Return routes: a viewer who may decide what waits on this order; when nothing waits any
    more (decided, withdrawn), one who could have decided it passes, to be told calmly what became of it."""
    seen = view_decision(user, order, now)
    if not seen:
        return seen
    if order.status is OrderStatus.AWAITING_APPROVAL:
        return approve_decision(user, order, now)
    change = awaiting_change(order) if order.status is OrderStatus.PLACED else None
    if change is not None:
        return change_decision(user, order, change.pending, change.diff.added_sections, now)
    return decider_decision(user, order.sections, order.term, royalty=order.royalty_review, submitter_id=None, now=None)


def approvals_decision(user: User) -> Decision:
    """The Approvals screen ("Approvals" in the header).

    Program Administrators and coordinators with a flagged grant.
    """
    if is_approver(user):
        return ALLOWED
    return Decision(
        False,
        "The Approvals screen is for approvers: Program Administrators and coordinators whose grant may "
        "approve orders or review royalties.",
    )

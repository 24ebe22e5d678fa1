"""Submitting (docs/spec.md §8): an order, or a change to a placed one, either counts at once or waits for an approver.

The ordering services call these at their one moment of truth ("Place order", "Submit changes"), after their
own checks: route_* says whether it waits, the rest writes what that means (events, emails, the lines'
royalty marks, the change's submission), in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from orders.domain import outbox as mail
from orders.domain.audit import record_event
from orders.domain.models import CatalogItem, EventKind, Order, OrderEvent, OrderStatus, PendingEdit, Section, User
from orders.domain.ordering.pending_edits import EditDiff
from orders.domain.refusals import Refused
from orders.domain.review import notices
from orders.domain.review.approvers import approvers_of
from orders.domain.review.changes import ROYALTY_KEY, awaiting_pending
from orders.domain.review.policy import NO_REVIEW, ReviewNeed, combined, policy_need, review_need, royalty_need
from orders.domain.review.royalty import RoyaltyAnswer
from orders.domain.review.rules import decider_decision
from orders.domain.transitions import mirror_update
from orders.extensions import db


@dataclass(frozen=True)
class Route:
    """Where a submission goes: `need` (what the policy and the royalty answer ask) and whether the submitter
    may approve it themself (then it counts at once, and its history says "approved by the placer")."""

    need: ReviewNeed = NO_REVIEW
    self_approved: bool = False

    @property
    def waits(self) -> bool:
        return self.need.waits and not self.self_approved

    @property
    def status(self) -> OrderStatus:
        return OrderStatus.AWAITING_APPROVAL if self.waits else OrderStatus.PLACED


def _route(need: ReviewNeed, actor: User, sections: list[Section], order: Order, now: datetime) -> Route:
    # A royalty review always needs a second person: nobody reviews the royalty on their own material.
    self_ok = need.approval and not need.royalty and bool(
        decider_decision(actor, sections, order.term, royalty=False, submitter_id=actor.id, now=now)
    )
    return Route(need, self_ok)


def route_order(order: Order, actor: User, answer: RoyaltyAnswer, now: datetime) -> Route:
    """Does this order (a draft, or a returned order submitted again) wait, under today's policies and this answer."""
    need = review_need(order.sections, [line.catalog_item_id for line in order.current_lines],
                       requests=bool(order.current_requests), royalty=answer)
    return _route(need, actor, order.sections, order, now)


def sections_after(order: Order, change: EditDiff) -> list[Section]:
    """The order's sections once the change applies."""
    removed = {s.id for s in change.removed_sections}
    kept = [s for s in order.sections if s.id not in removed]
    return kept + [s for s in change.added_sections if s.id not in {k.id for k in kept}]


def route_change(order: Order, actor: User, change: EditDiff, answer: RoyaltyAnswer, now: datetime) -> Route:
    """Does this change to a placed order wait: under `approval` any change does; under a pre-approved list one
    that puts an item off the list before students (an added item, or every item when sections are added) or
    requests a title; and a royalty Yes on an added item, whatever the policy."""
    sections = sections_after(order, change)
    removed = {i.id for i in change.removed_items}
    exposed = [i.id for i in change.added_items]
    if change.added_sections:
        exposed += [line.catalog_item_id for line in order.current_lines if line.catalog_item_id not in removed]
    need = combined(
        policy_need(sections, exposed, requests=bool(change.added_requests)), royalty_need(sections, answer)
    )
    return _route(need, actor, sections, order, now)


def mark_authored(order: Order, answer: RoyaltyAnswer, *, only: set[int] | None = None) -> None:
    """Mark the order's current lines written or edited by an instructor (or earning a royalty) as the answer
    says; `only`: touch just these items (an edit's added lines), leaving the rest as they were."""
    for line in order.current_lines:
        if only is not None and line.catalog_item_id not in only:
            continue
        flagged = answer.authored and line.catalog_item_id in answer.items
        estimate = answer.items.get(line.catalog_item_id) if flagged else None
        if line.instructor_authored != flagged or line.royalty_per_copy != estimate:  # no UPDATE for no change
            line.instructor_authored, line.royalty_per_copy = flagged, estimate


def royalty_details(answer: RoyaltyAnswer) -> dict:
    """The answer as the order's history keeps it (with the titles as they were)."""
    titles = (
        dict(
            db.session.execute(
                select(CatalogItem.id, CatalogItem.title).where(CatalogItem.id.in_(list(answer.items)))
            ).all()
        )
        if answer.items
        else {}
    )
    return answer.details(titles)


def record_order_submission(
    order: Order,
    route: Route,
    answer: RoyaltyAnswer,
    *,
    actor: User,
    now: datetime,
    request_id: str | None,
    resubmitted: bool,
) -> OrderEvent:
    """The event and emails of an order just placed or just sent to review (its status already moved)."""
    details: dict[str, Any] = {"royalty": royalty_details(answer)}
    if route.waits:
        details.update(why=route.need.reason, resubmitted=resubmitted)
        event = record_event(
            order, EventKind.SUBMITTED_FOR_APPROVAL, actor=actor, now=now, request_id=request_id, details=details
        )
        approvers = approvers_of(order.sections, royalty=route.need.royalty, excluding=[actor.id])
        notices.enqueue_awaiting(order, event, approvers, now=now, change=False)
        return event
    if route.self_approved:
        details["approved_by_placer"] = True
    event = record_event(order, EventKind.PLACED, actor=actor, now=now, request_id=request_id, details=details)
    mail.enqueue_placed_emails(order, event, now=now)
    return event


ANOTHER_CHANGE_WAITS = (
    "Another change to this order already awaits approval. Nothing of yours was submitted: your "
    "changes are kept; submit them again once that one is decided."
)


def submit_change(
    order: Order,
    pending: PendingEdit,
    change: EditDiff,
    route: Route,
    answer: RoyaltyAnswer,
    *,
    actor: User,
    now: datetime,
    request_id: str | None,
) -> OrderEvent | None:
    """Send the user's pending change to review: the order stays as it is. None when this very change was
    submitted meanwhile (a double click, a second tab): the guarded UPDATE lets exactly one through."""
    other = awaiting_pending(order)
    if other is not None and other.id != pending.id:
        raise Refused(ANOTHER_CHANGE_WAITS)
    changes = dict(pending.changes, **{ROYALTY_KEY: answer.as_json()})
    try:
        with db.session.begin_nested():
            matched = cast(
                "CursorResult[Any]",
                db.session.execute(
                    update(PendingEdit)
                    .where(
                        PendingEdit.id == pending.id,
                        PendingEdit.submitted_at.is_(None),
                        PendingEdit.base_version == order.version,
                    )
                    .values(submitted_at=now, royalty_review=route.need.royalty, changes=changes, updated_at=now)
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
    except IntegrityError:  # uq_pending_edit_one_awaiting: another user's change was submitted at the same moment
        raise Refused(ANOTHER_CHANGE_WAITS) from None
    if matched != 1:
        return None
    mirror_update(pending, submitted_at=now, royalty_review=route.need.royalty, changes=changes, updated_at=now)
    details = dict(change.details(), change_id=pending.id, why=route.need.reason, royalty=royalty_details(answer))
    event = record_event(
        order, EventKind.SUBMITTED_FOR_APPROVAL, actor=actor, now=now, request_id=request_id, details=details
    )
    approvers = approvers_of(sections_after(order, change), royalty=route.need.royalty, excluding=[actor.id])
    notices.enqueue_awaiting(order, event, approvers, now=now, change=True)
    return event

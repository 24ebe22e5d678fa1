"""The order summary's review panel (docs/spec.md §8): what waits for an approver on this order, since when and
why, whether the viewer may decide it (the same rule the Approve and Return routes ask), and a return's reason."""
from __future__ import annotations

from dataclasses import dataclass

from orders import clock
from orders.domain.decisions import Decision
from orders.domain.models import EventKind, Order, OrderEvent, OrderStatus, PendingEdit, User
from orders.domain.ordering import editing
from orders.domain.ordering.pending_edits import EditDiff
from orders.domain.review.approvers import approvers_of
from orders.domain.review.changes import AwaitingChange, awaiting_change
from orders.domain.review.royalty import NO_ROYALTY
from orders.domain.review.rules import approve_decision, change_decision
from orders.domain.review.submitting import route_change
from orders.web.review_words import Returned, last_decision, returned_context
from orders.web.royalty_form import RoyaltyEntry


@dataclass(frozen=True)
class ReviewPanel:
    """What the summary shows about review: what waits (the order, or a change to it), since when and why, who may
    decide (`decision`, asked of the viewer), the royalty answer, and a return's reason."""

    submission: OrderEvent | None = None  # the event that sent what waits to review
    change: AwaitingChange | None = None
    decision: Decision | None = None
    approvers: tuple[str, ...] = ()
    returned: Returned | None = None
    approved_by_placer: bool = False

    @property
    def waiting(self) -> bool:
        return self.submission is not None

    @property
    def royalty_lines(self) -> list[dict]:
        royalty = (self.submission.details or {}).get("royalty") if self.submission else None
        return list(royalty.get("lines") or []) if royalty and royalty.get("authored") else []


def _undecided_change(events: list[OrderEvent]) -> bool:
    """The history holds a change submitted for approval and not yet decided (it may have been withdrawn): only
    then is the change looked up, so a summary without one costs no query more."""
    waiting: set[int] = set()
    for event in events:
        change_id = (event.details or {}).get("change_id")
        if change_id is None:
            continue
        if event.kind is EventKind.SUBMITTED_FOR_APPROVAL:
            waiting.add(change_id)
        elif event.kind in (EventKind.APPROVED, EventKind.RETURNED):
            waiting.discard(change_id)
    return bool(waiting)


def review_context(order: Order, events: list[OrderEvent], user: User) -> dict:
    """The summary's review panel, asked of the same rule as the routes (approve_decision / change_decision)."""
    now = clock.now()
    if order.status is OrderStatus.AWAITING_APPROVAL:
        submitted = last_decision(order, (EventKind.SUBMITTED_FOR_APPROVAL,), events)
        names = tuple(u.name for u in approvers_of(order.sections, royalty=order.royalty_review,
                                                    excluding=[order.placed_by_id or 0]))
        return {"review": ReviewPanel(submitted, decision=approve_decision(user, order, now), approvers=names)}
    if order.status is OrderStatus.RETURNED:
        return {"review": ReviewPanel(returned=returned_context(order, events))}
    placed = next((e for e in reversed(events) if e.kind is EventKind.PLACED), None)
    self_approved = bool(placed and (placed.details or {}).get("approved_by_placer"))
    change = awaiting_change(order) if order.status is OrderStatus.PLACED and _undecided_change(events) else None
    if change is None:
        return {"review": ReviewPanel(approved_by_placer=self_approved)}
    submitted = next((e for e in reversed(events) if e.kind is EventKind.SUBMITTED_FOR_APPROVAL
                      and (e.details or {}).get("change_id") == change.pending.id), None)
    return {
        "review": ReviewPanel(
            submitted,
            change,
            change_decision(user, order, change.pending, change.diff.added_sections, now),
            approved_by_placer=self_approved,
        )
    }


# --- The edit page: the royalty question for added items, and whether the change will wait -------------------


def edit_review_context(
    order: Order, user: User, pending: PendingEdit | None, change: EditDiff, now, royalty: RoyaltyEntry | None
) -> dict:
    """What the edit page shows about review: the user's change awaiting approval, or whether it would wait (the
    policy; a royalty Yes too), and the royalty question for the items it adds."""
    awaiting = pending if pending is not None and pending.submitted_at is not None else None
    offered = editing.royalty_offered(change) if awaiting is None else []
    route = route_change(order, user, change, NO_ROYALTY, now) if change and awaiting is None else None
    return dict(
        awaiting_change=awaiting,
        change_route=route,
        royalty=royalty or RoyaltyEntry(),
        royalty_lines=offered,
        royalty_form_id="submit-changes-form",
    )

"""A change to a placed order awaiting approval (docs/spec.md §8): the pending edit its author submitted,
read as the approver and the summary see it. The pending-edits machinery holds it; nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from orders.domain.models import Order, PendingEdit
from orders.domain.ordering.pending_edits import EditDiff, EditState, diff, wanted_state
from orders.domain.review.royalty import RoyaltyAnswer
from orders.extensions import db

ROYALTY_KEY = "royalty"  # the pending edit's changes: the royalty answer given when it was submitted


@dataclass(frozen=True)
class AwaitingChange:
    """The submitted change, what it does to the order as it is now, and the royalty answer it came with."""

    pending: PendingEdit
    state: EditState
    diff: EditDiff
    royalty: RoyaltyAnswer | None
    order_version: int  # the order's version as read

    @property
    def stale(self) -> bool:
        """The order changed since the change was submitted: approving it would apply it to another order."""
        return self.pending.base_version != self.order_version


def awaiting_pending(order: Order) -> PendingEdit | None:
    """The order's change awaiting approval, if any (at most one: uq_pending_edit_one_awaiting)."""
    return db.session.scalars(
        select(PendingEdit).where(PendingEdit.order_id == order.id, PendingEdit.submitted_at.is_not(None))
    ).first()


def read_change(order: Order, pending: PendingEdit) -> AwaitingChange:
    """The change as submitted (never carried onto a newer order: an approver decides what was submitted)."""
    state = wanted_state(pending)
    return AwaitingChange(pending, state, diff(order, state), RoyaltyAnswer.from_json(pending.changes.get(ROYALTY_KEY)),
                          order.version)


def awaiting_change(order: Order) -> AwaitingChange | None:
    """The order's change awaiting approval, read, or None."""
    pending = awaiting_pending(order)
    return read_change(order, pending) if pending is not None else None

"""The one guarded state change that every change to an order goes through.

Each change is an UPDATE guarded on the status and the version the caller loaded. On PostgreSQL the
UPDATE takes the row lock, so of concurrent requests (double clicks, two tabs, two people) exactly one
matches; the others match no row, see the order as it now is, and write nothing.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm.attributes import set_committed_value

from orders.domain.changelog import record_change
from orders.domain.models import Order, OrderSection, OrderStatus
from orders.domain.refusals import Conflict, DraftClosed
from orders.extensions import db


def mirror_update(obj: Any, **values: Any) -> None:
    """Reflect what an UPDATE statement wrote onto the loaded object, without reloading it."""
    for key, value in values.items():
        set_committed_value(obj, key, value)


def transition(
    order: Order,
    *,
    expected: OrderStatus,
    now: datetime,
    to: OrderStatus | None = None,
    related: dict[str, Any] | None = None,
    **values: Any,
) -> bool:
    """Apply `values` (and the new status) if the order is still `expected` at the loaded version.

    Bumps the version and `last_changed_at`. True when this call made the change; False when someone
    else changed the order first, in which case the order is refreshed to what they left. `related`
    mirrors relationship objects (e.g. canceled_by=actor) that match ids in `values`.
    """
    written = dict(values, version=order.version + 1, last_changed_at=now)
    if to is not None:
        written["status"] = to
    # An UPDATE or DELETE returns a CursorResult; Session.execute is typed as returning the plain Result.
    matched = cast("CursorResult[Any]", db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == expected, Order.version == order.version)
        .values(**written)
        .execution_options(synchronize_session=False)
    )).rowcount
    if matched != 1:
        db.session.refresh(order)
        return False
    mirror_update(order, **written, **(related or {}))
    record_change(order, order.status, now)  # in this transaction: a delta that misses the commit leaves it unclaimed
    return True


def revise_draft(draft: Order, now: datetime) -> None:
    """A draft's sections or lines changed: move its version on through the same guarded UPDATE, so Place
    (which checks the version the review page showed) sees the change, and two tabs never both win.
    An order returned to its placer (docs/spec.md §8) is worked on the same way, in its own status."""
    expected = draft.status if draft.status.workable else OrderStatus.DRAFT
    if not transition(draft, expected=expected, now=now):
        if draft.status is not expected:
            raise DraftClosed(draft)
        raise Conflict("Your other tab changed this draft at the same moment. Check it and try again.")


def set_claimed(order: Order, claimed: bool) -> None:
    """Claim (or release) the order's current sections: the database allows one placed order per section."""
    db.session.execute(
        update(OrderSection)
        .where(OrderSection.order_id == order.id, OrderSection.removed_at.is_(None))
        .values(claimed=claimed)
        .execution_options(synchronize_session=False)
    )
    for link in order.order_sections:
        if link.removed_at is None:
            set_committed_value(link, "claimed", claimed)

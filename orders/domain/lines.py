"""The lines of an order, as everything that counts them reads them: one rule, its SQL and Python twins side by side.

An order's lines are its current catalog items and its approved content requests, each request as the
catalog item that fulfils it (docs/spec.md §3). A catalog item counts **once** per order: a current
catalog line wins over an approved request for the same item, and of two approved requests for one
item the first (by position, then id) counts; the other is *shadowed*. Approving a request with an
item the order already counts is refused (orders/domain/ordering/content_requests.py), so a shadowed
request comes only from older data or from an edit that later added the item as a line.

The billing feed, the student page and the student emails, the public lookup, Progress, the order
feed's content ids, the order history's total and the order's own total per student all read this
module, so a student is never charged twice for one title, nor shown one price and billed another.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    Subquery,
    and_,
    case,
    exists,
    false,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from orders.domain.models import ContentRequest, ContentRequestStatus, OrderLine

if TYPE_CHECKING:
    from orders.domain.models import Order

APPROVED = ContentRequestStatus.APPROVED
PENDING = (ContentRequestStatus.SUBMITTED, ContentRequestStatus.RESEARCHING)


# --- SQL ---------------------------------------------------------------------------------------------


def shadowed_clause(request=ContentRequest) -> ColumnElement[bool]:
    """SQL: the order already counts this request's item through another line (a current catalog line of
    the item, or an earlier current approved request for it)."""
    earlier = aliased(ContentRequest, name="earlier_request")
    # correlate_except: the request's row may sit more than one level up (an EXISTS inside a subquery).
    as_line = exists().where(
        OrderLine.order_id == request.order_id, OrderLine.catalog_item_id == request.fulfilled_by_id,
        OrderLine.removed_at.is_(None),
    ).correlate_except(OrderLine)
    as_earlier_request = exists().where(
        earlier.order_id == request.order_id, earlier.fulfilled_by_id == request.fulfilled_by_id,
        earlier.status == APPROVED, earlier.removed_at.is_(None),
        or_(earlier.position < request.position, and_(earlier.position == request.position, earlier.id < request.id)),
    ).correlate_except(earlier)
    return or_(as_line, as_earlier_request)


def counted_request_clause(request=ContentRequest) -> ColumnElement[bool]:
    """SQL: this content request is one of its order's lines: current, approved, and not shadowed."""
    return and_(
        request.removed_at.is_(None), request.status == APPROVED, request.fulfilled_by_id.is_not(None),
        ~shadowed_clause(request),
    )


def carries_item_clause(order_id, item_id) -> ColumnElement[bool]:
    """SQL: the order (an id expression) counts the catalog item (an id expression) among its lines: a current
    line of it, or a current approved request for it (when several, one of them counts)."""
    return or_(
        exists()
        .where(OrderLine.order_id == order_id, OrderLine.catalog_item_id == item_id, OrderLine.removed_at.is_(None))
        .correlate_except(OrderLine),
        exists()
        .where(
            ContentRequest.order_id == order_id,
            ContentRequest.fulfilled_by_id == item_id,
            ContentRequest.status == APPROVED,
            ContentRequest.removed_at.is_(None),
        )
        .correlate_except(ContentRequest),
    )


def fulfilling_item_id(request=ContentRequest) -> ColumnElement:
    """SQL: the catalog item a request stands for in a listing of every line (the order feed's content id):
    an approved request's item, unless another line of the order already carries it (then NULL)."""
    return case((and_(request.status == APPROVED, ~shadowed_clause(request)), request.fulfilled_by_id))


def order_lines(order_ids: Select | None = None, *, pending: bool = False) -> Subquery:
    """The counted lines of orders, one row per order and catalog item (plus, with `pending`, one per
    submitted or researching request, item_id NULL: the public lookup's "to be determined").

    Columns: order_id, item_id, price (NULL: priced as the item), requirement, type_rank (0 a catalog
    line, 1 a request), position, pending (1 for a pending request), instructor_authored (a catalog line
    marked by the royalty question, docs/spec.md §8; never a request). `order_ids`, a SELECT of order ids,
    narrows both halves of the union: PostgreSQL does not push a join's condition into a UNION, so a
    page about a few sections would otherwise read every line.
    """
    narrow = (lambda column: [column.in_(order_ids)]) if order_ids is not None else (lambda column: [])
    items = select(
        OrderLine.order_id.label("order_id"),
        OrderLine.catalog_item_id.label("item_id"),
        OrderLine.student_price.label("price"),
        OrderLine.requirement.label("requirement"),
        literal_column("0", Integer).label("type_rank"),
        OrderLine.position.label("position"),
        literal_column("0", Integer).label("pending"),
        OrderLine.instructor_authored.label("instructor_authored"),
    ).where(OrderLine.removed_at.is_(None), *narrow(OrderLine.order_id))
    wanted = counted_request_clause()
    if pending:
        wanted = or_(wanted, and_(ContentRequest.removed_at.is_(None), ContentRequest.status.in_(PENDING)))
    requests = select(
        ContentRequest.order_id,
        case((ContentRequest.status == APPROVED, ContentRequest.fulfilled_by_id)),
        literal_column("NULL", Numeric(10, 2)),
        ContentRequest.requirement,
        literal_column("1", Integer),
        ContentRequest.position,
        case((ContentRequest.status.in_(PENDING), 1), else_=0),
        false(),
    ).where(wanted, *narrow(ContentRequest.order_id))
    return union_all(items, requests).subquery("line")


# --- Python (an order already loaded) ----------------------------------------------------------------


def counted_requests(order: Order) -> list[ContentRequest]:
    """The order's approved requests that count as lines (the Python twin of counted_request_clause)."""
    seen = {line.catalog_item_id for line in order.current_lines}
    counted = []
    for request in sorted(order.current_requests, key=lambda r: (r.position, r.id or 0)):
        if request.status is APPROVED and request.fulfilled_by_id is not None and request.fulfilled_by_id not in seen:
            seen.add(request.fulfilled_by_id)
            counted.append(request)
    return counted


def counted_item_ids(order: Order) -> set[int]:
    """Every catalog item the order counts: its current lines' and its counted requests' items."""
    return {line.catalog_item_id for line in order.current_lines} | {
        r.fulfilled_by_id for r in counted_requests(order) if r.fulfilled_by_id is not None
    }


def total_per_student(order: Order) -> Decimal:
    """What a student pays for the order: each counted line once, a request priced as its item."""
    prices: Iterable[Decimal] = [line.student_price for line in order.current_lines] + [
        r.fulfilled_by.student_price for r in counted_requests(order) if r.fulfilled_by is not None
    ]
    return sum(prices, Decimal("0.00"))

"""SQL: the catalog lines a student of a section sees and may be billed for, one set for every reader.

A placed order's current catalog items, and its approved content requests as the catalog item that
fulfils them (docs/spec.md §3: an approved request counts as its item everywhere, billing included). The
student page, the billing feed and the student emails read this; the rule for each line's state is orders/domain/students/choices.py.
"""
from __future__ import annotations

from sqlalchemy import Integer, Numeric, Select, Subquery, literal_column, select, union_all

from orders.domain.models import ContentRequest, ContentRequestStatus, OrderLine


def catalog_lines(order_ids: Select | None = None) -> Subquery:
    """Columns: order_id, item_id, price (NULL: priced as the item), requirement, type_rank, position.

    `order_ids`, a SELECT of order ids, narrows both halves of the union: PostgreSQL does not push a
    join's condition into a UNION, so a page about a few sections would otherwise read every line.
    """
    items = select(
        OrderLine.order_id.label("order_id"),
        OrderLine.catalog_item_id.label("item_id"),
        OrderLine.student_price.label("price"),
        OrderLine.requirement.label("requirement"),
        literal_column("0", Integer).label("type_rank"),
        OrderLine.position.label("position"),
    ).where(OrderLine.removed_at.is_(None), *([OrderLine.order_id.in_(order_ids)] if order_ids is not None else []))
    requests = select(
        ContentRequest.order_id,
        ContentRequest.fulfilled_by_id,
        literal_column("NULL", Numeric(10, 2)),
        ContentRequest.requirement,
        literal_column("1", Integer),
        ContentRequest.position,
    ).where(
        ContentRequest.removed_at.is_(None),
        ContentRequest.status == ContentRequestStatus.APPROVED,
        ContentRequest.fulfilled_by_id.is_not(None),
        *([ContentRequest.order_id.in_(order_ids)] if order_ids is not None else []),
    )
    return union_all(items, requests).subquery("line")

"""The order feed's test story on the demo data, at frozen times, with edits simulated in the database.

Edits and content-request approvals are simulated the way their services will record them (the
edit feature is built elsewhere): the removed row is kept with removed_at, and the order's
last_changed_at moves.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select

from devtools import demo
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    Section,
    User,
)
from orders.extensions import db
from tests.helpers import DEMO_PASSWORD_HASH

# The moment the demo data is loaded for the golden files: every seeded time is relative to it.
FROZEN = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
SPRING = "202710"


def at(text: str) -> datetime:
    """An aware UTC time from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def load_frozen_demo() -> None:
    """The demo set as if loaded at FROZEN, with catalog ids from 1 on every database."""
    if db.engine.dialect.name == "postgresql":  # sequences survive the suite's DELETEs; content_id must not vary
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER SEQUENCE catalog_item_id_seq RESTART WITH 1")
    demo.load_demo(FROZEN, password_hash=DEMO_PASSWORD_HASH)
    db.session.commit()


def order(number: int) -> Order:
    return db.session.scalars(select(Order).where(Order.number == number)).one()


def item(title: str) -> CatalogItem:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()


def user(first_name: str) -> User:
    return db.session.scalars(select(User).where(User.email == f"{first_name}@demo.edu")).one()


def touch(o: Order, moment: datetime) -> None:
    o.last_changed_at = moment
    o.version += 1


def remove_line(number: int, title: str, moment: datetime) -> None:
    """An edit took a catalog item off the order."""
    o = order(number)
    line = next(line for line in o.lines if line.item.title == title)
    line.removed_at = moment
    touch(o, moment)


def add_line(number: int, title: str, moment: datetime) -> None:
    """An edit added a catalog item."""
    o = order(number)
    new = item(title)
    db.session.add(
        OrderLine(order_id=o.id, catalog_item_id=new.id, position=len(o.lines), student_price=new.student_price)
    )
    touch(o, moment)


def remove_section(number: int, label: str, moment: datetime) -> None:
    """An edit took a section off the order: kept, marked removed, no longer claimed."""
    o = order(number)
    link = next(link for link in o.order_sections if link.section.label == label)
    link.removed_at, link.claimed = moment, False
    touch(o, moment)


def request_title(number: int, title: str, isbn13: str, moment: datetime) -> ContentRequest:
    """An edit added a content request (status Submitted)."""
    o = order(number)
    request = ContentRequest(
        order_id=o.id,
        position=len(o.lines) + len(o.content_requests),
        title=title,
        isbn13=isbn13,
        requested_by_id=o.placed_by_id,
        created_at=moment,
        updated_at=moment,
    )
    db.session.add(request)
    touch(o, moment)
    return request


def approve_request(number: int, title: str, fulfilled_by: str, moment: datetime) -> None:
    """A Program Administrator approved the request with the catalog item that fulfils it."""
    o = order(number)
    request = next(r for r in o.content_requests if r.title == title)
    request.status, request.fulfilled_by_id, request.updated_at = (
        ContentRequestStatus.APPROVED,
        item(fulfilled_by).id,
        moment,
    )
    touch(o, moment)


def cancel(number: int, by: str, moment: datetime) -> None:
    """The order was canceled: its sections are free again and its open requests canceled."""
    o = order(number)
    o.status, o.canceled_by_id, o.canceled_at = OrderStatus.CANCELED, user(by).id, moment
    for link in o.order_sections:
        link.claimed = False
    for request in o.content_requests:
        if request.status not in (ContentRequestStatus.APPROVED, ContentRequestStatus.DENIED):
            request.status = ContentRequestStatus.CANCELED
    touch(o, moment)


def draft(course_number: str, label: str, moment: datetime, *, status: OrderStatus = OrderStatus.DRAFT) -> Order:
    """A draft (or discarded draft) on a Spring section: never in the feed."""
    section = db.session.scalars(
        select(Section).join(Section.course).where(Section.sis_id == f"{SPRING}-CS-{course_number}-{label}")
    ).one()
    o = Order(
        term_id=section.term_id, course_id=section.course_id, status=status, owner_id=user("ada").id, created_at=moment
    )
    db.session.add(o)
    db.session.flush()
    db.session.add(OrderSection(order_id=o.id, section_id=section.id, claimed=False))
    first = item("Python Crash Course")
    db.session.add(
        OrderLine(order_id=o.id, catalog_item_id=first.id, position=0, student_price=Decimal(first.student_price))
    )
    return o

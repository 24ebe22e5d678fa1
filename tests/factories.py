"""Small factories for tests that need data shaped differently from the demo set."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from orders.domain.formats import isbn
from orders.domain.models import (
    AcademicSession,
    Campus,
    CatalogItem,
    CoordinatorGrant,
    Course,
    CourseLevel,
    Delivery,
    EventKind,
    Institution,
    Order,
    OrderEvent,
    OrderingPeriod,
    OrderLine,
    OrderSection,
    OrderStatus,
    Organization,
    Section,
    TeachingAssignment,
    Term,
    User,
)
from orders.extensions import db
from tests.helpers import DEMO_PASSWORD_HASH

_seq = itertools.count(1)


def institution() -> Institution:
    inst = db.session.query(Institution).first()
    if inst is None:
        inst = Institution(name="Test University", timezone="America/Chicago", contact_email="pa@test.edu")
        db.session.add(inst)
    return inst


def user(name: str | None = None, *, admin: bool = False) -> User:
    n = next(_seq)
    name = name or f"User{n} Person{n}"
    u = User(
        name=name, sort_name=User.sort_key_for(name), email=f"user{n}@test.edu",
        password_hash=DEMO_PASSWORD_HASH, active=True, is_program_admin=admin,
    )
    db.session.add(u)
    db.session.flush()
    return u


def term(now: datetime, *, state: str = "open") -> Term:
    """A term whose ordering period is open, closed or upcoming relative to `now`."""
    n = next(_seq)
    opens, closes = {
        "open": (now - timedelta(days=5), now + timedelta(days=5)),
        "closed": (now - timedelta(days=20), now - timedelta(days=1)),
        "upcoming": (now + timedelta(days=3), now + timedelta(days=30)),
    }[state]
    t = Term(code=f"T{n:05d}", name=f"Term {n}", starts_on=date(2027, 1, 1), ends_on=date(2027, 5, 1))
    t.period = OrderingPeriod(opens_at=opens, closes_at=closes)
    db.session.add(t)
    db.session.flush()
    return t


def section(
    term_: Term, *, subject: str = "MATH", number: str = "101", label: str | None = None,
    level: CourseLevel = CourseLevel.UNDERGRADUATE, org_code: str = "ORG1", campus_code: str = "MAIN",
    instructors: tuple[User, ...] = (),
) -> Section:
    course = db.session.query(Course).filter_by(subject=subject, number=number).first() or Course(
        subject=subject, number=number, title=f"{subject} course {number}"
    )
    org = db.session.query(Organization).filter_by(code=org_code).first() or Organization(
        code=org_code, name=f"Org {org_code}"
    )
    campus = db.session.query(Campus).filter_by(code=campus_code).first() or Campus(
        code=campus_code, name=campus_code.title()
    )
    session = db.session.query(AcademicSession).first() or AcademicSession(name="Regular Academic Session")
    s = Section(
        course=course,
        term=term_,
        label=label or f"{next(_seq):03d}",
        level=level,
        organization=org,
        campus=campus,
        session=session,
    )
    db.session.add(s)
    db.session.flush()
    for person in instructors:
        db.session.add(TeachingAssignment(user_id=person.id, section_id=s.id))
    db.session.flush()
    return s


def grant(u: User, **dims) -> CoordinatorGrant:
    g = CoordinatorGrant(user_id=u.id, **dims)
    db.session.add(g)
    db.session.flush()
    return g


def catalog_item(title: str = "A Book") -> CatalogItem:
    n = next(_seq)
    first12 = f"978{n:09d}"
    item = CatalogItem(
        title=title,
        authors="Some Author",
        isbn13=first12 + isbn.check_digit(first12),
        publisher="Pub",
        edition="1st",
        delivery=Delivery.ETEXT,
        student_price=Decimal("25.00"),
    )
    db.session.add(item)
    db.session.flush()
    return item


def placed_order(
    sections: list[Section], placer: User, now: datetime, *, status: OrderStatus = OrderStatus.PLACED
) -> Order:
    """An order placed (or already canceled) directly, without emails."""
    institution()
    number = 5000 + next(_seq)
    first = sections[0]
    order = Order(
        number=number,
        term_id=first.term_id,
        course_id=first.course_id,
        status=status,
        owner_id=placer.id,
        created_at=now,
        placed_by_id=placer.id,
        placed_at=now,
        version=1,
    )
    if status is OrderStatus.CANCELED:
        order.canceled_by_id, order.canceled_at = placer.id, now
    db.session.add(order)
    db.session.flush()
    for s in sections:
        db.session.add(OrderSection(order_id=order.id, section_id=s.id, claimed=status is OrderStatus.PLACED))
    item = catalog_item()
    db.session.add(OrderLine(order_id=order.id, catalog_item_id=item.id, position=0, student_price=item.student_price))
    db.session.add(
        OrderEvent(
            order_id=order.id, kind=EventKind.PLACED, actor_id=placer.id, occurred_at=now, on_behalf_of=[], details={}
        )
    )
    db.session.flush()
    return order

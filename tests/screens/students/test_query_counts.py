"""The student page runs at most 5 SQL statements per request, whatever the data size (no N+1)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from orders.domain.models import (
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    OrderLine,
    OtherCost,
    StudentChoice,
    Term,
    User,
)
from orders.extensions import db
from tests import factories as f

BUDGET = 5  # the user and session, the institution, the enrollments, the materials, the orders' other required costs


def grow(app, now, extra: int) -> None:
    """Mary gains sections (each on a placed order with two lines, one opted out) and classmates."""
    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        fall = db.session.scalars(select(Term).where(Term.code != "202710")).first()
        mary = db.session.scalars(select(User).where(User.email == "mary@demo.edu")).one()
        for i in range(extra):
            teacher = f.user(f"Grow{i} Teacher{i}")
            term = spring if i % 3 else fall  # a term select with more terms costs nothing either
            section = f.section(term, subject="HIST", number=f"{100 + i}", label="001", instructors=(teacher,))
            order = f.placed_order([section], teacher, now)
            items = [f.catalog_item(f"Grown book {i}-{n}") for n in range(2)]
            for n, item in enumerate(items):
                db.session.add(
                    OrderLine(order_id=order.id, catalog_item_id=item.id, position=n, student_price=item.student_price)
                )
                db.session.add(
                    OtherCost(order_id=order.id, description=f"Lab fee {n}", amount=Decimal("12.50"), position=n)
                )
            db.session.add(
                Enrollment(user_id=mary.id, section_id=section.id, state=EnrollmentState.ENROLLED, enrolled_at=now)
            )
            db.session.add(
                StudentChoice(
                    user_id=mary.id,
                    section_id=section.id,
                    catalog_item_id=items[0].id,
                    choice=ChoiceValue.OPTED_OUT,
                    decided_at=now,
                    decided_by_id=mary.id,
                )
            )
            for k in range(3):
                classmate = f.user(f"Classmate{i}x{k} Student")
                db.session.add(
                    Enrollment(
                        user_id=classmate.id,
                        section_id=section.id,
                        state=EnrollmentState.ENROLLED,
                        enrolled_at=now - timedelta(days=1),
                    )
                )
        db.session.commit()


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "htmx"])
def test_student_page_query_count_is_small_and_constant(app, client, demo_data, count_queries, now, headers):
    client.post("/sign-in", data={"email": "mary@demo.edu", "password": "orders-demo"})
    url = "/student/materials?term=202710"

    def measure() -> int:
        client.get(url, headers=headers)
        with count_queries() as counter:
            assert client.get(url, headers=headers).status_code == 200
        return counter.count

    small = measure()
    grow(app, now, 30)
    large = measure()
    grown = client.get(url).get_data(as_text=True)
    assert "Grown book 1-0" in grown and "Lab fee 1 — $12.50" in grown  # the grown data is on the page
    print(f"student page: {small} queries with the demo data, {large} with 30 more sections")
    assert small == large <= BUDGET, f"{small} queries with the demo data, {large} with 30 more sections"

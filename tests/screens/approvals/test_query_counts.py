"""The Approvals screen and a waiting order's summary run a fixed number of statements whatever the number of orders
waiting (no N+1)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from orders.domain.models import EventKind, OrderEvent, OrderStatus, Term, User
from orders.extensions import db
from tests import factories as f
from tests.web.test_query_counts import count_for


def grow_waiting(app, now, count: int) -> None:
    """`count` more MATH orders awaiting approval (each with its submission event), some of two sections."""
    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        for i in range(count):
            teacher = f.user(f"Wait{i} Ing{i}")
            sections = [
                f.section(
                    spring, subject="MATH", number=f"{500 + i}", label=label, org_code="MATH", instructors=(teacher,)
                )
                for label in (("001", "002") if i % 2 else ("001",))
            ]
            order = f.placed_order(sections, teacher, now, status=OrderStatus.AWAITING_APPROVAL)
            order.placed_at, order.submitted_at, order.last_changed_at = None, now, now
            db.session.add(
                OrderEvent(
                    order_id=order.id,
                    kind=EventKind.SUBMITTED_FOR_APPROVAL,
                    actor_id=teacher.id,
                    occurred_at=now,
                    on_behalf_of=[],
                    details={"royalty": {"authored": False, "lines": []}},
                )
            )
        db.session.commit()
        assert db.session.scalars(select(User).where(User.email == "emmy@demo.edu")).one()


# (user, page, budget): what the pages take today, so a regression shows.
PAGES = [("emmy", "/approvals", 7), ("katherine", "/approvals?royalty=no", 7), ("emmy", "/orders/1005", 8)]


@pytest.mark.parametrize("user,url,budget", PAGES)
def test_review_pages_stay_flat(app, client, demo_data, count_queries, now, user, url, budget):
    client.post("/sign-in", data={"email": f"{user}@demo.edu", "password": "orders-demo"})
    small = count_for(client, count_queries, url)
    grow_waiting(app, now, 30)
    large = count_for(client, count_queries, url)
    assert small == large, f"{url}: {small} statements with the demo, {large} with 30 more orders waiting"
    assert large <= budget, f"{url} ran {large} statements (budget {budget})"
    if url.startswith("/approvals"):
        assert "of 31 waiting" in client.get(url).get_data(as_text=True)

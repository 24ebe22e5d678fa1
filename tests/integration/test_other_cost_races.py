"""Other required costs under concurrency on PostgreSQL (issue 35): ten tabs adding the same cost to one draft at once
add it once; a pending edit with an added cost submitted ten times at once applies it once, with one event."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from orders.domain.models import EventKind, Order, OrderEvent, OtherCost
from orders.extensions import db
from tests.helpers import require_postgres, sign_in
from tests.integration.test_order_races import run_together
from tests.screens.ordering.test_ordering import ready_draft


def test_ten_tabs_adding_one_cost_to_a_draft_add_it_once(app, demo_data):
    require_postgres()
    clients = []
    for _ in range(10):
        client = app.test_client()
        sign_in(client, "ada")
        clients.append(client)
    draft_id = ready_draft(clients[0], app)
    url = f"/ordering/drafts/{draft_id}/other-costs"
    responses = run_together(
        10, lambda i: clients[i].post(url, data={"description": "Graphing calculator", "amount": "15.00"})
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 10}
    with app.app_context():
        rows = db.session.execute(
            select(OtherCost.description, OtherCost.amount).where(OtherCost.order_id == draft_id)
        ).all()
        assert rows == [("Graphing calculator", Decimal("15.00"))]
    banners = [client.get(f"/ordering/drafts/{draft_id}/materials").get_data(as_text=True) for client in clients]
    assert not any("Something went wrong" in page for page in banners)


def test_ten_simultaneous_submits_add_a_cost_once(app, demo_data):
    require_postgres()
    clients = []
    for _ in range(10):
        client = app.test_client()
        sign_in(client, "emmy")
        clients.append(client)
    assert (
        clients[0].post("/orders/1001/edit/other-costs", data={"description": "Lab kit", "amount": "30"}).status_code
        == 303
    )
    responses = run_together(10, lambda i: clients[i].post("/orders/1001/edit/submit", data={"version": "1"}))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 10}
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        assert order.version == 2
        assert [c.description for c in order.other_costs] == ["Graphing calculator", "Lab kit"]
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OrderEvent)
                .where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.EDITED)
            )
            == 1
        )

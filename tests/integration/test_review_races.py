"""Races of review on PostgreSQL (docs/spec.md §8): two approvers at once, approve against return, a change decided
twice, a change submitted twenty times. Exactly one decision, one event, one set of emails each."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from orders.domain.models import CatalogItem, EventKind, Order, OrderEvent, OrderStatus, OutboundEmail, PendingEdit
from orders.extensions import db
from tests.helpers import require_postgres, sign_in, text_of
from tests.integration.test_order_races import run_together

pytestmark = pytest.mark.postgres


def _clients(app, people: list[str]) -> list:
    clients = []
    for person in people:
        client = app.test_client()
        sign_in(client, person)
        clients.append(client)
    return clients


def _events(number: int, *kinds: EventKind) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .join(Order)
        .where(Order.number == number, OrderEvent.kind.in_(kinds))
    )


def test_two_approvers_at_once_decide_once(app, demo_data):
    require_postgres()
    clients = _clients(app, ["emmy", "katherine"] * 5)
    responses = run_together(10, lambda i: clients[i].post("/orders/1005/approve", data={"version": "1"}))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 10}
    pages = [text_of(client.get("/orders/1005")) for client in clients]
    assert sum("Order #1005 was approved." in page for page in pages) == 1
    assert sum("Already approved by" in page for page in pages) == 9
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1005)).one()
        assert order.status is OrderStatus.PLACED and order.version == 2
        assert _events(1005, EventKind.APPROVED) == 1
        assert list(db.session.scalars(select(OutboundEmail.recipient))) == ["sophie@demo.edu"]  # one set: her receipt


def test_approve_and_return_at_once_one_wins(app, demo_data):
    require_postgres()
    clients = _clients(app, ["emmy", "katherine"])
    actions = [
        ("/orders/1005/approve", {"version": "1"}),
        ("/orders/1005/return", {"version": "1", "reason": "Wrong edition"}),
    ]
    responses = run_together(2, lambda i: clients[i].post(actions[i][0], data=actions[i][1]))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [303, 303]
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1005)).one()
        approved, returned = _events(1005, EventKind.APPROVED), _events(1005, EventKind.RETURNED)
        assert approved + returned == 1 and order.version == 2
        assert order.status is (OrderStatus.PLACED if approved else OrderStatus.RETURNED)
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 1


def _ada_submits_a_change(app) -> int:
    ada = app.test_client()
    sign_in(ada, "ada")
    with app.app_context():
        thomas = db.session.scalars(select(CatalogItem.id).where(CatalogItem.title == "Thomas' Calculus")).one()
    ada.post("/orders/1001/edit/items", data={"item_id": str(thomas)})
    assert ada.post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"}).status_code == 303
    with app.app_context():
        return db.session.scalars(select(PendingEdit.id).where(PendingEdit.submitted_at.is_not(None))).one()


def test_two_approvers_decide_one_change_once(app, demo_data):
    require_postgres()
    change = _ada_submits_a_change(app)
    clients = _clients(app, ["emmy", "katherine"] * 3)
    responses = run_together(
        6, lambda i: clients[i].post("/orders/1001/approve", data={"version": "1", "change": str(change)})
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 6}
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        assert order.version == 2 and [line.item.title for line in order.current_lines] == [
            "Calculus: Early Transcendentals",
            "Thomas' Calculus",
        ]
        assert _events(1001, EventKind.APPROVED) == 1 and _events(1001, EventKind.EDITED) == 1
        assert db.session.scalar(select(func.count()).select_from(PendingEdit)) == 0
        recipients = sorted(db.session.scalars(select(OutboundEmail.recipient)))
    assert recipients == ["ada@demo.edu", "emmy@demo.edu"]  # Emmy's "awaits your approval", Ada's "approved": one set


def test_twenty_submits_of_one_change_submit_it_once(app, demo_data):
    require_postgres()
    clients = _clients(app, ["ada"] * 20)
    with app.app_context():
        thomas = db.session.scalars(select(CatalogItem.id).where(CatalogItem.title == "Thomas' Calculus")).one()
    clients[0].post("/orders/1001/edit/items", data={"item_id": str(thomas)})
    responses = run_together(
        20, lambda i: clients[i].post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"})
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 20}
    with app.app_context():
        assert _events(1001, EventKind.SUBMITTED_FOR_APPROVAL) == 1
        assert list(db.session.scalars(select(OutboundEmail.recipient))) == ["emmy@demo.edu"]
        assert db.session.scalars(select(Order.version).where(Order.number == 1001)).one() == 1

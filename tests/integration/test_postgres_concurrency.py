"""Races on PostgreSQL: many confirmations of one cancel, and several mail workers on one outbox."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from orders import clock
from orders.extensions import db
from orders.mail import deliver_due
from orders.models import EventKind, Order, OrderEvent, OrderStatus, OutboundEmail
from tests.conftest import require_postgres, sign_in
from tests.integration.test_mail_delivery import smtp  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres


def run_together(count: int, work) -> list:
    """Start `count` threads that call work(i) at the same instant; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # surfaced by the assertions below
            results[i] = error

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_simultaneous_confirmations_cancel_once(app, demo_data):
    require_postgres()
    clients = []
    for _ in range(20):
        client = app.test_client()
        sign_in(client, "ada")
        clients.append(client)
    responses = run_together(20, lambda i: clients[i].post("/orders/1001/cancel", data={"version": "1"}))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 20}
    banners = Counter()
    for client in clients:
        page = client.get("/orders/1001").get_data(as_text=True)
        banners["canceled" if "Order #1001 was canceled." in page else "already" if "already canceled by Ada Lovelace" in page else "other"] += 1
    assert banners == {"canceled": 1, "already": 19}
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        assert order.status is OrderStatus.CANCELED and order.version == 2
        events = db.session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.CANCELED)
        )
        emails = db.session.scalar(select(func.count()).select_from(OutboundEmail))
    assert events == 1
    assert emails == 1  # Ada placed it, canceled it and is its only instructor: one receipt


def test_two_workers_never_send_one_email_twice(app, login_as, smtp):  # noqa: F811
    require_postgres()
    client = login_as("katherine")
    for number in (1001, 1002, 1003):
        client.post(f"/orders/{number}/cancel", data={"version": "1"})
    with app.app_context():
        expected = db.session.scalar(select(func.count()).select_from(OutboundEmail))
        db.session.remove()

    def worker(_: int) -> int:
        sent_total = 0
        with app.app_context():
            while True:
                sent, failed = deliver_due(clock.utcnow, limit=2)
                assert failed == 0
                if not sent:
                    break
                sent_total += sent
            db.session.remove()
        return sent_total

    totals = run_together(2, worker)
    assert all(isinstance(t, int) for t in totals), totals
    assert sum(totals) == expected == 7
    ids = Counter(m["X-Order-Email-Id"] for m in smtp.inbox.messages)
    assert len(ids) == expected and set(ids.values()) == {1}

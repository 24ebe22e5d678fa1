"""Races on PostgreSQL: many confirmations of one cancel or one edit, two orders claiming one section, and several
mail workers on one outbox."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from orders import clock
from orders.domain.models import (
    CatalogItem,
    EventKind,
    Order,
    OrderEvent,
    OrderSection,
    OrderStatus,
    OutboundEmail,
    PendingEdit,
    Section,
    Term,
)
from orders.extensions import db
from orders.worker.delivery import deliver_due
from tests import factories
from tests.helpers import require_postgres, sign_in

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
        banners[
            "canceled"
            if "Order #1001 was canceled." in page
            else "already"
            if "already canceled by Ada Lovelace" in page
            else "other"
        ] += 1
    assert banners == {"canceled": 1, "already": 19}
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        assert order.status is OrderStatus.CANCELED and order.version == 2
        events = db.session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.CANCELED)
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


def _events(order_number: int, kind: EventKind) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OrderEvent)
        .join(Order)
        .where(Order.number == order_number, OrderEvent.kind == kind)
    )


def test_twenty_simultaneous_submits_apply_one_edit_once(app, demo_data):
    """One pending edit (Emmy's: a coordinator covering #1001), submitted twenty times at once."""
    require_postgres()
    clients = []
    for _ in range(20):
        client = app.test_client()
        sign_in(client, "emmy")
        clients.append(client)
    with app.app_context():
        thomas = db.session.scalars(select(CatalogItem.id).where(CatalogItem.title == "Thomas' Calculus")).one()
    assert clients[0].post("/orders/1001/edit/items", data={"item_id": str(thomas)}).status_code == 303
    clients[0].get("/orders/1001/edit")  # take the "Added" banner
    responses = run_together(
        20, lambda i: clients[i].post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"})
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {303: 20}
    assert {r.headers["Location"] for r in responses} == {"/orders/1001"}
    pages = [client.get("/orders/1001").get_data(as_text=True) for client in clients]
    # the winner and every repeat: calm (a repeat says its changes were already applied)
    assert all(
        "Order #1001 was updated." in page or "Your changes to order #1001 were already applied" in page
        for page in pages
    )
    assert not any("changed while you were editing" in page or "Something went wrong" in page for page in pages)
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        assert order.version == 2
        assert [line.item.title for line in order.current_lines] == [
            "Calculus: Early Transcendentals",
            "Thomas' Calculus",
        ]
        assert _events(1001, EventKind.EDITED) == 1
        recipients = sorted(db.session.scalars(select(OutboundEmail.recipient)))
        assert db.session.scalar(select(func.count()).select_from(PendingEdit)) == 0
    assert recipients == ["ada@demo.edu", "emmy@demo.edu"]  # one set: Emmy's receipt, Ada's notice


def test_two_orders_racing_for_one_section_one_wins(app, demo_data, now):
    """Section 003 added at the same instant to #1001 and to another MATH 221 order: the unique index decides."""
    require_postgres()
    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.name == "Spring 2027")).one()
        katherine = demo_data.user("katherine")
        other = factories.placed_order(
            [factories.section(spring, subject="MATH", number="221", label="004")], katherine, now
        )
        section_003 = db.session.scalars(
            select(Section.id).where(
                Section.term_id == spring.id, Section.course_id == other.course_id, Section.label == "003"
            )
        ).one()
        numbers = [1001, other.number]
        db.session.commit()
        db.session.remove()
    clients = []
    for _ in numbers:
        client = app.test_client()
        sign_in(client, "katherine")
        clients.append(client)
    responses = run_together(
        2,
        lambda i: clients[i].post(
            f"/orders/{numbers[i]}/add-sections", data={"section": str(section_003), "version": "1"}
        ),
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [303, 303]
    won = [i for i, r in enumerate(responses) if r.headers["Location"] == f"/orders/{numbers[i]}"]
    assert len(won) == 1
    lost = 1 - won[0]
    assert responses[lost].headers["Location"] == f"/orders/{numbers[lost]}/add-sections"
    refusal = clients[lost].get(responses[lost].headers["Location"]).get_data(as_text=True)
    assert "put on another order a moment ago" in refusal or "can&#39;t be added to this order" in refusal
    with app.app_context():
        claimed = db.session.scalars(
            select(Order.number).join(OrderSection).where(OrderSection.section_id == section_003, OrderSection.claimed)
        ).all()
        assert claimed == [numbers[won[0]]]
        assert (
            _events(numbers[won[0]], EventKind.SECTIONS_ADDED) == 1
            and _events(numbers[lost], EventKind.SECTIONS_ADDED) == 0
        )
        loser = db.session.scalars(select(Order).where(Order.number == numbers[lost])).one()
        assert (
            loser.version == 1
            and [s.label for s in loser.sections] != []
            and "003" not in [s.label for s in loser.sections]
        )

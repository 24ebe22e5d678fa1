"""Emails through a real SMTP server: content, an outage, retries, and no duplicates."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from orders import clock
from orders.domain.models import EmailStatus, OutboundEmail
from orders.extensions import db
from orders.worker.delivery import deliver_due


def drain(app, now_fn=clock.utcnow):
    with app.app_context():
        result = deliver_due(now_fn, limit=100)
        db.session.remove()
        return result


def outbox(app):
    with app.app_context():
        rows = list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))
        db.session.expunge_all()
        return rows


def test_cancellation_emails_reach_each_person_with_every_detail(app, login_as, smtp):
    client = login_as("grace")
    assert client.post("/orders/1002/cancel", data={"version": "1"}).status_code == 303
    assert drain(app) == (2, 0)
    receipt, = smtp.inbox.to("grace@demo.edu")
    notice, = smtp.inbox.to("alan@demo.edu")
    assert receipt["Subject"] == "Order #1002 canceled — CS 310 Theory of Computation, Spring 2027"
    assert notice["Subject"] == "Order #1002 was canceled by Grace Hopper — CS 310 Theory of Computation, Spring 2027"
    text = receipt.get_body(("plain",)).get_content()
    html = receipt.get_body(("html",)).get_content()
    for fact in [
        "Order: #1002", "Course: CS 310 Theory of Computation", "Term: Spring 2027", "Section(s): 001",
        "Session: Regular Academic Session", "Introduction to the Theory of Computation (ISBN 9781335990327)",
        "Automata, Computability and Complexity (ISBN", "Canceled by: Grace Hopper", "On behalf of: Alan Turing",
        "http://orders.test/orders/1002", "orders-admin@demo.edu",
    ]:
        assert fact in text, fact
    assert "CST" in text or "CDT" in text  # the institution's timezone, America/Chicago
    assert (
        "Digital Course Materials" in html
        and "9781335990327" in html
        and 'href="http://orders.test/orders/1002"' in html
    )
    assert "You canceled order #1002" in text
    assert "Grace Hopper canceled order #1002" in notice.get_body(("plain",)).get_content()
    assert {row.status for row in outbox(app)} == {EmailStatus.SENT}


def test_placer_and_instructors_are_notified_when_an_admin_cancels(app, login_as, smtp):
    client = login_as("katherine")
    client.post("/orders/1002/cancel", data={"version": "1"})
    drain(app)
    assert sorted(m["To"] for m in smtp.inbox.messages) == ["alan@demo.edu", "grace@demo.edu", "katherine@demo.edu"]


def test_smtp_outage_delays_mail_but_loses_none_and_sends_none_twice(app, login_as, smtp):
    smtp.stop()
    client = login_as("katherine")
    for number in (1001, 1002, 1003):
        response = client.post(f"/orders/{number}/cancel", data={"version": "1"})
        assert response.status_code == 303  # the cancel never waits on SMTP
    expected = len(outbox(app))
    assert expected == 2 + 3 + 2  # 1001: Katherine, Ada; 1002: Katherine, Grace, Alan; 1003: Katherine, Ada
    sent, failed = drain(app)
    assert (sent, failed) == (0, expected)
    rows = outbox(app)
    assert all(r.status is EmailStatus.PENDING and r.attempts == 1 and r.last_error for r in rows)
    assert drain(app) == (0, 0)  # backing off: nothing is due yet
    smtp.start()
    later = lambda: clock.utcnow() + timedelta(minutes=5)  # noqa: E731 - past the backoff
    assert drain(app, later) == (expected, 0)
    assert drain(app, later) == (0, 0)
    assert len(smtp.inbox.messages) == expected
    ids = [m["X-Order-Email-Id"] for m in smtp.inbox.messages]
    assert len(set(ids)) == expected


def test_gives_up_after_max_attempts_and_keeps_the_error(app, login_as, smtp):
    smtp.stop()
    login_as("ada").post("/orders/1001/cancel", data={"version": "1"})
    previous, app.config["MAIL_MAX_ATTEMPTS"] = app.config["MAIL_MAX_ATTEMPTS"], 3
    try:
        moment = clock.utcnow()
        for step in range(4):
            drain(app, lambda step=step: moment + timedelta(hours=step + 1))
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = previous
    (row,) = outbox(app)
    assert row.status is EmailStatus.FAILED and row.attempts == 3
    assert "ConnectionRefusedError" in row.last_error


def test_backoff_grows_exponentially(app):
    from orders.worker.delivery import backoff

    with app.app_context():
        base = app.config["MAIL_BACKOFF_SECONDS"]
        assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [base, base * 2, base * 4, base * 8]
        assert backoff(40).total_seconds() == 3600


def test_a_rolled_back_change_sends_nothing(app, login_as, smtp, monkeypatch):
    client = login_as("ada")

    def fail_after_enqueue(*args, **kwargs):
        raise RuntimeError("the database went away after the outbox write")

    import orders.domain.ordering.canceling as services

    original = services.mail.enqueue_cancel_emails

    def enqueue_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        fail_after_enqueue()

    monkeypatch.setattr(services.mail, "enqueue_cancel_emails", enqueue_then_fail)
    assert client.post("/orders/1001/cancel", data={"version": "1"}).status_code == 500
    assert outbox(app) == []
    assert drain(app) == (0, 0) and smtp.inbox.messages == []


def test_header_injection_from_user_text_is_neutralised(app, login_as, smtp):
    from orders.domain.models import Course

    with app.app_context():
        course = db.session.scalars(select(Course).where(Course.subject == "MATH", Course.number == "221")).one()
        course.title = "Calculus I\r\nBcc: victim@evil.example"
        db.session.commit()
    login_as("ada").post("/orders/1001/cancel", data={"version": "1"})
    drain(app)
    (message,) = smtp.inbox.messages
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "Bcc: victim@evil.example" in message["Subject"]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(OutboundEmail).where(OutboundEmail.recipient.like("%evil%"))
            )
            == 0
        )


def test_the_request_writes_a_snapshot_and_the_worker_renders_the_order_as_it_was(app, login_as, smtp):
    """Rendering moved to the worker: what it sends is the order at the change, not at delivery."""
    from orders.domain.models import CatalogItem, Order, OrderLine

    client = login_as("grace")
    assert client.post("/orders/1002/cancel", data={"version": "1"}).status_code == 303
    rows = outbox(app)
    assert rows and all(row.body_text == "" and row.snapshot["template"] == "order_canceled" for row in rows)
    # A later change, before the worker runs: a title renamed and a line taken off the order.
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1002)).one()
        line = db.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        ).first()
        kept_title = line.item.title
        db.session.get(CatalogItem, line.catalog_item_id).title = "Renamed Later"
        line.removed_at = clock.utcnow()
        db.session.commit()
    assert drain(app) == (2, 0)
    (receipt,) = smtp.inbox.to("grace@demo.edu")
    text = receipt.get_body(("plain",)).get_content()
    html = receipt.get_body(("html",)).get_content()
    assert kept_title in text and kept_title in html
    assert "Renamed Later" not in text and "Renamed Later" not in html
    sent = {row.recipient: row for row in outbox(app)}
    assert kept_title in sent["grace@demo.edu"].body_text  # the record of what was sent is kept
    assert "<p>Hello Grace Hopper,</p>" in sent["grace@demo.edu"].body_html

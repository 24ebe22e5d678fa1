"""Issue 28 defect 8 and the long-outage risk: delivery is at least once and deduplicable by Message-ID;
retries reach past a day; failed mail can be put back (command and back office)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from orders import clock
from orders.config import Config
from orders.domain.models import AdminAuditEntry, EmailStatus, OutboundEmail
from orders.domain.outbox import retry_reach
from orders.extensions import db
from orders.worker.delivery import SEND_LEASE
from tests.integration.test_mail_delivery import drain, outbox


def test_the_message_id_is_the_same_on_every_delivery_attempt_of_a_row(app, login_as, smtp):
    client = login_as("grace")
    assert client.post("/orders/1002/cancel", data={"version": "1"}).status_code == 303
    assert drain(app) == (2, 0)
    with app.app_context():  # as if the "sent" mark had been lost: the same rows go out again
        db.session.execute(update(OutboundEmail).values(status=EmailStatus.PENDING, next_attempt_at=clock.utcnow()))
        db.session.commit()
    assert drain(app) == (2, 0)
    first, second = smtp.inbox.messages[:2], smtp.inbox.messages[2:]
    assert [m["Message-ID"] for m in first] == [m["Message-ID"] for m in second]
    ids = {m["Message-ID"] for m in smtp.inbox.messages}
    assert len(ids) == 2  # one per row, distinct between rows
    rows = outbox(app)
    for row in rows:
        assert f"<outbox-{row.id}." in " ".join(ids)
    assert all(re.fullmatch(r"<outbox-\d+\.[0-9a-f]{16}@localhost>", i) for i in ids)  # the sender's domain


def test_a_database_failure_after_smtp_accepted_resends_with_the_same_message_id(app, login_as, smtp, monkeypatch):
    login_as("grace").post("/orders/1002/cancel", data={"version": "1"})
    import orders.worker.delivery as mail

    real_mark = mail._mark_sent
    calls = []

    def database_gone(email_id, now):
        calls.append(email_id)
        raise OperationalError("UPDATE outbound_email", {}, Exception("server closed the connection"))

    monkeypatch.setattr(mail, "_mark_sent", database_gone)
    with pytest.raises(OperationalError):
        drain(app)
    assert len(smtp.inbox.messages) == 1 and len(calls) == 1  # SMTP accepted it; the mark was the very next step
    lost, = [row for row in outbox(app) if row.id == calls[0]]
    assert lost.status is EmailStatus.SENDING  # claimed, under its lease
    monkeypatch.setattr(mail, "_mark_sent", real_mark)
    after_lease = lambda: clock.utcnow() + SEND_LEASE + timedelta(seconds=1)  # noqa: E731
    sent, failed = drain(app, after_lease)
    assert failed == 0
    duplicates = [m for m in smtp.inbox.messages if m["X-Order-Email-Id"] == str(lost.id)]
    assert len(duplicates) == 2  # at least once...
    assert duplicates[0]["Message-ID"] == duplicates[1]["Message-ID"]  # ...and the receiver can drop the copy
    assert {row.status for row in outbox(app)} == {EmailStatus.SENT}


def test_order_emails_carry_the_request_id_of_the_change(app, login_as, smtp):
    client = login_as("ada")
    response = client.post("/orders/1001/cancel", data={"version": "1"})
    drain(app)
    assert {m["X-Request-ID"] for m in smtp.inbox.messages} == {response.headers["X-Request-ID"]}


def test_default_retries_reach_past_a_day():
    reach = retry_reach(
        {
            name: getattr(Config, name)
            for name in ("MAIL_BACKOFF_SECONDS", "MAIL_BACKOFF_MAX_SECONDS", "MAIL_MAX_ATTEMPTS")
        }
    )
    assert reach >= timedelta(hours=24)
    assert reach < timedelta(hours=30)  # and gives up within a day and a bit


def fail_everything(app, login_as, smtp):
    smtp.stop()
    login_as("grace").post("/orders/1002/cancel", data={"version": "1"})
    with app.app_context():
        db.session.execute(
            update(OutboundEmail).values(
                status=EmailStatus.FAILED, attempts=32, last_error="ConnectionRefusedError: down"
            )
        )
        db.session.commit()
    smtp.start()


def test_send_mail_retry_failed_puts_failed_rows_back_and_says_how_many(app, login_as, smtp):
    fail_everything(app, login_as, smtp)
    result = app.test_cli_runner().invoke(args=["send-mail", "--retry-failed"])
    assert result.exit_code == 0, result.output
    assert "Queued 2 failed emails again" in result.output
    assert {(row.status, row.attempts) for row in outbox(app)} == {(EmailStatus.PENDING, 0)}
    assert drain(app) == (2, 0)
    again = app.test_cli_runner().invoke(args=["send-mail", "--retry-failed"])
    assert "Queued 0 failed emails again" in again.output


def test_back_office_lists_failed_mail_and_retries_one_or_all(app, login_as, smtp, monkeypatch):
    fail_everything(app, login_as, smtp)
    client = login_as("katherine")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # as in production, once signed in
    page = client.get("/admin/mail/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2 failed emails" in html and "ConnectionRefusedError: down" in html
    assert 'aria-current="page"' in html and "Failed mail</a>" in html  # its tab in the back office
    first, second = sorted(row.id for row in outbox(app))
    assert client.post(f"/admin/mail/{first}/retry").status_code == 400  # no CSRF token: refused
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(f"/admin/mail/{first}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    statuses = {row.id: row.status for row in outbox(app)}
    assert statuses == {first: EmailStatus.PENDING, second: EmailStatus.FAILED}
    response = client.post("/admin/mail/retry-all", data={"csrf_token": token}, follow_redirects=True)
    assert "1 failed email is queued again" in response.get_data(as_text=True)
    assert {row.status for row in outbox(app)} == {EmailStatus.PENDING}
    with app.app_context():
        entries = list(
            db.session.scalars(
                select(AdminAuditEntry).where(AdminAuditEntry.kind == "mail.retry").order_by(AdminAuditEntry.id)
            )
        )
        assert [(e.actor.email, e.after["emails"]) for e in entries] == [
            ("katherine@demo.edu", 1),
            ("katherine@demo.edu", 1),
        ]
        assert f"#{first}" in entries[0].target


def test_failed_mail_page_is_for_program_administrators_only(app, login_as):
    client = login_as("ada")
    assert client.get("/admin/mail/").status_code == 403
    assert client.post("/admin/mail/retry-all").status_code == 403

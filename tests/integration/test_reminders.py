"""send-reminders with a moved clock on the demo data (docs/spec.md §4), and two runs racing on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.cli.reminders import run_once
from orders.domain.models import Institution, OutboundEmail, ReminderKind, ReminderSent, Term
from orders.domain.ordering.no_materials import Row, answer_no_materials, row_sections
from orders.domain.reminders.schedule import days_left, due_kind
from orders.extensions import db
from tests.helpers import require_postgres


@pytest.fixture
def reminders_on(app, demo_data):
    with app.app_context():
        db.session.scalars(select(Institution)).one().reminders_enabled = True
        db.session.commit()
    return demo_data


def spring_deadline(app):
    with app.app_context():
        return db.session.scalars(select(Term).filter_by(code="202710")).one().period.deadline


def run(app, moment) -> list[str]:
    with app.app_context():
        lines = without_digest(run_once(moment))
        db.session.remove()
        return lines


def without_digest(lines: list[str]) -> list[str]:
    """The command's lines but the approvers' digest (the demo's #1005 has waited 4 days: tests/screens/approvals)."""
    return [line for line in lines if not line.startswith("Approvals:")]


def outbox(app) -> dict[str, list[OutboundEmail]]:
    """Reminder emails by recipient, oldest first (detached copies for assertions)."""
    with app.app_context():
        found: dict[str, list] = {}
        for email in db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.kind.like("reminder_%")).order_by(OutboundEmail.id)
        ):
            found.setdefault(email.recipient, []).append(email)
        db.session.expunge_all()
        return found


def answer(app, demo, who: str, subject: str, number: str, at) -> None:
    """`who` answers "no materials needed" for their course in Spring 2027."""
    from orders.domain.models import Course

    with app.app_context():
        user = demo.user(who)
        course = db.session.scalars(select(Course).filter_by(subject=subject, number=number)).one()
        term = db.session.scalars(select(Term).filter_by(code="202710")).one()
        row = Row(course, term, str(user.id))
        answer_no_materials(row, row_sections(user, row, at).answerable, actor=user, now=at, request_id=None)
        db.session.commit()


def test_opening_reminder_goes_to_people_with_missing_courses(app, reminders_on, now):
    lines = run(app, now + timedelta(minutes=1))
    assert lines[0].startswith(
        "Spring 2027: opening reminder written to the outbox for 4 (3 with their own courses, 2 coordinator digests)"
    )
    sent = outbox(app)
    # Katherine is a Program Administrator without grants: no digest. Summer (upcoming) and Fall (closed): nothing.
    assert sorted(sent) == ["ada@demo.edu", "alan@demo.edu", "emmy@demo.edu", "grace@demo.edu"]
    ada = sent["ada@demo.edu"][0]
    assert ada.subject == "Ordering for Spring 2027 is open" and ada.event_id is None and ada.status.value == "pending"
    assert (
        "MATH 221 Calculus I, section 003" in ada.body_text
        and "CS 150 Introduction to Programming, section 001" in ada.body_text
    )
    assert "CS 310" not in ada.body_text  # not hers
    assert "/ordering/start/" in ada.body_text and "?term=202710&q=MATH+221" in ada.body_text
    assert 'href="http://localhost/ordering/start/' in ada.body_html or "/ordering/start/" in ada.body_html
    grace = sent["grace@demo.edu"][0].body_text
    assert "Courses you coordinate" in grace and "Ada Lovelace" in grace and "Alan Turing" in grace
    assert "MATH" not in grace.split("Courses you coordinate", 1)[1]  # only CS is in her reach
    assert "instructor=" in grace  # links open the course for that instructor
    emmy = sent["emmy@demo.edu"][0].body_text  # teaches and coordinates: one email with both parts
    assert "Your courses still missing materials" in emmy and "MATH 340 Abstract Algebra" in emmy
    assert "Courses you coordinate" in emmy and "Ada Lovelace" in emmy and "CS 150" not in emmy


def test_rerun_sends_nothing_twice(app, reminders_on, now):
    run(app, now + timedelta(minutes=1))
    again = run(app, now + timedelta(hours=1))
    assert "for 0 " in again[0] and "4 already reminded" not in again[0]  # the query skips marked people outright
    assert sum(len(v) for v in outbox(app).values()) == 4
    with app.app_context():
        staff = [ReminderKind.OPENING, ReminderKind.CLOSING]  # the student emails have markers of their own
        assert db.session.query(ReminderSent).filter(ReminderSent.kind.in_(staff)).count() == 4


def test_closing_reminder_seven_days_before_the_soft_close_skips_answered_courses(app, reminders_on, now):
    deadline = spring_deadline(app)
    run(app, now + timedelta(minutes=1))  # opening
    before_window = run(app, deadline - timedelta(days=7, minutes=1))
    assert "for 0 " in before_window[0]  # still the opening window: everyone has had it
    # Between the two reminders Alan answers CS 150 and Emmy answers MATH 340.
    answer(app, reminders_on, "alan", "CS", "150", deadline - timedelta(days=8))
    answer(app, reminders_on, "emmy", "MATH", "340", deadline - timedelta(days=8))
    run(app, deadline - timedelta(days=6))
    closing = {r: [e for e in emails if e.kind == "reminder_closing"] for r, emails in outbox(app).items()}
    closing = {r: e[0] for r, e in closing.items() if e}
    assert sorted(closing) == ["ada@demo.edu", "emmy@demo.edu", "grace@demo.edu"]  # Alan has nothing missing
    assert closing["ada@demo.edu"].subject.startswith("Ordering for Spring 2027 closes on ")
    emmy = closing["emmy@demo.edu"].body_text
    assert (
        "Your courses still missing" not in emmy
        and "MATH 221 Calculus I, section 003" in emmy
        and "MATH 340" not in emmy
    )
    grace = closing["grace@demo.edu"].body_text
    assert "Ada Lovelace" in grace and "Alan Turing" not in grace
    assert run(app, deadline - timedelta(days=1))[0].startswith(
        "Spring 2027: closing reminder written to the outbox for 0 "
    )


def test_nothing_after_the_soft_close(app, reminders_on):
    deadline = spring_deadline(app)
    assert run(app, deadline + timedelta(hours=1)) == ["No reminder is due now."]
    assert outbox(app) == {}


def test_reminders_off_sends_nothing(app, demo_data, now):
    assert run(app, now + timedelta(minutes=1))[0] == (
        'Reminders are turned off (institution setting "Send reminder emails"): no staff reminder sent.'
    )  # the student emails do not depend on it (tests/integration/test_student_emails.py)
    assert outbox(app) == {}


def test_cli_command(app, reminders_on):
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Spring 2027: opening reminder" in result.output
    assert app.test_cli_runner().invoke(args=["send-reminders"]).output.count("for 0 ") == 1


def test_schedule_boundaries(app, demo_data, now):
    with app.app_context():
        period = db.session.scalars(select(Term).filter_by(code="202710")).one().period
        deadline = period.deadline
        assert due_kind(period, period.opens_at - timedelta(seconds=1)) is None
        assert due_kind(period, period.opens_at) is ReminderKind.OPENING
        assert due_kind(period, deadline - timedelta(days=7, seconds=1)) is ReminderKind.OPENING
        assert due_kind(period, deadline - timedelta(days=7)) is ReminderKind.CLOSING
        assert due_kind(period, deadline - timedelta(seconds=1)) is ReminderKind.CLOSING
        assert due_kind(period, deadline) is None
        assert days_left(period, deadline - timedelta(days=8), "America/Chicago") is None
        assert days_left(period, deadline - timedelta(days=3), "America/Chicago") == 3
        assert days_left(period, deadline - timedelta(minutes=1), "America/Chicago") == 0
        period.soft_close_at = None  # defaults to the hard close
        assert due_kind(period, period.closes_at - timedelta(days=1)) is ReminderKind.CLOSING
        db.session.rollback()


def test_two_concurrent_runs_send_each_reminder_once(app, reminders_on, now):
    require_postgres()
    barrier = threading.Barrier(2)
    outputs, errors = [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                outputs.append(without_digest(run_once(now + timedelta(minutes=1))))
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sent = outbox(app)
    assert sorted(sent) == ["ada@demo.edu", "alan@demo.edu", "emmy@demo.edu", "grace@demo.edu"]
    assert all(len(emails) == 1 for emails in sent.values()), {k: len(v) for k, v in sent.items()}
    counts = sorted(int(lines[0].split(" for ")[1].split()[0]) for lines in outputs)
    assert sum(counts) == 4, outputs

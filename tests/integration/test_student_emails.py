"""send-reminders' student emails on the demo data (docs/spec.md §4 "Student emails"), with a moved clock.

Demo: Spring 2027's choice window opened 5 days before `now` and closes 20 days after; opt-out mode;
reminders (staff) off, which does not gate the student emails.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from orders.cli.reminders import run_once
from orders.domain import upkeep
from orders.domain.billing.rows import billing_rows
from orders.domain.models import (
    ApprovalDigestSent,
    CatalogItem,
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    Institution,
    OutboundEmail,
    ProgramMode,
    ReminderKind,
    ReminderSent,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.domain.reminders.students import student_kinds_due
from orders.extensions import db
from orders.worker.delivery import render
from tests.helpers import DEMO_PASSWORD_HASH, require_postgres

STUDENT_KINDS = ("student_materials", "student_choose_by")


def run(app, moment) -> list[str]:
    with app.app_context():
        lines = without_digest(run_once(moment))
        db.session.remove()
        return lines


def without_digest(lines: list[str]) -> list[str]:
    """The command's lines but the approvers' digest (the demo's #1005 has waited 4 days: tests/screens/approvals)."""
    return [line for line in lines if not line.startswith("Approvals:")]


def emails(app, kind: str) -> dict[str, SimpleNamespace]:
    """Outbox rows of `kind` by recipient, rendered from their snapshot as the mail worker will."""
    with app.app_context():
        found = {}
        for email in db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == kind)):
            assert email.body_text == "" and email.snapshot["template"] == kind  # rendered at delivery, not here
            text, html = render(email)
            found[email.recipient] = SimpleNamespace(subject=email.subject, body_text=text, body_html=html)
        db.session.remove()
        return found


def closes_at(app):
    with app.app_context():
        return db.session.scalars(select(Term).filter_by(code="202710")).unique().one().choice_closes_at


def billable_students(app, now) -> set[str]:
    """Students with a billable row in the billing feed: the other reader of the same rule."""
    with app.app_context():
        term = db.session.scalars(select(Term).filter_by(code="202710")).unique().one()
        rows = list(billing_rows(db.session.connection(), term, ProgramMode.OPT_OUT, now))
        return {row[1] for row in rows if row[9] == "true"}


def students_with_lines(app) -> set[str]:
    """Enrolled Spring students in a section on a placed order (demo: MATH 221 001/002, CS 310 001)."""
    with app.app_context():
        return set(
            db.session.scalars(
                select(User.email)
                .join(Enrollment, Enrollment.user_id == User.id)
                .join(Section, Section.id == Enrollment.section_id)
                .where(
                    Enrollment.state == EnrollmentState.ENROLLED,
                    Section.sis_id.in_(["202710-MATH-221-001", "202710-MATH-221-002", "202710-CS-310-001"]),
                )
            )
        )


def test_materials_email_once_per_student_when_the_window_is_open(app, demo_data, now):
    lines = run(app, now + timedelta(minutes=1))
    expected = students_with_lines(app)
    assert len(expected) == 19
    assert lines == [
        'Reminders are turned off (institution setting "Send reminder emails"): no staff reminder sent.',
        "Spring 2027: “Your course materials” email to 19 students.",
    ]
    assert set(emails(app, "student_materials")) == expected  # Sofia's CS 150 has no order: she is told about MATH 221
    assert emails(app, "student_choose_by") == {}
    # A rerun, or tomorrow's run, sends nothing new.
    assert run(app, now + timedelta(days=1))[1] == "Spring 2027: “Your course materials” email to 0 students."
    assert len(emails(app, "student_materials")) == 19
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ReminderSent)
                .where(ReminderSent.kind == ReminderKind.STUDENT_MATERIALS)
            )
            == 19
        )


def test_the_database_allows_one_marker_per_student_term_and_kind(app, demo_data, now):
    run(app, now)
    with app.app_context():
        marker = db.session.scalars(
            select(ReminderSent).where(ReminderSent.kind == ReminderKind.STUDENT_MATERIALS)
        ).first()
        db.session.add(ReminderSent(term_id=marker.term_id, user_id=marker.user_id, kind=marker.kind, sent_at=now))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_student_enrolled_later_gets_the_materials_email_on_the_next_run(app, demo_data, now):
    run(app, now)
    with app.app_context():
        student = db.session.scalars(select(User).filter_by(email="student04@demo.edu")).one()  # in MATH 340: no order
        section = db.session.scalars(select(Section).filter_by(sis_id="202710-CS-310-001")).unique().one()
        db.session.add(
            Enrollment(user_id=student.id, section_id=section.id, state=EnrollmentState.ENROLLED, enrolled_at=now)
        )
        db.session.commit()
    assert run(app, now + timedelta(days=1))[1] == "Spring 2027: “Your course materials” email to 1 student."
    assert "student04@demo.edu" in emails(app, "student_materials")


def test_the_materials_email_lists_every_section_material_price_mode_deadline_and_link(app, demo_data, now):
    run(app, now)
    mary = emails(app, "student_materials")["mary@demo.edu"]
    assert mary.subject == "Your course materials for Spring 2027"
    text = mary.body_text
    assert "CS 310 Theory of Computation, section 001" in text and "MATH 221 Calculus I, section 001" in text
    assert "- Introduction to the Theory of Computation (ISBN 9781335990327), required, $92.25" in text
    assert "- Automata, Computability and Complexity (ISBN 9780132288064), recommended, $58.00" in text
    assert "Included — $89.99 will be charged to your student account" in text
    assert "charged to your student account unless you opt out of them by" in text
    assert "To be charged now: $240.24" in text
    assert "See your materials and opt out by " in text and "/student/materials?term=202710" in text
    assert '<a href="' in mary.body_html and "/student/materials?term=202710" in mary.body_html
    assert "<strong>Calculus: Early Transcendentals</strong>" in mary.body_html
    sofia = emails(app, "student_materials")["sofia@demo.edu"].body_text
    assert "CS 150 Introduction to Programming, section 001" in sofia
    assert "Your instructor has not chosen materials yet." in sofia
    assert "CS 310" not in sofia  # dropped


def test_choose_by_goes_out_in_the_windows_last_two_days_only(app, demo_data, now):
    closes = closes_at(app)
    with app.app_context():
        term = db.session.scalars(select(Term).filter_by(code="202710")).unique().one()
        assert student_kinds_due(term, closes - timedelta(days=2, seconds=1)) == [ReminderKind.STUDENT_MATERIALS]
        assert student_kinds_due(term, closes - timedelta(days=2)) == [
            ReminderKind.STUDENT_MATERIALS,
            ReminderKind.STUDENT_CHOOSE_BY,
        ]
        assert student_kinds_due(term, closes) == []
        assert student_kinds_due(term, term.choice_opens_at - timedelta(seconds=1)) == []
    assert run(app, closes) == [
        'Reminders are turned off (institution setting "Send reminder emails"): no staff reminder sent.'
    ]
    assert emails(app, "student_choose_by") == {}


def test_opt_out_mode_choose_by_goes_to_every_student_with_something_to_be_charged(app, demo_data, now):
    moment = closes_at(app) - timedelta(days=1)
    lines = run(app, moment)
    expected = billable_students(app, moment)
    # The MATH 221 students who opted out of its only item have nothing to be charged.
    assert "student01@demo.edu" not in expected and "mary@demo.edu" in expected
    assert len(expected) == 15
    assert "Spring 2027: “Choose by” email to 15 students." in lines
    sent = emails(app, "student_choose_by")
    assert set(sent) == expected
    mary = sent["mary@demo.edu"]
    assert mary.subject.startswith("Choose by ") and mary.subject.endswith(": your course materials for Spring 2027")
    assert "Unless you opt out before then, these materials will be charged" in mary.body_text
    assert "Total: $240.24" in mary.body_text
    assert run(app, moment + timedelta(hours=1))[-1] == "Spring 2027: “Choose by” email to 0 students."


def test_opt_in_mode_choose_by_goes_to_students_with_lines_not_opted_in(app, demo_data, now):
    with app.app_context():
        db.session.scalars(select(Institution)).one().program_mode = ProgramMode.OPT_IN
        mary = db.session.scalars(select(User).filter_by(email="mary@demo.edu")).one()
        for enrollment in db.session.scalars(select(Enrollment).filter_by(user_id=mary.id)):
            section = db.session.get(Section, enrollment.section_id)
            items = {
                "202710-CS-310-001": [
                    "Introduction to the Theory of Computation",
                    "Automata, Computability and Complexity",
                ],
                "202710-MATH-221-001": ["Calculus: Early Transcendentals"],
            }[section.sis_id]
            for title in items:
                item = db.session.scalars(select(CatalogItem).filter_by(title=title)).one()
                db.session.add(
                    StudentChoice(
                        user_id=mary.id,
                        section_id=section.id,
                        catalog_item_id=item.id,
                        choice=ChoiceValue.OPTED_IN,
                        decided_at=now,
                        decided_by_id=mary.id,
                    )
                )
        db.session.commit()
    moment = closes_at(app) - timedelta(days=1)
    run(app, moment)
    sent = emails(app, "student_choose_by")
    assert set(sent) == students_with_lines(app) - {"mary@demo.edu"}  # Mary opted in to everything
    student01 = sent["student01@demo.edu"].body_text  # opted out of Calculus: still not opted in
    assert "You have not opted in to these materials" in student01 and "Calculus: Early Transcendentals" in student01
    materials = emails(app, "student_materials")["mary@demo.edu"].body_text
    assert "You are charged only for the materials you opt in to." in materials
    assert "You opted in — $58.00 will be charged to your student account" in materials


def test_zero_cost_only_students_get_no_choose_by(app, demo_data, now):
    with app.app_context():  # every line of every order becomes free
        for item in db.session.scalars(select(CatalogItem)):
            item.zero_cost = True
        db.session.commit()
    run(app, closes_at(app) - timedelta(days=1))
    assert emails(app, "student_choose_by") == {}
    assert "Free (no charge)" in emails(app, "student_materials")["mary@demo.edu"].body_text


def test_reminders_on_sends_staff_and_student_emails(app, demo_data, now):
    with app.app_context():
        db.session.scalars(select(Institution)).one().reminders_enabled = True
        db.session.commit()
    lines = run(app, now + timedelta(minutes=1))
    assert lines[0].startswith("Spring 2027: opening reminder written to the outbox for ")
    assert lines[-1] == "Spring 2027: “Your course materials” email to 19 students."


def _enroll(n: int, now, offset: int) -> None:
    """n new students in MATH 221 001."""
    section = db.session.scalars(select(Section).filter_by(sis_id="202710-MATH-221-001")).unique().one()
    for i in range(offset, offset + n):
        student = User(
            name=f"Bulk Student{i}",
            sort_name=f"student{i} bulk",
            email=f"bulk{i}@test.edu",
            password_hash=DEMO_PASSWORD_HASH,
            active=True,
        )
        db.session.add(student)
        db.session.flush()
        db.session.add(
            Enrollment(user_id=student.id, section_id=section.id, state=EnrollmentState.ENROLLED, enrolled_at=now)
        )


def test_statements_per_run_do_not_grow_with_the_students(app, demo_data, now, count_queries):
    """3 students or 30: the same statements (one read per term and kind, one marker and one outbox INSERT per batch).
    """
    moment = closes_at(app) - timedelta(days=1)  # both kinds due
    with app.app_context():
        db.session.execute(delete(StudentChoice))
        db.session.execute(delete(Enrollment))
        upkeep.everything_changed(db.session, reach=False)  # bulk deletes say what they touched
        _enroll(3, now, 0)
        db.session.commit()
    with count_queries() as small:
        lines = run(app, moment)
    assert lines[1:] == [
        "Spring 2027: “Your course materials” email to 3 students.",
        "Spring 2027: “Choose by” email to 3 students.",
    ]
    with app.app_context():
        db.session.execute(delete(OutboundEmail))
        db.session.execute(delete(ReminderSent))
        db.session.execute(delete(ApprovalDigestSent))  # the approvers' digest goes out again too, as in the first run
        _enroll(27, now, 3)
        db.session.commit()
    with count_queries() as large:
        lines = run(app, moment)
    assert lines[1:] == [
        "Spring 2027: “Your course materials” email to 30 students.",
        "Spring 2027: “Choose by” email to 30 students.",
    ]
    assert small.count == large.count, (small.count, large.count)


def test_two_concurrent_runs_send_each_student_email_once(app, demo_data, now):
    require_postgres()
    outputs, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                outputs.append(without_digest(run_once(now + timedelta(minutes=1))))
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(out[-1].split(".")[0] for out in outputs) == [
        "Spring 2027: “Your course materials” email to 0 students",
        "Spring 2027: “Your course materials” email to 19 students",
    ]
    assert len(emails(app, "student_materials")) == 19
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(OutboundEmail).where(OutboundEmail.kind == "student_materials")
            )
            == 19
        )


def test_the_mail_worker_delivers_a_student_email_rendered_from_its_snapshot(app, demo_data, now, smtp):
    from orders.worker.delivery import deliver_due

    run(app, now)
    with app.app_context():
        sent, failed = deliver_due(lambda: now + timedelta(minutes=1), limit=100)
        db.session.remove()
    assert (sent, failed) == (20, 0)  # 19 student emails, and Emmy's approvals digest (the demo's #1005 waited 4 days)
    (message,) = smtp.inbox.to("mary@demo.edu")
    assert message["Subject"] == "Your course materials for Spring 2027"
    text = message.get_body(("plain",)).get_content()
    assert "Included — $92.25 will be charged to your student account" in text and "To be charged now: $240.24" in text
    assert "http://orders.test/student/materials?term=202710" in text
    assert "/student/materials?term=202710" in message.get_body(("html",)).get_content()

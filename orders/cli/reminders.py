"""flask --app app send-reminders [--loop]: run daily (cron), or keep running."""
from __future__ import annotations

import logging

import click
from flask import Flask
from sqlalchemy import select

from orders import clock
from orders.domain.institution import institution
from orders.domain.models import ReminderKind, Term
from orders.domain.reminders.sending import due_terms, send_term_reminders
from orders.domain.reminders.students import due_student_terms, send_student_emails
from orders.domain.review.digest import send_digests
from orders.extensions import db
from orders.worker.loop import run_until_stopped

log = logging.getLogger(__name__)


def run_once(now) -> list[str]:
    """Send every due reminder and student email, committing per term and kind; one line per term for the log.

    "Send reminder emails" turns off the staff reminders only: the student emails are the notices the
    opt-out rule requires before a student is billed (docs/spec.md §4), so they go out whatever that setting says.
    """
    enabled = institution().reminders_enabled
    lines = (
        []
        if enabled
        else ['Reminders are turned off (institution setting "Send reminder emails"): no staff reminder sent.']
    )
    lines += _student_emails(now)
    lines += _approval_digests(now)
    if not enabled:
        db.session.commit()
        return lines
    staff = []
    for term, kind in due_terms(now):
        result = send_term_reminders(term, kind, now=now)
        db.session.commit()
        staff.append(
            f"{term.name}: {kind.value} reminder written to the outbox for {result.sent} "
            f"({result.instructors} with their own courses, {result.coordinators} coordinator digests); "
            f"{result.skipped} already reminded."
        )
    db.session.commit()
    return (staff or ["No reminder is due now."]) + lines


def _student_emails(now) -> list[str]:
    """The student emails due now (docs/spec.md §4 "Student emails"), committed per term and kind."""
    terms = list(db.session.scalars(select(Term).order_by(Term.starts_on, Term.id)).unique())
    lines = []
    for term, kind in due_student_terms(terms, now):
        result = send_student_emails(term, kind, now=now)
        db.session.commit()
        what = "“Your course materials”" if kind is ReminderKind.STUDENT_MATERIALS else "“Choose by”"
        raced = f" {result.skipped} skipped: another run sent them meanwhile." if result.skipped else ""
        lines.append(f"{term.name}: {what} email to {result.sent} student{'' if result.sent == 1 else 's'}.{raced}")
    return lines


def _approval_digests(now) -> list[str]:
    """The approvers' daily digest (docs/spec.md §4, §8): sent whatever "Send reminder emails" says, since an order
    waiting for approval counts nowhere."""
    result = send_digests(now)
    db.session.commit()
    if not result.sent and not result.skipped:
        return []
    again = f" {result.skipped} already had today's." if result.skipped else ""
    return [
        f"Approvals: a digest of what has waited more than 3 days to {result.sent} "
        f"approver{'' if result.sent == 1 else 's'}.{again}"
    ]


def register(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option("--loop", is_flag=True, help="Keep running, once every --interval hours (prefer a daily cron job).")
    @click.option("--interval", default=24.0, show_default=True, help="Hours between runs with --loop.")
    def send_reminders(loop: bool, interval: float) -> None:
        """Write the due reminder emails (docs/spec.md §4) to the outbox; each person gets each kind once per term."""
        if not loop:
            for line in run_once(clock.utcnow()):
                click.echo(line)
            return

        def remind() -> bool:
            for line in run_once(clock.utcnow()):
                log.info(line)
            return False  # one run per interval, done or not

        run_until_stopped(remind, idle_seconds=interval * 3600, what="Reminder run")

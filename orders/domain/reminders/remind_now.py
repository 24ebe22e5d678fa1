""""Remind now" on a Progress row: the send-reminders email to the instructors of the row's not-started
sections, at most once per instructor, term and (institution-local) day, whoever presses it.

The recipients come from send-reminders' own query (orders.domain.reminders.sending.instructor_rows), narrowed
to the row and the presser's reach; the once-a-day rule is the unique index on progress_reminder, hit
with INSERT ... ON CONFLICT DO NOTHING RETURNING, so two presses racing each other send once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, exists, func, insert, or_, select, true

from orders.domain.audit import record
from orders.domain.models import Course, OutboundEmail, ProgressReminder, Section, TeachingAssignment, Term, User
from orders.domain.reach import covered_by_grants_clause
from orders.domain.reminders.sending import instructor_recipients, instructor_reminder_email, instructor_rows
from orders.extensions import db

DIMENSIONS = {"organization": "Organization", "subject": "Subject", "campus": "Campus"}  # the Progress tables
AUDIT_KIND = "progress.remind_now"
BATCH_SIZE = 250


@dataclass(frozen=True)
class Row:
    """A row of a Progress table, as named in a URL."""

    dimension: str  # a key of DIMENSIONS
    key: str
    label: str

    def describe(self) -> str:
        return f"{DIMENSIONS[self.dimension]} {self.label}"


@dataclass
class RemindResult:
    sent: int = 0
    skipped: int = 0  # instructors already reminded today (by anyone)


def _row_clause(row: Row) -> ColumnElement[bool]:
    """SQL, on Section joined with Course: the section belongs to the row."""
    if row.dimension == "organization":
        return Section.organization_id == int(row.key)
    if row.dimension == "campus":
        return Section.campus_id == int(row.key)
    return Course.subject == row.key


def _reach_clause(user: User) -> ColumnElement[bool]:
    """SQL: the section is in the user's reach. The teaching test is an uncorrelated IN because the
    reminder query already joins teaching assignments (a correlated EXISTS would latch onto that join)."""
    if user.is_program_admin:
        return true()
    taught = select(TeachingAssignment.section_id).where(TeachingAssignment.user_id == user.id).correlate(None)
    return or_(covered_by_grants_clause(user.grants), Section.id.in_(taught))


def local_day(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def _reminded(term: Term, day: date):
    """SQL, correlated on User: someone pressed "Remind now" for this instructor and term today."""
    return exists(
        select(ProgressReminder.id).where(
            ProgressReminder.term_id == term.id, ProgressReminder.user_id == User.id, ProgressReminder.day == day
        )
    )


def _row_instructors(user: User, term: Term, row: Row):
    """send-reminders' instructor query, narrowed to the row and the user's reach."""
    return instructor_rows(term.id, None).where(_row_clause(row), _reach_clause(user))


def preview(user: User, term: Term, row: Row, day: date) -> tuple[int, int]:
    """(instructors a press would email now, instructors of the row already reminded today), for the confirmation."""
    people = (
        _row_instructors(user, term, row)
        .with_only_columns(User.id, _reminded(term, day).label("reminded")).order_by(None).distinct().subquery()
    )
    counts = db.session.execute(
        select(func.count(), func.sum(case((people.c.reminded, 1), else_=0))).select_from(people)
    ).one()
    total, reminded = counts[0] or 0, int(counts[1] or 0)
    return total - reminded, reminded


def _insert_markers(term: Term, day: date, user_ids: list[int], actor: User, now: datetime) -> set[int]:
    """Markers for this batch; returns the instructors whose marker is new (a race or a second press skips the rest)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        # The other dialect's Insert class (same on_conflict_do_nothing API); the two share no typed base.
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    statement = (
        dialect_insert(ProgressReminder)
        .values([dict(term_id=term.id, user_id=uid, day=day, sent_at=now, sent_by_id=actor.id) for uid in user_ids])
        .on_conflict_do_nothing(index_elements=["term_id", "user_id", "day"])
        .returning(ProgressReminder.user_id)
    )
    return set(db.session.scalars(statement))


def remind_now(actor: User, term: Term, row: Row, *, timezone: str, now: datetime) -> RemindResult:
    """Write the reminder to each not-yet-reminded instructor of the row's not-started sections; audit; flush."""
    day = local_day(now, timezone)
    result = RemindResult()
    people = list(instructor_recipients(term, _row_instructors(actor, term, row).where(~_reminded(term, day))))
    for start in range(0, len(people), BATCH_SIZE):
        batch = people[start:start + BATCH_SIZE]
        won = _insert_markers(term, day, [p.id for p in batch], actor, now)
        emails = [instructor_reminder_email(term, p, now) for p in batch if p.id in won]
        if emails:
            db.session.execute(insert(OutboundEmail), emails)
        result.sent += len(emails)
        result.skipped += len(batch) - len(emails)
    record(
        AUDIT_KIND, f"{term.name} progress: {row.describe()}", None,
        {"term_id": term.id, "dimension": row.dimension, "key": row.key, "row": row.describe(),
         "instructors": result.sent, "skipped": result.skipped},
        actor=actor, now=now,
    )
    return result

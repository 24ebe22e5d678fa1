"""send-reminders: the two reminders of docs/spec.md §4, written to the outbox in bounded, set-based queries.

Per term and kind: one query streams the instructors' missing sections, one the coordinators'
(every grant joined to every missing section in SQL), both ordered by recipient; recipients are
handled in batches, each batch being one multi-row INSERT of markers (`reminder_sent`, unique per
term, person and kind, ON CONFLICT DO NOTHING RETURNING the people it was inserted for) and one
INSERT of their outbox rows. Only the people whose marker this run inserted get an email, so a rerun,
or a second run racing this one (it waits on the unique index, then skips), sends nothing twice.
Statements: 2 reads + 2 writes per batch of BATCH_SIZE recipients, whatever the number of sections.

A person who both teaches and coordinates gets one email of each kind per term, listing their own
courses and the digest of their reach together. Services flush, never commit: the command commits
once per term and kind, so markers and emails are written together or not at all.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator, Protocol
from urllib.parse import urlencode

from sqlalchemy import Select, and_, exists, insert, select
from sqlalchemy.orm import aliased

from orders.domain.institution import institution, local_date, local_time
from orders.domain.models import (
    CoordinatorGrant,
    Course,
    NoMaterialsAnswer,
    OrderSection,
    OutboundEmail,
    ReminderKind,
    ReminderSent,
    Section,
    SectionState,
    TeachingAssignment,
    Term,
    User,
)
from orders.domain.outbox import institution_snapshot, outbox_row, public_url
from orders.domain.reach import grant_row_covers_clause
from orders.domain.reminders.schedule import due_kind
from orders.extensions import db

BATCH_SIZE = 250  # recipients per marker INSERT and outbox INSERT
STREAM_ROWS = 2000  # rows fetched at a time from each read


@dataclass
class MissingCourse:
    """A course of the term with sections still missing (no placed order, no answer), for one person."""

    course_id: int
    code: str
    title: str
    sections: list[str] = field(default_factory=list)
    start_url: str = ""
    courses_url: str = ""


@dataclass
class InstructorDigest:
    """In a coordinator's digest: one instructor (None: sections nobody teaches yet) and their missing courses."""

    name: str | None
    courses: list[MissingCourse] = field(default_factory=list)


@dataclass
class Recipient:
    id: int
    name: str
    email: str
    own: list[MissingCourse] = field(default_factory=list)  # courses they teach
    reach: list[InstructorDigest] = field(default_factory=list)  # coordinator digest


@dataclass
class TermResult:
    term: Term
    kind: ReminderKind
    sent: int = 0  # emails written to the outbox
    instructors: int = 0  # of which listing the person's own courses
    coordinators: int = 0  # of which carrying a coordinator digest
    skipped: int = 0  # already reminded (by an earlier or a concurrent run)


def _missing_sections(term_id: int):
    """SQL: active sections of the term with no placed order and no "no materials needed" answer."""
    claimed = exists(select(OrderSection.order_id).where(OrderSection.section_id == Section.id, OrderSection.claimed))
    answered = exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == Section.id))
    return and_(Section.term_id == term_id, Section.state == SectionState.ACTIVE, ~claimed, ~answered)


def _not_yet_reminded(user_id_column, term_id: int, kind: ReminderKind):
    return ~exists(
        select(ReminderSent.id).where(
            ReminderSent.term_id == term_id, ReminderSent.user_id == user_id_column, ReminderSent.kind == kind
        )
    )


def instructor_rows(term_id: int, kind: ReminderKind | None) -> Select:
    """(user id, name, email, course id, subject, number, title, section label) per missing section taught.

    `kind` None leaves out the once-per-term marker test: "Remind now" on the Progress screen narrows
    this query to a row of its tables and applies its own once-per-day marker.
    """
    query = (
        select(User.id, User.name, User.email, Course.id, Course.subject, Course.number, Course.title, Section.label)
        .select_from(Section)
        .join(Course, Course.id == Section.course_id)
        .join(TeachingAssignment, TeachingAssignment.section_id == Section.id)
        .join(User, User.id == TeachingAssignment.user_id)
        .where(_missing_sections(term_id), User.active)
        .order_by(User.id, Course.subject, Course.number, Section.label)
    )
    return query if kind is None else query.where(_not_yet_reminded(User.id, term_id, kind))


def coordinator_rows(term_id: int, kind: ReminderKind) -> Select:
    """(coordinator id, name, email, instructor id, instructor name, course id, subject, number, title, label)
    per missing section in a coordinator's reach (Program Administrators without grants are not coordinators)."""
    grant = aliased(CoordinatorGrant, name="reach_grant")
    covered = (  # (coordinator, section) pairs, each once however many grants cover the section
        select(grant.user_id.label("coordinator_id"), Section.id.label("section_id"))
        .select_from(Section)
        .join(Course, Course.id == Section.course_id)
        .join(grant, grant_row_covers_clause(grant))
        .where(_missing_sections(term_id))
        .distinct()
        .subquery("covered")
    )
    coordinator = aliased(User, name="coordinator")
    instructor = aliased(User, name="instructor")
    return (
        select(
            coordinator.id, coordinator.name, coordinator.email, instructor.id, instructor.name,
            Course.id, Course.subject, Course.number, Course.title, Section.label,
        )
        .select_from(covered)
        .join(coordinator, coordinator.id == covered.c.coordinator_id)
        .join(Section, Section.id == covered.c.section_id)
        .join(Course, Course.id == Section.course_id)
        .outerjoin(TeachingAssignment, TeachingAssignment.section_id == Section.id)
        .outerjoin(instructor, and_(instructor.id == TeachingAssignment.user_id))
        .where(coordinator.active, _not_yet_reminded(coordinator.id, term_id, kind))
        .order_by(
            coordinator.id, instructor.sort_name.is_(None), instructor.sort_name, instructor.id,
            Course.subject, Course.number, Section.label,
        )
    )


def _links(term: Term, course_id: int, subject: str, number: str, instructor_id: int | None) -> tuple[str, str]:
    """Start order for the course, and the Courses row (where "No materials needed" is answered)."""
    suffix = f"?{urlencode({'instructor': instructor_id})}" if instructor_id else ""
    row: dict[str, str | int] = {"term": term.code, "q": f"{subject} {number}"}
    if instructor_id:
        row["instructor"] = instructor_id
    return public_url(f"/ordering/start/{course_id}/{term.id}{suffix}"), public_url(f"/?{urlencode(row)}")


def _fold(term: Term, rows, instructor_id: int | None = None) -> list[MissingCourse]:
    """Rows of (course id, subject, number, title, label), sorted by course: one entry per course."""
    courses: list[MissingCourse] = []
    for course_id, subject, number, title, label in rows:
        if not courses or courses[-1].course_id != course_id:
            start, row = _links(term, course_id, subject, number, instructor_id)
            courses.append(MissingCourse(course_id, f"{subject} {number}", title, start_url=start, courses_url=row))
        if label not in courses[-1].sections:
            courses[-1].sections.append(label)
    return courses


def _instructors(term: Term, kind: ReminderKind) -> Iterator[Recipient]:
    return instructor_recipients(term, instructor_rows(term.id, kind))


def instructor_recipients(term: Term, rows: Select) -> Iterator[Recipient]:
    """Stream instructor_rows (possibly narrowed) as one Recipient per instructor with their missing courses."""
    result = db.session.execute(rows.execution_options(yield_per=STREAM_ROWS))
    for (user_id, name, email), group in itertools.groupby(result, key=lambda r: (r[0], r[1], r[2])):
        yield Recipient(user_id, name, email, own=_fold(term, (r[3:] for r in group)))


def _coordinators(term: Term, kind: ReminderKind) -> Iterator[Recipient]:
    result = db.session.execute(coordinator_rows(term.id, kind).execution_options(yield_per=STREAM_ROWS))
    for (user_id, name, email), rows in itertools.groupby(result, key=lambda r: (r[0], r[1], r[2])):
        person = Recipient(user_id, name, email)
        for (instructor_id, instructor_name), taught in itertools.groupby(rows, key=lambda r: (r[3], r[4])):
            person.reach.append(InstructorDigest(instructor_name, _fold(term, (r[5:] for r in taught), instructor_id)))
        yield person


def _merged(first: Iterator[Recipient], second: Iterator[Recipient]) -> Iterator[Recipient]:
    """Two streams sorted by user id -> one Recipient per person (teaching and coordinating merged)."""
    a, b = next(first, None), next(second, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a.id < b.id):
            assert a is not None  # the loop runs while one of them is left, and b is not
            yield a
            a = next(first, None)
        elif a is None or b.id < a.id:
            yield b
            b = next(second, None)
        else:
            a.reach = b.reach
            yield a
            a, b = next(first, None), next(second, None)


class _Person(Protocol):
    """Anyone a reminder marker is written for: an instructor or coordinator Recipient, or a Student."""

    @property
    def id(self) -> int: ...


def _insert_markers(term: Term, kind: ReminderKind, people: Sequence[_Person], now: datetime) -> set[int]:
    """Insert this batch's markers; returns the user ids whose marker is new (a race or rerun skips the rest)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        # The other dialect's Insert class (same on_conflict_do_nothing API); the two share no typed base.
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    else:  # pragma: no cover - the app supports these two
        raise RuntimeError(f"send-reminders does not support {dialect}")
    statement = (
        dialect_insert(ReminderSent)
        .values([dict(term_id=term.id, user_id=p.id, kind=kind, sent_at=now) for p in people])
        .on_conflict_do_nothing(index_elements=["term_id", "user_id", "kind"])
        .returning(ReminderSent.user_id)
    )
    return set(db.session.scalars(statement))


def _subject(term: Term, kind: ReminderKind) -> str:
    if kind is ReminderKind.OPENING:
        return f"Ordering for {term.name} is open"
    assert term.period is not None  # reminders are sent only for a term with an ordering period
    return f"Ordering for {term.name} closes on {local_date(term.period.deadline)}"


def _email(term: Term, kind: ReminderKind, person: Recipient, now: datetime) -> dict:
    inst = institution()
    assert term.period is not None  # reminders are sent only for a term with an ordering period
    context = dict(
        recipient=person,
        term=term,
        kind=kind.value,
        institution=institution_snapshot(inst),
        deadline=local_time(term.period.deadline, inst),
        courses_url=public_url("/?" + urlencode({"term": term.code})),
    )
    return outbox_row(
        kind=f"reminder_{kind.value}",
        template="reminder",
        recipient=person.email,
        subject=_subject(term, kind),
        now=now,
        context=context,
    )


def instructor_reminder_email(term: Term, person: Recipient, now: datetime) -> dict:
    """The outbox row of the instructors' "closes on" reminder for `person` ("Remind now" sends this one)."""
    return _email(term, ReminderKind.CLOSING, person, now)


def _write_batch(term: Term, kind: ReminderKind, batch: list[Recipient], now: datetime, result: TermResult) -> None:
    won = _insert_markers(term, kind, batch, now)
    rows = []
    for person in batch:
        if person.id not in won:
            result.skipped += 1
            continue
        rows.append(_email(term, kind, person, now))
        result.instructors += bool(person.own)
        result.coordinators += bool(person.reach)
    if rows:
        db.session.execute(insert(OutboundEmail), rows)
    result.sent += len(rows)


def send_term_reminders(term: Term, kind: ReminderKind, *, now: datetime) -> TermResult:
    """Write one reminder of `kind` to everyone with missing sections in `term` not yet reminded; flush, no commit."""
    result = TermResult(term, kind)
    batch: list[Recipient] = []
    for person in _merged(_instructors(term, kind), _coordinators(term, kind)):
        batch.append(person)
        if len(batch) >= BATCH_SIZE:
            _write_batch(term, kind, batch, now, result)
            batch = []
    if batch:
        _write_batch(term, kind, batch, now, result)
    db.session.flush()
    return result


def due_terms(now: datetime) -> list[tuple[Term, ReminderKind]]:
    """Terms whose period has a reminder due now, with its kind (one query: terms join their periods)."""
    terms = db.session.scalars(select(Term).order_by(Term.starts_on, Term.id)).unique()
    return [(term, kind) for term in terms if (kind := due_kind(term.period, now)) is not None]

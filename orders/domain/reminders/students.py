"""send-reminders' student emails (docs/spec.md §4 "Student emails").

They are written to the outbox in bounded, set-based queries.

"Your course materials for <term>" while the term's choice window is open, and "Choose by <date>"
during its last 2 days (opt-in mode: to students with billable lines they have not opted in to;
opt-out mode: to every student with something to be charged). Per term and kind: one query streams
every enrolled student's sections and lines, ordered by student; students are handled in batches,
each one multi-row INSERT of markers (`reminder_sent`, unique per term, student and kind, ON CONFLICT
DO NOTHING RETURNING) and one INSERT of outbox rows for the students whose marker is new. So a rerun,
or a run racing this one, sends nothing twice, and the statements do not grow with the students.
A line's state comes from orders/domain/students/choices.py; the lines are orders/domain/lines.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterator

from sqlalchemy import Select, and_, insert, select

from orders.domain.formats.money import money, price_words
from orders.domain.institution import institution, local_date, local_time
from orders.domain.lines import order_lines
from orders.domain.models import (
    CatalogItem,
    Course,
    Enrollment,
    EnrollmentState,
    Order,
    OrderSection,
    OrderStatus,
    OutboundEmail,
    ProgramMode,
    ReminderKind,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.domain.outbox import institution_snapshot, public_url, snapshot_row
from orders.domain.reminders.sending import STREAM_ROWS, _insert_markers, _not_yet_reminded
from orders.domain.students.choices import (
    LineChoice,
    billable_section_clause,
    effective_choice,
    is_charged,
    window_state,
)
from orders.domain.windows import WindowState
from orders.extensions import db

BATCH_SIZE = 1000  # students per marker INSERT and outbox INSERT (a term has tens of thousands)
CHOOSE_BY_WINDOW = timedelta(days=2)  # "Choose by <date>" goes out during the window's last 2 days
STUDENT_KINDS = (ReminderKind.STUDENT_MATERIALS, ReminderKind.STUDENT_CHOOSE_BY)


def student_kinds_due(term: Term, now: datetime) -> list[ReminderKind]:
    """The student emails due for a term now: materials while the window is open, choose-by in its last 2 days."""
    if window_state(term, now) is not WindowState.OPEN:
        return []
    kinds = [ReminderKind.STUDENT_MATERIALS]
    assert term.choice_closes_at is not None  # an open window has both its times
    if now >= term.choice_closes_at - CHOOSE_BY_WINDOW:
        kinds.append(ReminderKind.STUDENT_CHOOSE_BY)
    return kinds


@dataclass
class Material:
    title: str
    isbn13: str
    price: Decimal
    requirement: str
    choice: LineChoice
    state: str  # in words, as on the student page


@dataclass
class EnrolledSection:
    code: str
    title: str
    label: str
    has_order: bool
    materials: list[Material] = field(default_factory=list)


@dataclass
class Student:
    id: int
    name: str
    email: str
    sections: list[EnrolledSection] = field(default_factory=list)

    @property
    def charged(self) -> list[tuple[EnrolledSection, Material]]:
        return [(s, m) for s in self.sections for m in s.materials if is_charged(m.choice)]

    @property
    def not_opted_in(self) -> list[tuple[EnrolledSection, Material]]:
        """Billable lines (not zero cost) the student is not charged for: not opted in, or opted out."""
        return [
            (s, m)
            for s in self.sections
            for m in s.materials
            if m.choice is not LineChoice.ZERO_COST and not is_charged(m.choice)
        ]

    @property
    def total(self) -> Decimal:
        return sum((m.price for _, m in self.charged), Decimal("0.00"))


@dataclass
class StudentResult:
    term: Term
    kind: ReminderKind
    sent: int = 0
    skipped: int = 0  # already told (by an earlier or a concurrent run)


def student_rows(term_id: int, kind: ReminderKind) -> Select:
    """Per enrolled student not yet sent `kind`: their sections and lines, ordered by student, course, section, line.

    Each enrolled section the SIS has not removed (with no line when it has no placed order) and each line
    of its placed order, with the stored choice.
    """
    line = order_lines()
    return (
        select(
            User.id,
            User.name,
            User.email,
            Section.id.label("section_id"),
            Course.subject,
            Course.number,
            Course.title.label("course_title"),
            Section.label,
            Order.id.label("order_id"),
            CatalogItem.title,
            CatalogItem.isbn13,
            CatalogItem.zero_cost,
            line.c.price,
            CatalogItem.student_price.label("item_price"),
            line.c.requirement,
            StudentChoice.choice,
        )
        .select_from(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .join(Section, Section.id == Enrollment.section_id)
        .join(Course, Course.id == Section.course_id)
        .outerjoin(
            OrderSection,
            and_(
                OrderSection.section_id == Section.id, OrderSection.claimed.is_(True), OrderSection.removed_at.is_(None)
            ),
        )
        .outerjoin(Order, and_(Order.id == OrderSection.order_id, Order.status == OrderStatus.PLACED))
        .outerjoin(line, line.c.order_id == Order.id)
        .outerjoin(CatalogItem, CatalogItem.id == line.c.item_id)
        .outerjoin(
            StudentChoice,
            and_(
                StudentChoice.user_id == Enrollment.user_id,
                StudentChoice.section_id == Enrollment.section_id,
                StudentChoice.catalog_item_id == CatalogItem.id,
            ),
        )
        .where(
            Section.term_id == term_id,
            Enrollment.state == EnrollmentState.ENROLLED,
            billable_section_clause(),
            User.active,
            _not_yet_reminded(User.id, term_id, kind),
        )
        .order_by(
            User.id,
            Course.subject,
            Course.number,
            Section.label,
            Section.id,
            line.c.type_rank,
            line.c.position,
            CatalogItem.id,
        )
    )


def state_in_words(choice: LineChoice, price: Decimal, mode: ProgramMode) -> str:
    """The line's state as the student page words it (docs/spec.md §3 "Course materials (students)")."""
    if choice is LineChoice.ZERO_COST:
        return "Free (no charge)"
    if choice is LineChoice.OPTED_OUT:
        return "You opted out — you will not be charged"
    if choice is LineChoice.NOT_OPTED_IN:
        return "Not opted in — you will not be charged"
    if choice is LineChoice.OPTED_IN:
        return f"You opted in — {money(price)} will be charged to your student account"
    return f"Included — {money(price)} will be charged to your student account"


def _students(term: Term, kind: ReminderKind, mode: ProgramMode) -> Iterator[Student]:
    result = db.session.execute(student_rows(term.id, kind).execution_options(yield_per=STREAM_ROWS))
    for (user_id, name, email), rows in itertools.groupby(result, key=lambda r: (r[0], r[1], r[2])):
        student = Student(user_id, name, email)
        for _, grouped in itertools.groupby(rows, key=lambda r: r.section_id):
            section_rows = list(grouped)
            first = section_rows[0]
            section = EnrolledSection(
                f"{first.subject} {first.number}", first.course_title, first.label, first.order_id is not None
            )
            for row in section_rows:
                if row.title is None:
                    continue  # no placed order, or an order with no catalog line yet
                price = row.price if row.price is not None else row.item_price
                choice = effective_choice(mode, row.choice, zero_cost=row.zero_cost)
                section.materials.append(
                    Material(
                        row.title, row.isbn13, price, row.requirement.label, choice, state_in_words(choice, price, mode)
                    )
                )
            student.sections.append(section)
        yield student


def is_recipient(kind: ReminderKind, student: Student, mode: ProgramMode) -> bool:
    """Materials: anyone with a material to see. Choose by: opt-out mode, something to be charged;
    opt-in mode, a billable line not opted in to."""
    if kind is ReminderKind.STUDENT_MATERIALS:
        return any(section.materials for section in student.sections)
    if mode is ProgramMode.OPT_OUT:
        return bool(student.charged)
    return bool(student.not_opted_in)


def _subject(term: Term, kind: ReminderKind) -> str:
    if kind is ReminderKind.STUDENT_MATERIALS:
        return f"Your course materials for {term.name}"
    assert term.choice_closes_at is not None  # student emails go out only while the window is open
    return f"Choose by {local_date(term.choice_closes_at)}: your course materials for {term.name}"


def _line(section: EnrolledSection, m: Material) -> dict:
    return {
        "code": section.code,
        "label": section.label,
        "title": m.title,
        "isbn13": m.isbn13,
        "requirement": m.requirement,
        "price": price_words(m.price, zero_cost=m.choice is LineChoice.ZERO_COST),
    }


def _email(term: Term, kind: ReminderKind, student: Student, mode: ProgramMode, now: datetime, inst) -> dict:
    """The outbox row: a snapshot of plain values, rendered by the mail worker at delivery (not 30,000 times here)."""
    assert term.choice_closes_at is not None  # student emails go out only while the window is open
    context = dict(
        student={
            "name": student.name,
            "sections": [
                {
                    "code": s.code,
                    "title": s.title,
                    "label": s.label,
                    "has_order": s.has_order,
                    "materials": [_line(s, m) | {"state": m.state} for m in s.materials],
                }
                for s in student.sections
            ],
            "charged": [_line(s, m) for s, m in student.charged],
            "not_opted_in": [_line(s, m) for s, m in student.not_opted_in],
            "total": money(student.total),
        },
        term={"name": term.name, "code": term.code},
        institution=institution_snapshot(inst),
        opt_in=mode is ProgramMode.OPT_IN,
        deadline=local_time(term.choice_closes_at, inst),
        materials_url=public_url(f"/student/materials?term={term.code}"),
    )
    template = "student_materials" if kind is ReminderKind.STUDENT_MATERIALS else "student_choose_by"
    return snapshot_row(
        kind=kind.value,
        template=template,
        recipient=student.email,
        subject=_subject(term, kind),
        now=now,
        context=context,
    )


def _write_batch(
    term: Term, kind: ReminderKind, batch: list[Student], mode: ProgramMode, now: datetime, result: StudentResult
) -> None:
    won = _insert_markers(term, kind, batch, now)
    inst = institution()
    rows = [_email(term, kind, student, mode, now, inst) for student in batch if student.id in won]
    result.skipped += len(batch) - len(rows)
    if rows:
        db.session.execute(insert(OutboundEmail), rows)
    result.sent += len(rows)


def send_student_emails(term: Term, kind: ReminderKind, *, now: datetime) -> StudentResult:
    """Write `kind` to every student of `term` it is due to and not yet sent; flush, no commit."""
    mode = institution().program_mode
    result = StudentResult(term, kind)
    batch: list[Student] = []
    for student in _students(term, kind, mode):
        if not is_recipient(kind, student, mode):
            continue
        batch.append(student)
        if len(batch) >= BATCH_SIZE:
            _write_batch(term, kind, batch, mode, now, result)
            batch = []
    if batch:
        _write_batch(term, kind, batch, mode, now, result)
    db.session.flush()
    return result


def due_student_terms(terms: list[Term], now: datetime) -> list[tuple[Term, ReminderKind]]:
    """(term, kind) for every student email due now."""
    return [(term, kind) for term in terms for kind in student_kinds_due(term, now)]

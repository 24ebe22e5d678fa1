"""The billing feed's rows: one per student x section x catalog line of the section's placed order.

Students enrolled in the section, and students who dropped it after the term's choice window
opened (their rows say billable=false, so the bursar sees the drop). The lines are orders/domain/lines.py's:
current catalog items and approved content requests as their item, each item once per order. One SQL
statement whatever the term's size, read in chunks (a server-side cursor on PostgreSQL), so memory
stays flat. A line's choice and billability come from orders/domain/students/choices.py, never from here.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import Connection, Engine, Select, and_, or_, select
from sqlalchemy.orm import aliased

from orders.domain.formats.csvstream import csv_chunks as stream_csv
from orders.domain.formats.money import plain_price
from orders.domain.formats.times import iso_utc
from orders.domain.lines import order_lines
from orders.domain.models import (
    CatalogItem,
    Enrollment,
    EnrollmentState,
    Order,
    OrderSection,
    OrderStatus,
    ProgramMode,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.domain.students.choices import effective_choice, is_billable, is_final

COLUMNS = (
    "student_sis_id",
    "student_email",
    "sis_section_id",
    "order_id",
    "content_id",
    "ci_title",
    "ci_searchable_isbn",
    "ci_student_price",
    "choice",
    "billable",
    "decided_at",
    "decided_by",
    "final",
)
FETCH_ROWS = 2000  # rows per round trip to the database
DEFAULT = "default"
BY_STUDENT = "student"


def billing_query(term: Term) -> Select:
    """Every row of the term's billing feed, ordered by section, student and line."""
    line = order_lines()
    decider = aliased(User, name="decider")
    in_feed = Enrollment.state == EnrollmentState.ENROLLED
    if term.choice_opens_at is not None:  # a drop before the window opened was never billable: not reported
        in_feed = or_(
            in_feed, and_(Enrollment.state == EnrollmentState.DROPPED, Enrollment.dropped_at >= term.choice_opens_at)
        )
    return (
        select(
            User.id.label("student_id"),
            User.sis_id.label("student_sis_id"),
            User.email.label("student_email"),
            Section.sis_id.label("section_sis_id"),
            Section.state.label("section_state"),
            Order.number,
            CatalogItem.id.label("item_id"),
            CatalogItem.title,
            CatalogItem.isbn13,
            CatalogItem.zero_cost,
            line.c.price.label("line_price"),
            CatalogItem.student_price.label("item_price"),
            Enrollment.state.label("enrollment_state"),
            StudentChoice.choice,
            StudentChoice.decided_at,
            StudentChoice.decided_by_id,
            decider.email.label("decider_email"),
        )
        .select_from(Enrollment)
        .join(Section, Section.id == Enrollment.section_id)
        .join(User, User.id == Enrollment.user_id)
        .join(
            OrderSection,
            and_(
                OrderSection.section_id == Section.id, OrderSection.claimed.is_(True), OrderSection.removed_at.is_(None)
            ),
        )
        .join(Order, and_(Order.id == OrderSection.order_id, Order.status == OrderStatus.PLACED))
        .join(line, line.c.order_id == Order.id)
        .join(CatalogItem, CatalogItem.id == line.c.item_id)
        .outerjoin(
            StudentChoice,
            and_(
                StudentChoice.user_id == Enrollment.user_id,
                StudentChoice.section_id == Enrollment.section_id,
                StudentChoice.catalog_item_id == CatalogItem.id,
            ),
        )
        .outerjoin(decider, decider.id == StudentChoice.decided_by_id)
        .where(Section.term_id == term.id, in_feed)
        .order_by(Section.sis_id, Section.id, User.sis_id, User.id, line.c.type_rank, line.c.position, CatalogItem.id)
    )


def format_row(row, mode: ProgramMode, final: bool) -> list[str]:
    """One CSV row; the choice and `billable` are the rule's (orders/domain/students/choices.py)."""
    choice = effective_choice(mode, row.choice, zero_cost=row.zero_cost)
    stored = row.choice is not None and not row.zero_cost  # a zero-cost line offers no choice: the default
    if not stored:
        decided_by = DEFAULT
    elif row.decided_by_id == row.student_id:
        decided_by = BY_STUDENT
    else:
        decided_by = row.decider_email  # a Program Administrator on the student's behalf
    return [
        row.student_sis_id or "",
        row.student_email,
        row.section_sis_id or "",
        str(row.number),
        str(row.item_id),
        row.title,
        row.isbn13,
        plain_price(row.line_price if row.line_price is not None else row.item_price),
        choice.value,
        "true" if is_billable(choice, row.enrollment_state, row.section_state) else "false",
        iso_utc(row.decided_at) if stored else "",
        decided_by,
        "true" if final else "false",
    ]


def billing_rows(connection: Connection, term: Term, mode: ProgramMode, now: datetime) -> Iterator[list[str]]:
    """The formatted rows, streamed on the caller's connection."""
    return _rows(connection, billing_query(term), mode, is_final(term, now))


def _rows(connection: Connection, statement: Select, mode: ProgramMode, final: bool) -> Iterator[list[str]]:
    for row in connection.execute(statement.execution_options(yield_per=FETCH_ROWS)):
        yield format_row(row, mode, final)


def csv_chunks(rows: Iterable[list[str]], stats: dict | None = None, *, for_spreadsheet: bool = False) -> Iterator[str]:
    """Header row, then the rows, in chunks (orders/domain/formats/csvstream.py: RFC 4180, CRLF); `stats` gets
    rows and billable. The command's file is exact (for the bursar's importer); a download passes `for_spreadsheet`."""
    billable_index = COLUMNS.index("billable")

    def counted() -> Iterator[list[str]]:
        count = billable = 0
        for row in rows:
            count += 1
            billable += row[billable_index] == "true"
            yield row
        if stats is not None:
            stats.update(rows=count, billable=billable)

    return stream_csv(COLUMNS, counted(), for_spreadsheet=for_spreadsheet)


def stream_billing(engine: Engine, term: Term, mode: ProgramMode, now: datetime) -> Iterator[str]:
    """The back office's download: CSV chunks safe to open in a spreadsheet (the command's file stays exact).

    Read on a connection of their own, opened with the first chunk and closed after the last; the
    statement is built now, while the request's session still holds the term.
    """
    statement, final = billing_query(term), is_final(term, now)

    def chunks() -> Iterator[str]:
        with engine.connect() as connection:
            yield from csv_chunks(_rows(connection, statement, mode, final), for_spreadsheet=True)

    return chunks()

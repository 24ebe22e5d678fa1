"""Counts as data: Progress's per-section counters (section_counts), rebuilt from the rule for the sections a
change touched.

The rule: students per section as orders/domain/students/rates.py counts them (enrolled, rated,
declined, charged, under the institution's program mode), whether the section is on a placed order
and since when it was submitted (`placed_at`), whether an order for it is in review (awaiting approval or
returned: counted nowhere, `in_review`), and whether it was answered "no materials needed". `expected_counts`
computes them from the enrollments, choices, orders and answers themselves; `rebuild` makes the
stored rows of the touched sections equal to that, in one statement (an upsert); `drift` compares
everything (`flask check-counts`). Progress reads the stored rows, never the enrollments.

To add a counter (as in_review was, for sections awaiting approval): a column on SectionCounts (and the migration),
its expression in `expected_counts`, its sum in Progress's `COUNTERS` (orders/web/screens/progress/queries.py)
and its cell in the board's table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, func, literal, or_, select, true, union
from sqlalchemy.dialects import postgresql, sqlite

from orders.domain.binds import one_of
from orders.domain.models import (
    ContentRequest,
    NoMaterialsAnswer,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    ProgramMode,
    Section,
    SectionCounts,
)
from orders.domain.students.rates import section_students

COLUMNS = ("section_id", "enrolled", "rated", "declined", "charged", "placed_at", "in_review", "answered")
IN_REVIEW = (OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)


def expected_counts(mode: ProgramMode, sections: ColumnElement[bool]) -> Select:
    """SQL: one row per section matching `sections` (a condition on Section) with what the rule counts."""
    students = section_students(mode, sections)
    # "Placed on time" counts the moment the order was first submitted (docs/spec.md §8: the instructor met the
    # deadline even when an approver placed it later); orders from before review have it equal to placed_at.
    placed_at = (
        select(func.min(func.coalesce(Order.submitted_at, Order.placed_at)))
        .join(OrderSection, OrderSection.order_id == Order.id)
        .where(OrderSection.section_id == Section.id, OrderSection.claimed, Order.status == OrderStatus.PLACED)
        .scalar_subquery()
    )
    in_review = exists(  # claimed by an order awaiting approval or returned: not ordered yet (docs/spec.md §8)
        select(OrderSection.order_id)
        .join(Order, Order.id == OrderSection.order_id)
        .where(OrderSection.section_id == Section.id, OrderSection.claimed, Order.status.in_(IN_REVIEW))
    )
    answered = exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == Section.id))
    zero = literal(0)
    return (
        select(
            Section.id.label("section_id"),
            func.coalesce(students.c.enrolled, zero).label("enrolled"),
            func.coalesce(students.c.rated, zero).label("rated"),
            func.coalesce(students.c.declined, zero).label("declined"),
            func.coalesce(students.c.opted_in, zero).label("charged"),
            placed_at.label("placed_at"),
            in_review.label("in_review"),
            answered.label("answered"),
        )
        .outerjoin(students, students.c.section_id == Section.id)
        .where(sections)
    )


BY = (
    "sections",
    "orders",
    "items",
)  # how a rebuild names its sections: by id, by their orders, by an item on those orders


def _touched_clause(by: tuple[str, ...], dialect: str) -> ColumnElement[bool]:
    """SQL, on Section: the sections named by the bound id lists count_<kind> (None of them: every section)."""
    if not by:
        return true()
    parts: list[ColumnElement[bool]] = []
    if "sections" in by:
        parts.append(one_of(Section.id, "count_sections", dialect))
    if "orders" in by:
        parts.append(
            Section.id.in_(
                select(OrderSection.section_id).where(one_of(OrderSection.order_id, "count_orders", dialect))
            )
        )
    if "items" in by:
        carrying = union(
            select(OrderLine.order_id).where(one_of(OrderLine.catalog_item_id, "count_items", dialect)),
            select(ContentRequest.order_id).where(one_of(ContentRequest.fulfilled_by_id, "count_items", dialect)),
        )
        parts.append(Section.id.in_(select(OrderSection.section_id).where(OrderSection.order_id.in_(carrying))))
    return or_(*parts)


@functools.cache
def _upsert(dialect: str, mode: ProgramMode, by: tuple[str, ...]):
    """The rebuild's one statement, built once per dialect, mode and shape (the ids bound)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # WHERE always present: SQLite cannot tell an upsert's ON from a join's without it.
    statement = insert(SectionCounts).from_select(list(COLUMNS), expected_counts(mode, _touched_clause(by, dialect)))
    return statement.on_conflict_do_update(
        index_elements=["section_id"], set_={name: statement.excluded[name] for name in COLUMNS[1:]}
    )


def rebuild(connection, mode: ProgramMode, touched: dict[str, list[int]] | None) -> None:
    """Store the rule's counts for the sections named by `touched` ({"sections": ids, "orders": ids, "items": ids};
    None: every section), in one upsert."""
    by = tuple(kind for kind in BY if touched and touched.get(kind))
    if touched is not None and not by:
        return
    params = {f"count_{kind}": sorted(touched[kind]) for kind in by} if touched else {}
    connection.execute(_upsert(connection.dialect.name, mode, by), params)


@dataclass(frozen=True)
class Drift:
    """Sections whose stored counters differ from what the rule counts now (or have none)."""

    differing: int
    samples: list[str]

    def __bool__(self) -> bool:
        return bool(self.differing)


def drift(session, mode: ProgramMode, sample: int = 10) -> Drift:
    """Compare every section's stored counters with the rule (flask check-counts)."""
    expected = expected_counts(mode, true())
    stored = select(*(SectionCounts.__table__.c[name] for name in COLUMNS))
    differing = expected.except_(stored).subquery("differing")
    count = session.scalar(select(func.count()).select_from(differing)) or 0
    samples = [
        f"section {row.section_id}: expected enrolled {row.enrolled}, rated {row.rated}, declined {row.declined}, "
        f"charged {row.charged}, placed_at {row.placed_at}, in_review {bool(row.in_review)}, answered "
        f"{bool(row.answered)}"
        for row in session.execute(select(differing).order_by(differing.c.section_id).limit(sample))
    ]
    return Drift(count, samples)

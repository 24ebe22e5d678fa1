"""Reach as data: the section_reach rows, rebuilt from the rule for whatever a change touched.

The rule is orders/domain/reach.py's (`may_order_for`, and its SQL twins): here it is written once more
over every user at a time (`expected_rows`), and the table is made equal to it for the sections and
viewers a change touched (`rebuild`). Pages read the table (`in_reach`, `viewer_key`); `drift` compares
the two (`flask check-reach`). Program Administrators are not rows: they read the EVERYONE rows; a
deactivated user has none.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Table,
    and_,
    delete,
    except_,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import aliased

from orders.domain.binds import one_of
from orders.domain.models import (
    EVERYONE,
    NOBODY,
    CoordinatorGrant,
    Course,
    Order,
    OrderSection,
    Section,
    SectionReach,
    TeachingAssignment,
    Term,
    User,
)
from orders.domain.reach import grant_row_covers_clause

COLUMNS = (
    "viewer_id",
    "section_id",
    "instructor_id",
    "term_id",
    "sort_name",
    "starts_on",
    "subject",
    "number",
    "label",
)


def viewer_key(user: User) -> int:
    """Whose rows the user reads: EVERYONE's for a Program Administrator, else their own."""
    return EVERYONE if user.is_program_admin else user.id


def in_reach(user: User, section_id) -> ColumnElement[bool]:
    """SQL: the section (an id expression) is in the user's reach, read from the table (true for an admin)."""
    if user.is_program_admin:
        return true()
    return exists(
        select(SectionReach.section_id).where(SectionReach.viewer_id == user.id, SectionReach.section_id == section_id)
    )


def viewable_orders(user: User, *, probe: bool = False) -> ColumnElement[bool]:
    """SQL, on Order: the user may view the order (reach.can_view_order), its sections' reach read from the table."""
    return viewable_orders_of(user.is_program_admin, user.id, probe=probe)


def viewable_orders_of(admin: bool, viewer, *, probe: bool = False) -> ColumnElement[bool]:
    """viewable_orders for an admin or not and a viewer (an id, or a bound parameter: one statement for everyone).

    By default an uncorrelated IN: the orders on the user's reach rows, a set the database builds once.
    With `probe`, a correlated EXISTS per order (for walking the orders newest first when most are in reach).
    """
    if admin:
        return true()
    on_reach = (
        select(OrderSection.order_id)
        .join(SectionReach, and_(SectionReach.section_id == OrderSection.section_id, SectionReach.viewer_id == viewer))
        .where(OrderSection.removed_at.is_(None))
    )
    reach: ColumnElement[bool]
    if probe:
        # OFFSET 0 keeps the probe a subplan run per order (stopping at its first section in reach).
        reach = exists(on_reach.where(OrderSection.order_id == Order.id).offset(0))
    else:
        reach = Order.id.in_(on_reach)
    return or_(Order.placed_by_id == viewer, Order.owner_id == viewer, reach)


KINDS = ("sections", "courses", "terms", "instructors", "viewers")


@dataclass(frozen=True)
class Touched:
    """What a change moved: the sections whose rows to rebuild (by id, or every section of a course, a
    term or an instructor) and the viewers whose rows to rebuild (grants, activation, the admin flag)."""

    sections: frozenset[int] = frozenset()
    courses: frozenset[int] = frozenset()
    terms: frozenset[int] = frozenset()
    instructors: frozenset[int] = frozenset()
    viewers: frozenset[int] = frozenset()
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.kinds())

    def kinds(self) -> tuple[str, ...]:
        """The kinds of ids given (the statements' shape: built once per shape, the ids bound)."""
        return tuple(kind for kind in KINDS if getattr(self, kind))

    def params(self) -> dict[str, list[int]]:
        return {f"touched_{kind}": sorted(getattr(self, kind)) for kind in self.kinds()}


def _sections_clause(kinds: tuple[str, ...], dialect: str) -> ColumnElement[bool]:
    """SQL, on Section: the section's rows are to be rebuilt (the ids as bound lists: touched_<kind>)."""
    parts: list[ColumnElement[bool]] = []
    if "sections" in kinds:
        parts.append(one_of(Section.id, "touched_sections", dialect))
    if "courses" in kinds:
        parts.append(one_of(Section.course_id, "touched_courses", dialect))
    if "terms" in kinds:
        parts.append(one_of(Section.term_id, "touched_terms", dialect))
    if "instructors" in kinds:
        taught = select(TeachingAssignment.section_id).where(
            one_of(TeachingAssignment.user_id, "touched_instructors", dialect)
        )
        parts.append(Section.id.in_(taught))
    return or_(*parts) if parts else false()


def _slot_rows(viewer) -> Select:
    """Every (section, instructor slot) row with its sort columns, as seen by `viewer` (a column or constant)."""
    slot = aliased(TeachingAssignment, name="slot")
    instructor = aliased(User, name="slot_user")
    return (
        select(
            viewer.label("viewer_id"),
            Section.id.label("section_id"),
            func.coalesce(slot.user_id, NOBODY).label("instructor_id"),
            Section.term_id.label("term_id"),
            instructor.sort_name.label("sort_name"),
            Term.starts_on.label("starts_on"),
            Course.subject.label("subject"),
            Course.number.label("number"),
            Section.label.label("label"),
        )
        .select_from(Section)
        .join(Course, Course.id == Section.course_id)
        .join(Term, Term.id == Section.term_id)
        .outerjoin(slot, slot.section_id == Section.id)
        .outerjoin(instructor, instructor.id == slot.user_id)
    )


def _viewer_may_hold_rows(viewer: type[User]) -> ColumnElement[bool]:
    return and_(viewer.active.is_(True), viewer.is_program_admin.is_(False))


def expected_rows(kinds: tuple[str, ...] | None = None, dialect: str = "") -> CompoundSelect:
    """SQL: the rows the rule gives: every row, or (with `kinds`) those of the touched sections and viewers,
    whose ids are bound as touched_<kind> (Touched.params).

    EVERYONE sees every (section, instructor) row; an active non-admin coordinator every row of each
    section a grant covers (grant_row_covers_clause, the set-based twin of grant_covers); an active
    non-admin instructor their own row of each section they teach. UNION drops the duplicates (a
    coordinator who also teaches the section; two grants covering it).
    """
    sections = _sections_clause(kinds, dialect) if kinds is not None else true()
    by_viewer = kinds is not None and "viewers" in kinds
    grant = aliased(CoordinatorGrant, name="reach_grant")
    coordinator = aliased(User, name="coordinator")
    teacher = aliased(User, name="teacher")
    own = aliased(TeachingAssignment, name="own")

    def narrowed(query: Select, viewer_id) -> Select:
        if kinds is None:
            return query
        return query.where(or_(sections, one_of(viewer_id, "touched_viewers", dialect)) if by_viewer else sections)

    coordinating = narrowed(
        _slot_rows(grant.user_id)
        .join(grant, grant_row_covers_clause(grant))
        .join(coordinator, and_(coordinator.id == grant.user_id, _viewer_may_hold_rows(coordinator))),
        grant.user_id,
    )
    teaching = narrowed(
        select(
            own.user_id,
            Section.id,
            own.user_id,
            Section.term_id,
            teacher.sort_name,
            Term.starts_on,
            Course.subject,
            Course.number,
            Section.label,
        )
        .select_from(own)
        .join(Section, Section.id == own.section_id)
        .join(Course, Course.id == Section.course_id)
        .join(Term, Term.id == Section.term_id)
        .join(teacher, and_(teacher.id == own.user_id, _viewer_may_hold_rows(teacher))),
        own.user_id,
    )
    parts = [coordinating, teaching]
    if kinds is None or set(kinds) - {"viewers"}:
        parts.insert(0, _slot_rows(literal(EVERYONE, Integer)).where(sections))
    return union(*parts)


@functools.cache
def _rebuild_statements(kinds: tuple[str, ...] | None, dialect: str):
    """The DELETE and the INSERT ... SELECT of a rebuild (None: everything), built once per shape."""
    table = cast(Table, SectionReach.__table__)  # a mapped class's __table__ is its Table; the base types it FromClause
    if kinds is None:
        stale = delete(table)
    else:
        condition: ColumnElement[bool] = SectionReach.section_id.in_(
            select(Section.id).where(_sections_clause(kinds, dialect))
        )
        if "viewers" in kinds:
            condition = or_(condition, one_of(SectionReach.viewer_id, "touched_viewers", dialect))
        stale = delete(table).where(condition)
    rows = expected_rows(kinds, dialect).subquery("expected")
    return stale, insert(table).from_select(list(COLUMNS), select(*(rows.c[name] for name in COLUMNS)))


def rebuild(connection, touched: Touched) -> None:
    """Make the touched rows equal to the rule: delete them, insert what the rule gives (two statements)."""
    if not touched:
        return
    kinds = None if touched.everything else touched.kinds()
    params = {} if kinds is None else touched.params()
    for statement in _rebuild_statements(kinds, connection.dialect.name):
        connection.execute(statement, params)


@dataclass(frozen=True)
class Drift:
    """Rows the rule gives that the table lacks, and rows the table has that the rule does not give."""

    missing: int
    extra: int
    samples: list[str]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def drift(session, sample: int = 10) -> Drift:
    """Compare the whole table with the rule (flask check-reach)."""
    rows = expected_rows().subquery("expected")
    expected = select(*(rows.c[name] for name in COLUMNS))  # a plain SELECT: SQLite takes no parenthesized operand
    table = select(*(SectionReach.__table__.c[name] for name in COLUMNS))
    missing_q = except_(expected, table).subquery("missing")
    extra_q = except_(table, expected).subquery("extra")
    missing = session.scalar(select(func.count()).select_from(missing_q)) or 0
    extra = session.scalar(select(func.count()).select_from(extra_q)) or 0
    samples = []
    for kind, query in (("missing", missing_q), ("extra", extra_q)):
        for row in session.execute(select(query).limit(sample)):
            samples.append(f"{kind}: viewer {row.viewer_id}, section {row.section_id}, instructor {row.instructor_id}")
    return Drift(missing, extra, samples)

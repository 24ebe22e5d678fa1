"""The Courses screen: which sections a user sees, filtered, paginated and grouped by instructor."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable

from sqlalchemy import (
    BindParameter,
    Integer,
    ScalarSelect,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from orders.domain.binds import dialect_name, one_of
from orders.domain.costs.coverage import disclosed_clause, registration_opens_of_section
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.institution import institution
from orders.domain.models import (
    NOBODY,
    AcademicSession,
    Campus,
    Course,
    CourseLevel,
    NoMaterialsAnswer,
    Order,
    OrderingPeriod,
    OrderSection,
    OrderStatus,
    Organization,
    Section,
    SectionReach,
    SectionState,
    Term,
    User,
)
from orders.domain.ordering.drafts import SectionChoice
from orders.domain.ordering.reorder import earlier_order_exists
from orders.domain.periods import period_state
from orders.domain.reach import UNASSIGNED, grant_covers
from orders.domain.reach_table import viewer_key
from orders.domain.rules import can_answer_no_materials, can_place, can_reorder
from orders.domain.students.rates import at_risk_section_ids
from orders.domain.windows import WindowState
from orders.extensions import db
from orders.web.course_filters import CURRENT_TERMS, CoursesFilter, OrderState
from orders.web.paging import Page, offset_of, page_count


@dataclass(frozen=True)
class CourseRef:
    """What a Courses row shows of a course."""

    id: int
    subject: str
    number: str
    title: str

    @property
    def code(self) -> str:
        return f"{self.subject} {self.number}"


@dataclass(frozen=True)
class SectionRow:
    """A section on the page as plain values: what its row shows and what can_place and the reorder rule read."""

    id: int
    course_id: int
    term_id: int
    campus_id: int
    organization_id: int
    level: CourseLevel
    label: str
    state: SectionState
    session_name: str
    course: CourseRef
    term: Term  # the page's own Term (all_terms), its ordering period loaded
    answered_by: str | None  # "no materials needed": who answered, when
    answered_at: datetime | None

    @property
    def is_removed(self) -> bool:
        return self.state is SectionState.REMOVED


@dataclass(frozen=True)
class OrderRef:
    """An order a Courses row links to (placed or canceled), or the user's own draft."""

    id: int
    number: int | None
    status: OrderStatus
    course_id: int
    term_id: int


@dataclass(frozen=True)
class InstructorRef:
    id: int
    name: str


@dataclass
class Offering:
    """A course in a term as one instructor (or nobody yet) teaches it."""

    term: Term
    course: CourseRef
    sections: list[SectionRow] = field(default_factory=list)
    orders: list[OrderRef] = field(default_factory=list)
    reason: str = ""
    can_start_order: bool = False
    draft_id: int | None = None  # the user's own draft for this course and term, to resume
    period: WindowState = WindowState.NOT_SET
    ordered_count: int = 0  # active sections on a placed order ("N of M sections ordered")
    active_count: int = 0

    @property
    def add_sections_to(self) -> OrderRef | None:
        """The placed order that the row's other orderable sections can join ("Add sections")."""
        placed = next((o for o in self.orders if o.status is OrderStatus.PLACED), None)
        return placed if placed is not None and self.can_start_order else None

    @property
    def placed(self) -> bool:
        """A placed order holds one of the row's sections (it wins over a "no materials needed" answer)."""
        return any(o.status is OrderStatus.PLACED for o in self.orders)

    # "No materials needed": the row's answered sections without a placed order, and what the user may do.
    no_materials_sections: list[SectionRow] = field(default_factory=list)
    can_answer_no_materials: bool = False
    can_undo_no_materials: bool = False
    can_reorder: bool = False  # "Reorder" beside "Start order": an earlier order can be copied


@dataclass
class InstructorGroup:
    instructor: InstructorRef | None
    offerings: list[Offering] = field(default_factory=list)


def current_term_ids(terms: list[Term], now: datetime) -> list[int]:
    """Terms whose ordering period is open or upcoming (the default view)."""
    return [term.id for term in terms if term.period is not None and term.period.closes_at > now]


def _term_clause(filters: CoursesFilter, terms: list[Term], now: datetime):
    """SQL: the section's term is the chosen one, or one of the open and upcoming terms.

    The term list is already loaded for the Term select, so the ids go in as constants: a subquery
    here would add a join the planner has to weigh on every request.
    """
    return Section.term_id.in_(_chosen_term_ids(filters, terms, now))


def _chosen_term_ids(filters: CoursesFilter, terms: list[Term], now: datetime) -> list[int]:
    if filters.term == CURRENT_TERMS:
        return current_term_ids(terms, now)
    return [term.id for term in terms if term.code == filters.term]


MATCH_LIMIT = 10  # instructors listed for a typed name; more means "type more of the name"
COUNT_CAP = 1000  # the Courses count is exact up to this many rows past the page, then "1,000+"
# Orders a row shows, and those that hold their sections (docs/spec.md §8: one in review claims them too).
HOLDS = (OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)
SHOWN = (*HOLDS, OrderStatus.CANCELED)


@dataclass(frozen=True)
class InstructorFilter:
    """What the Instructor filter shows besides the type-ahead: whether it is offered at all, the
    applied instructor by name (and whether they teach in the chosen terms), and whether the chosen
    terms hold an unassigned section the user can see, so the filter that applies is always visible
    and clearable and "Unassigned sections" is offered exactly when there are some."""

    shown: bool = False
    chosen: tuple | None = None  # (id, name) of the applied instructor
    chosen_teaches_here: bool = False
    unassigned: bool = False
    names: dict[str, str] = field(default_factory=dict)  # filter_names, read in the same query


@functools.lru_cache(maxsize=16)
def _instructor_filter_statement(dialect: str, chosen: bool, names: tuple[int, ...]):
    """The Instructor filter's one statement (whether an instructor is chosen, which names are asked), built once."""
    in_terms = one_of(SectionReach.term_id, "term_ids", dialect)
    viewer: BindParameter[int] = bindparam("viewer")
    unassigned_row = select(SectionReach.section_id).where(
        SectionReach.instructor_id == NOBODY, SectionReach.viewer_id == viewer, in_terms
    )
    parts = [
        select(
            literal(1).label("kind"),
            cast(null(), Integer).label("id"),
            cast(null(), String).label("name"),
            literal(False).label("here"),
        ).where(exists(unassigned_row))
    ]
    if chosen:
        # Any term: a name the user could pick in some term, never an arbitrary account's.
        rows = select(SectionReach.section_id).where(
            SectionReach.instructor_id == User.id, SectionReach.viewer_id == viewer
        )
        parts.append(
            select(literal(2), User.id, User.name, exists(rows.where(in_terms))).where(
                User.id == bindparam("chosen"), exists(rows)
            )
        )
    parts += [select(literal(kind), cast(null(), Integer), name, literal(False)) for kind, name in _name_parts(names)]
    return union_all(*parts)


def instructor_filter(user: User, filters: CoursesFilter, terms: list[Term], now: datetime) -> InstructorFilter:
    """The Instructor filter's state for the chosen terms, in one small query (never a list of
    every instructor: the type-ahead asks for names as they are typed)."""
    if not (user.is_program_admin or user.is_coordinator):
        return InstructorFilter()
    chosen_id = int(filters.instructor) if filters.instructor and filters.instructor != UNASSIGNED else None
    names = _named(filters)
    params = {
        "viewer": viewer_key(user),
        "term_ids": _chosen_term_ids(filters, terms, now),
        "chosen": chosen_id,
        "organization": filters.organization,
        "campus": filters.campus,
    }
    rows = db.session.execute(
        _instructor_filter_statement(dialect_name(), chosen_id is not None, tuple(names)), params
    ).all()
    chosen = next((row for row in rows if row.kind == 2), None)
    return InstructorFilter(
        shown=True,
        chosen=(chosen.id, chosen.name) if chosen else None,
        chosen_teaches_here=bool(chosen and chosen.here),
        unassigned=any(row.kind == 1 for row in rows),
        names={NAME_KINDS[row.kind]: row.name for row in rows if row.kind in NAME_KINDS and row.name is not None},
    )


def applicable(user: User, filters: CoursesFilter, state: InstructorFilter) -> CoursesFilter:
    """Drop an instructor filter the user could never see applied: without an Instructor filter
    (instructors see their own sections only), or naming nobody they may pick in any term."""
    if not filters.instructor or (filters.instructor == UNASSIGNED and state.shown):
        return filters
    if not state.shown or state.chosen is None:
        return replace(filters, instructor="")
    return filters


NAME_KINDS = {3: "organization", 4: "campus"}


def _named(filters: CoursesFilter) -> list[int]:
    """The NAME_KINDS the filter names (an organization, a campus)."""
    return [kind for kind, value in ((3, filters.organization), (4, filters.campus)) if value is not None]


def _name_parts(kinds: Iterable[int]) -> list[tuple[int, ScalarSelect[str]]]:
    """(kind, scalar select of the name) for the organization and campus the filter names (:organization, :campus)."""
    parts = []
    if 3 in kinds:
        parts.append(
            (3, select(Organization.name).where(Organization.id == bindparam("organization")).scalar_subquery())
        )
    if 4 in kinds:
        parts.append((4, select(Campus.name).where(Campus.id == bindparam("campus")).scalar_subquery()))
    return parts


def filter_names(filters: CoursesFilter, state: InstructorFilter) -> dict[str, str]:
    """Names of the organization and campus the filter names: read with the Instructor filter's query
    when there is one (Courses stays within its 6 statements), else in one query of their own."""
    if state.shown:
        return state.names
    parts = _name_parts(_named(filters))
    if not parts:
        return {}
    row = db.session.execute(
        select(*(name.label(NAME_KINDS[kind]) for kind, name in parts)),
        {"organization": filters.organization, "campus": filters.campus},
    ).one()
    return {key: value for key, value in row._mapping.items() if value is not None}


def matching_instructors(
    user: User, name: str, filters: CoursesFilter, terms: list[Term], now: datetime, limit: int = MATCH_LIMIT
) -> list:
    """(id, name) of at most `limit` + 1 instructors whose name contains `name` and whom this user may
    see in the chosen terms, by family name (the type-ahead and its no-JavaScript list).

    The user's reach rows are walked in instructor order (the Courses index), each instructor once,
    until enough names match: the statement stops early whatever the size of the reach.
    """
    name = name.strip()
    if not name or not (user.is_program_admin or user.is_coordinator):
        return []
    params = {
        "viewer": viewer_key(user),
        "term_ids": _chosen_term_ids(filters, terms, now),
        "pattern": anywhere(name),
        "limit": limit + 1,
    }
    return list(db.session.execute(_matching_instructors_statement(dialect_name()), params))


@functools.cache
def _matching_instructors_statement(dialect: str):
    instructors = (
        select(SectionReach.sort_name, SectionReach.instructor_id)
        .where(
            SectionReach.viewer_id == bindparam("viewer"),
            one_of(SectionReach.term_id, "term_ids", dialect),
            SectionReach.instructor_id != NOBODY,
        )
        .distinct()
        .subquery("instructors")
    )
    return (
        select(User.id, User.name)
        .join(instructors, instructors.c.instructor_id == User.id)
        .where(func.lower(User.name).like(bindparam("pattern"), escape=ESCAPE))
        .order_by(instructors.c.sort_name, instructors.c.instructor_id)
        .limit(bindparam("limit", type_=Integer))
    )


def _matching_rows(shape: tuple) -> Select:
    """(section id, instructor id or NOBODY) rows the viewer may see, with every filter of the shape applied.

    The rows are the viewer's reach (section_reach): without other filters, a range of its Courses index
    in page order. Filters on what the table does not copy join the section and its course. Values are
    bound parameters (_params), so one shape is one statement text whoever asks.
    """
    (
        dialect,
        admin,
        instructor,
        sections,
        subject,
        q,
        organization,
        campus,
        active,
        placed,
        at_risk,
        state,
        disclosed,
    ) = shape
    query = select(
        SectionReach.section_id.label("section_id"), SectionReach.instructor_id.label("instructor_id")
    ).where(SectionReach.viewer_id == bindparam("viewer"), one_of(SectionReach.term_id, "term_ids", dialect))
    if instructor == "unassigned":
        query = query.where(SectionReach.instructor_id == NOBODY)
    elif instructor == "one":
        query = query.where(SectionReach.instructor_id == bindparam("instructor"))
    if sections:
        query = query.where(one_of(SectionReach.section_id, "sections", dialect))
    if subject:
        query = query.where(SectionReach.subject == bindparam("subject"))
    active_only = active or state is OrderState.MISSING
    if q or organization or campus or active_only or disclosed:
        query = query.join(Section, Section.id == SectionReach.section_id)
    if q:
        needle: BindParameter[str] = bindparam("needle")
        query = query.join(Course, Course.id == Section.course_id).where(
            or_(
                func.lower(SectionReach.subject + " " + SectionReach.number).like(needle, escape=ESCAPE),
                func.lower(Course.title).like(needle, escape=ESCAPE),
            )
        )
    if organization:
        query = query.where(Section.organization_id == bindparam("organization"))
    if campus:
        query = query.where(Section.campus_id == bindparam("campus"))
    if active_only:
        query = query.where(Section.state == SectionState.ACTIVE)
    section_id = SectionReach.section_id
    if placed:
        deadline = func.coalesce(OrderingPeriod.soft_close_at, OrderingPeriod.closes_at)
        submitted = func.coalesce(Order.submitted_at, Order.placed_at)  # Progress counts the first submission too
        placed_at = submitted < deadline if placed == "on_time" else submitted >= deadline
        query = query.where(
            exists(
                select(OrderSection.order_id)
                .join(Order, Order.id == OrderSection.order_id)
                .join(OrderingPeriod, OrderingPeriod.term_id == SectionReach.term_id)
                .where(
                    OrderSection.section_id == section_id,
                    OrderSection.claimed,
                    Order.status == OrderStatus.PLACED,
                    placed_at,
                )
            )
        )
    if at_risk:
        query = query.where(
            section_id.in_(at_risk_section_ids(bindparam("threshold"), one_of(Section.term_id, "term_ids", dialect)))
        )
    if disclosed:  # "now" or "registration": correlated to Section (joined above)
        query = query.where(disclosed_clause(registration_opens_of_section() if disclosed == "registration" else None))
    if state is not None:
        claimed = exists(
            select(OrderSection.order_id).where(OrderSection.section_id == section_id, OrderSection.claimed)
        )
        answered = exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == section_id))

        def held(statuses):
            return exists(
                select(OrderSection.order_id)
                .join(Order, Order.id == OrderSection.order_id)
                .where(OrderSection.section_id == section_id, OrderSection.claimed, Order.status.in_(statuses))
            )

        if state is OrderState.ORDERED:  # on a placed order (one awaiting approval is not ordered yet)
            query = query.where(held([OrderStatus.PLACED]))
        elif state is OrderState.AWAITING_APPROVAL:
            query = query.where(held([OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED]))
        elif state is OrderState.NOT_ORDERED:
            query = query.where(~claimed)
        elif state is OrderState.NO_MATERIALS:
            query = query.where(~claimed, answered)
        elif state is OrderState.MISSING:  # active sections only (active_only, above)
            query = query.where(~claimed, ~answered)
        else:
            canceled = exists(
                select(OrderSection.order_id)
                .join(Order, Order.id == OrderSection.order_id)
                .where(OrderSection.section_id == section_id, Order.status == OrderStatus.CANCELED)
            )
            query = query.where(and_(~claimed, canceled))
    return query


# The Courses order: the section_reach index's (ix_section_reach_courses), so a page is a range of it.
_SORT = (
    SectionReach.sort_name,
    SectionReach.instructor_id,
    SectionReach.starts_on,
    SectionReach.subject,
    SectionReach.number,
    SectionReach.label,
    SectionReach.section_id,
)


def _in_courses_order(columns) -> list:
    """ORDER BY the sort columns, the instructor's name with unassigned sections (NULL) last."""
    first, *rest = columns
    return [first.nulls_last(), *rest]


def courses_page(
    user: User, filters: CoursesFilter, terms: list[Term], now: datetime, page_size: int
) -> Page[InstructorGroup]:
    """One page of the Courses screen: the page with its (capped) count in one query, then its orders."""
    page = filters.page
    rows, total, exact, earlier = _page_rows(user, filters, terms, now, page, page_size)
    if not rows and page > 1:  # a bookmarked page past the end: show the last one
        page = page_count(total, page_size)
        rows, total, exact, earlier = _page_rows(user, filters, terms, now, page, page_size)
    orders_by_section, drafts = _orders_and_drafts(user, rows)
    groups = _group(user, rows, orders_by_section, drafts, now)
    _mark_reorderable(user, groups, orders_by_section, earlier, now)
    # The page counts section rows ("sections 26–50 of 95"); its rows are those rows grouped by instructor.
    return Page(groups, page, total, page_size, exact, shown=len(rows))


def _shape(user: User, filters: CoursesFilter, terms: list[Term], now: datetime) -> tuple:
    """What decides the page statement's SQL (never a value: values are bound)."""
    instructor = "none" if not filters.instructor else "unassigned" if filters.instructor == UNASSIGNED else "one"
    return (
        dialect_name(),
        user.is_program_admin,
        instructor,
        bool(filters.sections),
        bool(filters.subject),
        bool(filters.q),
        filters.organization is not None,
        filters.campus is not None,
        filters.active,
        filters.placed,
        filters.at_risk,
        filters.state,
        filters.disclosed or None,
    )


def _params(user: User, filters: CoursesFilter, terms: list[Term], now: datetime) -> dict:
    """The values the page statement binds."""
    chosen = _chosen_term_ids(filters, terms, now)
    params: dict = {"viewer": viewer_key(user), "term_ids": chosen or [-1]}
    if filters.instructor and filters.instructor != UNASSIGNED:
        params["instructor"] = int(filters.instructor)
    if filters.sections:
        params["sections"] = list(filters.sections)
    if filters.subject:
        params["subject"] = filters.subject
    if filters.q:
        params["needle"] = anywhere(filters.q)  # "%" and "_" typed are literal: "CS_1" finds no "CS 101"
    if filters.organization is not None:
        params["organization"] = filters.organization
    if filters.campus is not None:
        params["campus"] = filters.campus
    if filters.at_risk:
        params["threshold"] = institution().at_risk_threshold_percent
    return params


_SECTION_COLUMNS = (
    Section.id,
    Section.course_id,
    Section.term_id,
    Section.campus_id,
    Section.organization_id,
    Section.level,
    Section.label,
    Section.state,
)


@functools.lru_cache(maxsize=256)
def _page_statement(shape: tuple) -> Select:
    """The page's statement for one filter shape, built once per process: its reach rows (a range of the
    Courses index), each joined to its section's plain columns; the capped count and the reorder probe
    ride along. The viewer, terms, filter values, limit and offset are bound (:viewer, :term_ids, ...)."""
    matching = _matching_rows(shape)
    keys = [column.label(f"k{i}") for i, column in enumerate(_SORT)]
    page_ids = (
        matching.add_columns(*keys)
        .order_by(*_in_courses_order(_SORT))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page_ids")
    )
    capped = select(func.count()).select_from(matching.limit(bindparam("cap", type_=Integer)).subquery("capped"))
    answerer = aliased(User, name="answerer")
    instructor = aliased(User, name="instructor")
    return (
        select(
            *_SECTION_COLUMNS,
            Course.subject,
            Course.number.label("course_number"),
            Course.title,
            AcademicSession.name.label("session_name"),
            answerer.name.label("answered_by"),
            NoMaterialsAnswer.answered_at,
            instructor.id.label("instructor_id"),
            instructor.name.label("instructor_name"),
            capped.scalar_subquery().label("total"),
            earlier_order_exists(Section).label("earlier"),
        )
        .select_from(page_ids)
        .join(Section, Section.id == page_ids.c.section_id)
        .join(Course, Course.id == Section.course_id)
        .join(AcademicSession, AcademicSession.id == Section.session_id)
        .outerjoin(NoMaterialsAnswer, NoMaterialsAnswer.section_id == Section.id)
        .outerjoin(answerer, answerer.id == NoMaterialsAnswer.answered_by_id)
        .outerjoin(instructor, instructor.id == page_ids.c.instructor_id)
        .order_by(*_in_courses_order([page_ids.c[f"k{i}"] for i in range(len(_SORT))]))
    )


@functools.lru_cache(maxsize=64)
def _count_statement(shape: tuple) -> Select:
    """The capped count alone (a page past the end)."""
    return select(func.count()).select_from(
        _matching_rows(shape).limit(bindparam("cap", type_=Integer)).subquery("capped")
    )


def _page_rows(
    user: User, filters: CoursesFilter, terms: list[Term], now: datetime, page: int, page_size: int
) -> tuple[list[tuple[SectionRow, InstructorRef | None]], int, bool, set[int]]:
    """One page of (section, instructor) rows, the row count (exact up to COUNT_CAP rows past the
    page, else a lower bound), whether it is exact, and the ids of the page's sections whose course has
    an earlier order to reorder from (earlier_order_exists), in one query.

    The inner query reads one page of the user's reach rows in Courses order (an index range, no sort);
    only those rows are then joined to their details. Counting stops at the cap: a coordinator with
    thousands of sections is told "1,000+", not made to wait for an exact count.
    """
    shape = _shape(user, filters, terms, now)
    offset = offset_of(page, page_size)
    cap = max(COUNT_CAP, offset + page_size)
    params = {**_params(user, filters, terms, now), "limit": page_size, "offset": offset, "cap": cap + 1}
    found = db.session.execute(_page_statement(shape), params).all()
    total = found[0].total if found else db.session.scalar(_count_statement(shape), params)
    by_id = {term.id: term for term in terms}
    courses: dict[int, CourseRef] = {}
    rows = []
    for row in found:
        course = courses.get(row.course_id)
        if course is None:
            course = courses[row.course_id] = CourseRef(row.course_id, row.subject, row.course_number, row.title)
        section = SectionRow(
            row.id,
            row.course_id,
            row.term_id,
            row.campus_id,
            row.organization_id,
            row.level,
            row.label,
            row.state,
            row.session_name,
            course,
            by_id[row.term_id],
            row.answered_by,
            row.answered_at,
        )
        person = InstructorRef(row.instructor_id, row.instructor_name) if row.instructor_id is not None else None
        rows.append((section, person))
    earlier = {row.id for row in found if row.earlier}
    return rows, min(total or 0, cap), (total or 0) <= cap, earlier


@functools.cache
def _orders_statement(dialect: str) -> Select[int | None, int, int | None, OrderStatus, int, int]:
    """Placed and canceled orders on the page's sections (placed first, then newest) and the user's own drafts
    of the page's courses, as plain columns: two index lookups glued together (an OR across one outer join
    would scan every order)."""
    on_sections = (
        select(OrderSection.section_id, OrderSection.order_id)
        .join(Order, Order.id == OrderSection.order_id)
        .where(
            one_of(OrderSection.section_id, "section_ids", dialect),
            OrderSection.removed_at.is_(None),  # a section an edit took off is no longer on that order
            Order.status.in_(SHOWN),
        )
    )
    own_drafts = select(cast(null(), Integer).label("section_id"), Order.id.label("order_id")).where(
        Order.status == OrderStatus.DRAFT,
        Order.owner_id == bindparam("owner"),
        one_of(Order.course_id, "course_ids", dialect),
        one_of(Order.term_id, "term_ids", dialect),
    )
    matches = union_all(on_sections, own_drafts).subquery()
    return (
        select(matches.c.section_id, Order.id, Order.number, Order.status, Order.course_id, Order.term_id)
        .join(Order, Order.id == matches.c.order_id)
        .order_by(Order.status != OrderStatus.PLACED, Order.number.desc(), Order.id)
    )


def _orders_and_drafts(user: User, rows) -> tuple[dict[int, list[OrderRef]], dict[tuple[int, int], int]]:
    """In one query: placed and canceled orders on the page's sections (placed first, then newest),
    and the user's own drafts for the page's courses, keyed by (course id, term id)."""
    if not rows:
        return {}, {}
    params = {
        "section_ids": sorted({section.id for section, _ in rows}),
        "owner": user.id,
        "course_ids": sorted({section.course_id for section, _ in rows}),
        "term_ids": sorted({section.term_id for section, _ in rows}),
    }
    orders: dict[int, list[OrderRef]] = {}
    drafts: dict[tuple[int, int], int] = {}
    seen: dict[int, OrderRef] = {}
    for section_id, order_id, number, status, course_id, term_id in db.session.execute(
        _orders_statement(dialect_name()), params
    ):
        order = seen.get(order_id)
        if order is None:
            order = seen[order_id] = OrderRef(order_id, number, status, course_id, term_id)
        if status is OrderStatus.DRAFT:
            drafts.setdefault((course_id, term_id), order_id)  # the oldest, as ordering resumes it
        else:
            assert section_id is not None  # only the own-drafts half of the statement has no section
            orders.setdefault(section_id, []).append(order)
    return orders, drafts


def _reason(user: User, instructor: InstructorRef | None, section: SectionRow) -> str:
    """Why this row is on the user's screen, as a sentence about the user like every other row's."""
    if instructor is not None and instructor.id == user.id:
        return "You teach this course"
    if user.is_program_admin:
        return "You are a Program Administrator"
    grant = next((g for g in user.grants if grant_covers(g, section)), None)
    return f"You coordinate {grant.describe()}" if grant else ""


def _group(
    user: User, rows, orders_by_section: dict[int, list[OrderRef]], drafts: dict[tuple[int, int], int], now: datetime
) -> list[InstructorGroup]:
    """Fold the page's rows into instructor groups and course offerings, keeping row order."""
    groups: list[InstructorGroup] = []
    offerings: dict[tuple, Offering] = {}
    for section, instructor in rows:
        instructor_id = instructor.id if instructor else None
        if not groups or (groups[-1].instructor.id if groups[-1].instructor else None) != instructor_id:
            groups.append(InstructorGroup(instructor))
        key = (instructor_id, section.term_id, section.course_id)
        offering = offerings.get(key)
        if offering is None:
            offering = Offering(
                term=section.term,
                course=section.course,
                reason=_reason(user, instructor, section),
                period=period_state(section.term, now),
                draft_id=drafts.get((section.course_id, section.term_id)),
            )
            offerings[key] = offering
            groups[-1].offerings.append(offering)
        offering.sections.append(section)
        section_orders = orders_by_section.get(section.id, [])
        for order in section_orders:
            if order not in offering.orders:
                offering.orders.append(order)
        claimed = any(o.status in HOLDS for o in section_orders)  # placed, or in review: no second order
        if section.is_removed:
            continue  # the registrar dropped it: it stays on its order, but is neither counted nor orderable
        offering.active_count += 1
        offering.ordered_count += any(o.status is OrderStatus.PLACED for o in section_orders)
        if not claimed and can_place(
            user, section, now, teaches_section=instructor is not None and instructor.id == user.id
        ):
            offering.can_start_order = True
        if not claimed and not section.is_removed:  # a placed order wins over a "no materials needed" answer
            may_answer = can_answer_no_materials(
                user, section, now, teaches_section=instructor is not None and instructor.id == user.id
            )
            if section.answered_by is not None:
                offering.no_materials_sections.append(section)
                offering.can_undo_no_materials = offering.can_undo_no_materials or may_answer
            elif may_answer:
                offering.can_answer_no_materials = True
    return groups


def _mark_reorderable(
    user: User,
    groups: list[InstructorGroup],
    orders_by_section: dict[int, list[OrderRef]],
    earlier: set[int],
    now: datetime,
) -> None:
    """Offer "Reorder" on offerings the user may reorder into (can_reorder over the row's sections)
    whose course has an earlier order on the campus of one of its orderable sections."""
    for group in groups:
        own_group = group.instructor is not None and group.instructor.id == user.id
        for offering in group.offerings:
            if offering.draft_id:
                continue
            choices: list[SectionChoice[SectionRow]] = []
            for section in offering.sections:
                ordered_as = next((o.number for o in orders_by_section.get(section.id, []) if o.status in HOLDS), None)
                orderable = ordered_as is None and can_place(user, section, now, teaches_section=own_group)
                choices.append(SectionChoice(section, ordered_as, orderable))
            offering.can_reorder = can_reorder(choices) and any(
                c.orderable and c.section.id in earlier for c in choices
            )

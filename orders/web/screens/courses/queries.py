"""The Courses screen: which sections a user sees, filtered, paginated and grouped by instructor."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Integer, Select, String, and_, cast, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload, load_only, raiseload

from orders.domain.costs.coverage import disclosed_clause, registration_opens_of_section
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.institution import institution
from orders.domain.models import (
    Campus,
    Course,
    NoMaterialsAnswer,
    Order,
    OrderingPeriod,
    OrderSection,
    OrderStatus,
    Organization,
    Section,
    SectionState,
    TeachingAssignment,
    Term,
    User,
)
from orders.domain.ordering.drafts import SectionChoice
from orders.domain.ordering.reorder import earlier_order_exists
from orders.domain.periods import period_state
from orders.domain.reach import UNASSIGNED, covered_by_grants_clause, grant_covers, oversees_clause, teaches_in_reach
from orders.domain.rules import can_answer_no_materials, can_place, can_reorder
from orders.domain.students.rates import at_risk_section_ids
from orders.domain.windows import WindowState
from orders.extensions import db
from orders.web.course_filters import CURRENT_TERMS, CoursesFilter, OrderState
from orders.web.paging import Page, offset_of, page_count


@dataclass
class Offering:
    """A course in a term as one instructor (or nobody yet) teaches it."""

    term: Term
    course: Course
    sections: list[Section] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    reason: str = ""
    can_start_order: bool = False
    draft_id: int | None = None  # the user's own draft for this course and term, to resume
    period: WindowState = WindowState.NOT_SET
    ordered_count: int = 0  # active sections on a placed order ("N of M sections ordered")
    active_count: int = 0

    @property
    def add_sections_to(self) -> Order | None:
        """The placed order that the row's other orderable sections can join ("Add sections")."""
        placed = next((o for o in self.orders if o.status is OrderStatus.PLACED), None)
        return placed if placed is not None and self.can_start_order else None
    # "No materials needed": the row's answered sections without a placed order, and what the user may do.
    no_materials_sections: list[Section] = field(default_factory=list)
    can_answer_no_materials: bool = False
    can_undo_no_materials: bool = False
    can_reorder: bool = False  # "Reorder" beside "Start order": an earlier order can be copied


@dataclass
class InstructorGroup:
    instructor: User | None
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


def instructor_filter(user: User, filters: CoursesFilter, terms: list[Term], now: datetime) -> InstructorFilter:
    """The Instructor filter's state for the chosen terms, in one small query (never a list of
    every instructor: the type-ahead asks for names as they are typed)."""
    if not (user.is_program_admin or user.is_coordinator):
        return InstructorFilter()
    unassigned_section = (
        select(Section.id)
        .join(Course, Course.id == Section.course_id)
        .where(_term_clause(filters, terms, now), oversees_clause(user))
        # OFFSET 0: probe each section's assignments by index and stop at the first unassigned one,
        # rather than an anti-join that reads every teaching assignment (PostgreSQL's choice here).
        .where(~exists(select(TeachingAssignment.user_id).where(TeachingAssignment.section_id == Section.id).offset(0)))
    )
    parts = [
        select(literal(1).label("kind"), cast(null(), Integer).label("id"), cast(null(), String).label("name"), literal(False).label("here"))
        .where(exists(unassigned_section))
    ]
    if filters.instructor and filters.instructor != UNASSIGNED:
        # Any term: a name the user could pick in some term, never an arbitrary account's.
        teaches = teaches_in_reach(user)
        parts.append(
            select(literal(2), User.id, User.name, exists(teaches.where(_term_clause(filters, terms, now))))
            .where(User.id == int(filters.instructor), exists(teaches))
        )
    parts += [select(literal(kind), cast(null(), Integer), name, literal(False)) for kind, name in _name_parts(filters)]
    rows = db.session.execute(union_all(*parts)).all()
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


def _name_parts(filters: CoursesFilter) -> list[tuple[int, Select]]:
    """(kind, scalar select of the name) for the organization and campus the filter names."""
    parts = []
    if filters.organization is not None:
        parts.append((3, select(Organization.name).where(Organization.id == filters.organization).scalar_subquery()))
    if filters.campus is not None:
        parts.append((4, select(Campus.name).where(Campus.id == filters.campus).scalar_subquery()))
    return parts


def filter_names(filters: CoursesFilter, state: InstructorFilter) -> dict[str, str]:
    """Names of the organization and campus the filter names: read with the Instructor filter's query
    when there is one (Courses stays within its 6 statements), else in one query of their own."""
    if state.shown:
        return state.names
    parts = _name_parts(filters)
    if not parts:
        return {}
    row = db.session.execute(select(*(name.label(NAME_KINDS[kind]) for kind, name in parts))).one()
    return {key: value for key, value in row._mapping.items() if value is not None}


def matching_instructors(
    user: User, name: str, filters: CoursesFilter, terms: list[Term], now: datetime, limit: int = MATCH_LIMIT
) -> list:
    """(id, name) of at most `limit` + 1 instructors whose name contains `name` and whom this user may
    see in the chosen terms, by family name (the type-ahead and its no-JavaScript list)."""
    name = name.strip()
    if not name or not (user.is_program_admin or user.is_coordinator):
        return []
    query = (
        select(User.id, User.name)
        .where(func.lower(User.name).like(anywhere(name), escape=ESCAPE))
        .where(exists(teaches_in_reach(user).where(_term_clause(filters, terms, now))))
        .order_by(User.sort_name, User.id)
        .limit(limit + 1)
    )
    return list(db.session.execute(query))


def _matching_rows(user: User, filters: CoursesFilter, terms: list[Term], now: datetime, instructor) -> Select:
    """(section id, instructor id or null) pairs the user may see, with every filter applied."""
    query = (
        select(Section.id.label("section_id"), TeachingAssignment.user_id.label("instructor_id"))
        .join(Course, Course.id == Section.course_id)
        .join(Term, Term.id == Section.term_id)
        .outerjoin(TeachingAssignment, TeachingAssignment.section_id == Section.id)
        .outerjoin(instructor, instructor.id == TeachingAssignment.user_id)
        .where(_term_clause(filters, terms, now))
    )
    if not user.is_program_admin:
        reach = [TeachingAssignment.user_id == user.id]
        if user.is_coordinator:
            reach.append(covered_by_grants_clause(user.grants))
        query = query.where(or_(*reach))
    if filters.instructor == UNASSIGNED:
        query = query.where(TeachingAssignment.user_id.is_(None))
    elif filters.instructor:
        query = query.where(TeachingAssignment.user_id == int(filters.instructor))
    if filters.q:
        needle = anywhere(filters.q)  # "%" and "_" typed are literal: "CS_1" finds no "CS 101"
        query = query.where(
            or_(
                func.lower(Course.subject + " " + Course.number).like(needle, escape=ESCAPE),
                func.lower(Course.title).like(needle, escape=ESCAPE),
            )
        )
    if filters.organization is not None:
        query = query.where(Section.organization_id == filters.organization)
    if filters.sections:
        query = query.where(Section.id.in_(filters.sections))
    if filters.campus is not None:
        query = query.where(Section.campus_id == filters.campus)
    if filters.subject:
        query = query.where(Course.subject == filters.subject)
    if filters.active:
        query = query.where(Section.state == SectionState.ACTIVE)
    if filters.placed:
        deadline = func.coalesce(OrderingPeriod.soft_close_at, OrderingPeriod.closes_at)
        submitted = func.coalesce(Order.submitted_at, Order.placed_at)  # Progress counts the first submission too
        placed_at = submitted < deadline if filters.placed == "on_time" else submitted >= deadline
        query = query.where(
            exists(
                select(OrderSection.order_id)
                .join(Order, Order.id == OrderSection.order_id)
                .join(OrderingPeriod, OrderingPeriod.term_id == Section.term_id)
                .where(OrderSection.section_id == Section.id, OrderSection.claimed, Order.status == OrderStatus.PLACED,
                       placed_at)
            )
        )
    if filters.at_risk:
        inst = institution()
        query = query.where(
            Section.id.in_(at_risk_section_ids(inst.program_mode, inst.at_risk_threshold_percent, _chosen_term_ids(filters, terms, now)))
        )
    if filters.disclosed:
        as_of = registration_opens_of_section() if filters.disclosed == "registration" else None
        query = query.where(disclosed_clause(as_of))
    if filters.state is not None:
        claimed = exists(
            select(OrderSection.order_id).where(OrderSection.section_id == Section.id, OrderSection.claimed)
        )
        answered = exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == Section.id))
        def held(statuses):
            return exists(
                select(OrderSection.order_id).join(Order, Order.id == OrderSection.order_id)
                .where(OrderSection.section_id == Section.id, OrderSection.claimed, Order.status.in_(statuses))
            )

        if filters.state is OrderState.ORDERED:  # on a placed order (one awaiting approval is not ordered yet)
            query = query.where(held([OrderStatus.PLACED]))
        elif filters.state is OrderState.AWAITING_APPROVAL:
            query = query.where(held([OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED]))
        elif filters.state is OrderState.NOT_ORDERED:
            query = query.where(~claimed)
        elif filters.state is OrderState.NO_MATERIALS:
            query = query.where(~claimed, answered)
        elif filters.state is OrderState.MISSING:
            query = query.where(~claimed, ~answered, Section.state == SectionState.ACTIVE)
        else:
            canceled = exists(
                select(OrderSection.order_id)
                .join(Order, Order.id == OrderSection.order_id)
                .where(OrderSection.section_id == Section.id, Order.status == OrderStatus.CANCELED)
            )
            query = query.where(and_(~claimed, canceled))
    return query


def courses_page(user: User, filters: CoursesFilter, terms: list[Term], now: datetime, page_size: int) -> Page[InstructorGroup]:
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


def _page_rows(
    user: User, filters: CoursesFilter, terms: list[Term], now: datetime, page: int, page_size: int
) -> tuple[list, int, bool, set[int]]:
    """One page of (section, instructor) rows, the row count (exact up to COUNT_CAP rows past the
    page, else a lower bound), whether it is exact, and the ids of the page's sections whose course has
    an earlier order to reorder from (earlier_order_exists), in one query.

    The inner query filters and orders narrow rows and keeps one page (a top-N sort, no window over
    every matching row); only those rows are then joined to their details. Counting stops at the cap:
    a coordinator with thousands of sections is told "1,000+", not made to wait for an exact count.
    """
    sorting_instructor = aliased(User, name="sorting_instructor")
    matching = _matching_rows(user, filters, terms, now, sorting_instructor)
    ordering = (
        sorting_instructor.sort_name.is_(None),
        sorting_instructor.sort_name,
        sorting_instructor.id,
        Term.starts_on,
        Course.subject,
        Course.number,
        Section.label,
    )
    offset = offset_of(page, page_size)
    cap = max(COUNT_CAP, offset + page_size)
    # The same filtered select, counted in its own subquery: built once, not twice.
    capped = select(func.count()).select_from(matching.limit(cap + 1).subquery())
    keys = [column.label(f"k{i}") for i, column in enumerate(ordering)]
    page_ids = matching.add_columns(*keys).order_by(*ordering).limit(page_size).offset(offset).subquery("page_ids")
    instructor = aliased(User, name="instructor")
    rows = db.session.execute(
        select(Section, instructor, capped.scalar_subquery().label("total"), earlier_order_exists(Section).label("earlier"))
        .join(page_ids, page_ids.c.section_id == Section.id)
        .outerjoin(instructor, instructor.id == page_ids.c.instructor_id)
        .options(
            raiseload(Section.instructors),
            load_only(instructor.name, instructor.sort_name),
            joinedload(Section.no_materials_answer).joinedload(NoMaterialsAnswer.answered_by).load_only(User.name),
        )
        .order_by(*(page_ids.c[f"k{i}"] for i in range(len(ordering))))
    ).all()
    if rows:
        total = rows[0].total
    else:
        total = db.session.scalar(capped)
    earlier = {section.id for section, _, _, has_earlier in rows if has_earlier}
    return [(section, person) for section, person, _, _ in rows], min(total, cap), total <= cap, earlier


def _orders_and_drafts(user: User, rows) -> tuple[dict[int, list[Order]], dict[tuple[int, int], int]]:
    """In one query: placed and canceled orders on the page's sections (placed first, then newest),
    and the user's own drafts for the page's courses, keyed by (course id, term id)."""
    section_ids = {section.id for section, _ in rows}
    if not section_ids:
        return {}, {}
    course_ids = {section.course_id for section, _ in rows}
    term_ids = {section.term_id for section, _ in rows}
    on_sections = (
        select(OrderSection.section_id, OrderSection.order_id)
        .join(Order, Order.id == OrderSection.order_id)
        .where(
            OrderSection.section_id.in_(section_ids),
            OrderSection.removed_at.is_(None),  # a section an edit took off is no longer on that order
            Order.status.in_(SHOWN),
        )
    )
    own_drafts = select(literal(None).label("section_id"), Order.id.label("order_id")).where(
        Order.status == OrderStatus.DRAFT,
        Order.owner_id == user.id,
        Order.course_id.in_(course_ids),
        Order.term_id.in_(term_ids),
    )
    # Two index lookups glued together: an OR across one outer join would scan every order.
    matches = union_all(on_sections, own_drafts).subquery()
    found = db.session.execute(
        select(matches.c.section_id, Order)
        .join(Order, Order.id == matches.c.order_id)
        .options(raiseload("*"))
        .order_by(Order.status != OrderStatus.PLACED, Order.number.desc(), Order.id)
    ).all()
    orders: dict[int, list[Order]] = {}
    drafts: dict[tuple[int, int], int] = {}
    for section_id, order in found:
        if order.status is OrderStatus.DRAFT:
            drafts.setdefault((order.course_id, order.term_id), order.id)  # the oldest, as ordering resumes it
        else:
            orders.setdefault(section_id, []).append(order)
    return orders, drafts


def _reason(user: User, instructor: User | None, section: Section) -> str:
    """Why this row is on the user's screen, as a sentence about the user like every other row's."""
    if instructor is not None and instructor.id == user.id:
        return "You teach this course"
    if user.is_program_admin:
        return "You are a Program Administrator"
    grant = next((g for g in user.grants if grant_covers(g, section)), None)
    return f"You coordinate {grant.describe()}" if grant else ""


def _group(
    user: User, rows, orders_by_section: dict[int, list[Order]], drafts: dict[tuple[int, int], int], now: datetime
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
        if not claimed and can_place(user, section, now, teaches_section=instructor is not None and instructor.id == user.id):
            offering.can_start_order = True
        if not claimed and not section.is_removed:  # a placed order wins over a "no materials needed" answer
            may_answer = can_answer_no_materials(user, section, now, teaches_section=instructor is not None and instructor.id == user.id)
            if section.no_materials_answer is not None:
                offering.no_materials_sections.append(section)
                offering.can_undo_no_materials = offering.can_undo_no_materials or may_answer
            elif may_answer:
                offering.can_answer_no_materials = True
    return groups


def _mark_reorderable(
    user: User, groups: list[InstructorGroup], orders_by_section: dict[int, list[Order]], earlier: set[int], now: datetime
) -> None:
    """Offer "Reorder" on offerings the user may reorder into (can_reorder over the row's sections)
    whose course has an earlier order on the campus of one of its orderable sections."""
    for group in groups:
        own_group = group.instructor is not None and group.instructor.id == user.id
        for offering in group.offerings:
            if offering.draft_id:
                continue
            choices = []
            for section in offering.sections:
                ordered_as = next(
                    (o.number for o in orders_by_section.get(section.id, []) if o.status in HOLDS), None
                )
                orderable = ordered_as is None and can_place(user, section, now, teaches_section=own_group)
                choices.append(SectionChoice(section, ordered_as, orderable))
            offering.can_reorder = can_reorder(choices) and any(c.orderable and c.section.id in earlier for c in choices)

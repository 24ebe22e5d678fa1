"""Read side of Order history: the filtered list (a page, or every row for the CSV) and where Reorder applies.

A page costs one query for its orders with their sections, and one for the Reorder targets of the
page's courses, whatever the number of orders.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Iterator

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from orders.domain.binds import dialect_name, one_of
from orders.domain.formats.like import ESCAPE, anywhere
from orders.domain.lines import counted_request_clause
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    Course,
    CourseLevel,
    Order,
    OrderingPeriod,
    OrderLine,
    OrderSection,
    OrderStatus,
    OtherCost,
    Section,
    SectionReach,
    TeachingAssignment,
    Term,
    User,
    UTCDateTime,
)
from orders.domain.ordering.drafts import SectionChoice
from orders.domain.ordering.reorder import REORDER_SOURCE_STATUSES
from orders.domain.reach_table import viewable_orders_of, viewer_key
from orders.domain.rules import can_place, can_reorder
from orders.extensions import db
from orders.web.filters import QueryFilter, arg, member, page, text
from orders.web.paging import Page, offset_of, page_count
from orders.web.screens.orders import history_reach as reach

# The statuses the Status filter offers; drafts are only ever the user's own.
STATUS_LABELS = {
    OrderStatus.PLACED: "Placed",
    OrderStatus.AWAITING_APPROVAL: "Awaiting approval",
    OrderStatus.RETURNED: "Returned",
    OrderStatus.CANCELED: "Canceled",
    OrderStatus.DRAFT: "Draft",
}
_ORDER_NUMBER = re.compile(r"^#?\s*([0-9]{1,9})$")


@dataclass(frozen=True)
class HistoryFilter(QueryFilter):
    """Term code, status and text: they round-trip through the query string."""

    term: str = arg(text(16), "")  # a term code, or "" for every term
    status: OrderStatus | None = arg(member(list(STATUS_LABELS)), None)
    q: str = arg(text(100), "")
    page: int = arg(page(), 1)

    def csv_args(self) -> dict[str, str]:
        """The same filters for the CSV, which has every row (no page)."""
        return self.query_args(page=None)


@dataclass
class HistoryRow:
    """One order as the history table and the CSV show it."""

    id: int
    number: int | None
    status: OrderStatus
    term_id: int
    term_name: str
    term_starts_on: date
    course_id: int
    course_code: str
    course_title: str
    placed_by: str | None
    placed_at: datetime | None
    last_change: datetime | None
    catalog_items: int
    content_requests: int
    total_student_price: Decimal = Decimal("0.00")  # the same sum as Order.total_student_price
    student_prices: list[Decimal] = field(default_factory=list)  # each line's, approved requests as their item's
    other_costs: list[tuple[str, Decimal]] = field(default_factory=list)  # docs/spec.md §10: disclosed, never billed
    sections: list[str] = field(default_factory=list)
    campus_ids: set[int] = field(default_factory=set)
    reorder_terms: list[_Term] = field(default_factory=list)  # open terms this order can be copied into

    @property
    def items(self) -> int:
        return self.catalog_items + self.content_requests

    @property
    def display_number(self) -> str:
        return f"#{self.number}" if self.number is not None else "Draft"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.value.capitalize())


# --- The list --------------------------------------------------------------------------------------

_NEWEST = func.coalesce(Order.placed_at, Order.created_at)  # index ix_course_order_newest is in this order
_ORDERING = (_NEWEST.desc(), Order.id.desc())
COUNT_CAP = 1000  # a Program Administrator's count is exact up to this many orders past the page, then "1,000+"


def _shape(user: User, filters: HistoryFilter, *, probe: bool) -> tuple:
    """What decides the list's SQL (never a value: values are bound, _params)."""
    return (
        user.is_program_admin,
        probe,
        filters.status is not None,
        bool(filters.term),
        bool(filters.q),
        bool(filters.q and _ORDER_NUMBER.match(filters.q)),
    )


def _params(user: User, filters: HistoryFilter) -> dict:
    params: dict = {"viewer": user.id}
    if filters.status is not None:
        params["status"] = filters.status
    if filters.term:
        params["term"] = filters.term
    if filters.q:
        params["pattern"] = anywhere(filters.q)
        number = _ORDER_NUMBER.match(filters.q)
        if number:
            params["number"] = int(number.group(1))
    return params


def _conditions(shape: tuple) -> list[ColumnElement[bool]]:
    """Orders on the user's history (docs/spec.md §2 view rule, as SQL) narrowed by the filters, values bound.

    Text conditions refer to Course, so the statement must join it when the shape has a text filter.
    """
    admin, probe, status, term, q, number = shape
    viewer: BindParameter[int] = bindparam("viewer")
    conditions = [
        or_(
            Order.status.in_((*REORDER_SOURCE_STATUSES, OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)),
            and_(Order.status == OrderStatus.DRAFT, Order.owner_id == viewer),  # drafts: only one's own
        ),
        viewable_orders_of(admin, viewer, probe=probe),
    ]
    if status:
        conditions.append(Order.status == bindparam("status", type_=Order.status.type))
    if term:
        conditions.append(Order.term_id.in_(select(Term.id).where(Term.code == bindparam("term"))))
    if q:
        pattern: BindParameter[str] = bindparam("pattern")
        text_match: list[ColumnElement[bool]] = [
            func.lower(Course.subject + " " + Course.number).like(pattern, escape=ESCAPE),
            func.lower(Course.title).like(pattern, escape=ESCAPE),
        ]
        if number:
            text_match.append(Order.number == bindparam("number"))
        conditions.append(or_(*text_match))
    return conditions


@functools.cache
def _details() -> Select:
    """One row per order and (not removed) section, with everything the table and the CSV show."""
    placer = aliased(User, name="placer")
    catalog_items = (
        select(func.count())
        .where(OrderLine.order_id == Order.id, OrderLine.removed_at.is_(None))
        .correlate(Order)
        .scalar_subquery()
    )
    content_requests = (
        select(func.count())
        .where(ContentRequest.order_id == Order.id, ContentRequest.removed_at.is_(None))
        .correlate(Order)
        .scalar_subquery()
    )
    last_change = type_coerce(
        func.coalesce(Order.last_changed_at, Order.canceled_at, Order.placed_at, Order.created_at), UTCDateTime
    )
    # Order.total_student_price in SQL: the current lines' prices, plus each counted request's item
    # (orders/domain/lines.py).
    current_line = and_(OrderLine.order_id == Order.id, OrderLine.removed_at.is_(None))
    fulfilled = and_(ContentRequest.order_id == Order.id, counted_request_clause())
    line_prices = (
        select(func.aggregate_strings(cast(OrderLine.student_price, String), ";"))
        .where(current_line)
        .correlate(Order)
        .scalar_subquery()
    )
    request_prices = (
        select(func.aggregate_strings(cast(CatalogItem.student_price, String), ";"))
        .select_from(ContentRequest)
        .join(CatalogItem, CatalogItem.id == ContentRequest.fulfilled_by_id)
        .where(fulfilled)
        .correlate(Order)
        .scalar_subquery()
    )
    # The other required costs as "position US description US amount", joined by RS (free text holds no control
    # character).
    other_costs = (
        select(
            func.aggregate_strings(
                cast(OtherCost.position, String)
                + COST_FIELD
                + OtherCost.description
                + COST_FIELD
                + cast(OtherCost.amount, String),
                COST_RECORD,
            )
        )
        .where(OtherCost.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    return (
        select(
            Order.id,
            Order.number,
            Order.status,
            Order.term_id,
            Term.name.label("term_name"),
            Term.starts_on.label("term_starts_on"),
            Order.course_id,
            Course.subject,
            Course.number.label("course_number"),
            Course.title,
            placer.name.label("placed_by"),
            Order.placed_at,
            last_change.label("last_change"),
            catalog_items.label("catalog_items"),
            content_requests.label("content_requests"),
            line_prices.label("line_prices"),
            request_prices.label("request_prices"),
            other_costs.label("other_costs"),
            Section.label.label("section_label"),
            Section.campus_id,
        )
        .select_from(Order)
        .join(Term, Term.id == Order.term_id)
        .join(Course, Course.id == Order.course_id)
        .outerjoin(placer, placer.id == Order.placed_by_id)
        .outerjoin(OrderSection, and_(OrderSection.order_id == Order.id, OrderSection.removed_at.is_(None)))
        .outerjoin(Section, Section.id == OrderSection.section_id)
    )


def _fold(rows: Iterable) -> Iterator[HistoryRow]:
    """Fold consecutive (order, section) rows into one HistoryRow per order, keeping their order."""
    current: HistoryRow | None = None
    for row in rows:
        if current is None or current.id != row.id:
            if current is not None:
                yield current
            current = HistoryRow(
                id=row.id,
                number=row.number,
                status=row.status,
                term_id=row.term_id,
                term_name=row.term_name,
                term_starts_on=row.term_starts_on,
                course_id=row.course_id,
                course_code=f"{row.subject} {row.course_number}",
                course_title=row.title,
                placed_by=row.placed_by,
                placed_at=row.placed_at,
                last_change=row.last_change,
                catalog_items=row.catalog_items or 0,
                content_requests=row.content_requests or 0,
            )
            current.student_prices = _prices(row.line_prices, row.request_prices)
            current.total_student_price = sum(current.student_prices, Decimal("0.00"))
            current.other_costs = _other_costs(row.other_costs)
        if row.section_label is not None:
            current.sections.append(row.section_label)
            current.campus_ids.add(row.campus_id)
    if current is not None:
        yield current


COST_FIELD, COST_RECORD = "\x1f", "\x1e"


def _other_costs(joined: str | None) -> list[tuple[str, Decimal]]:
    """The aggregated other required costs, in the order's order."""
    found = []
    for part in (joined or "").split(COST_RECORD) if joined else []:
        position, description, amount = part.split(COST_FIELD)
        found.append((int(position), description, Decimal(amount).quantize(Decimal("0.01"))))
    return [(description, amount) for _, description, amount in sorted(found)]


def _prices(*joined: str | None) -> list[Decimal]:
    """Prices aggregated as text (exact: Numeric cast to text), smallest first so the CSV is stable."""
    return sorted(Decimal(p).quantize(Decimal("0.01")) for text in joined if text for p in text.split(";"))


def _matching(shape: tuple) -> Select:
    """The ids of the orders on this user's history that match the filters."""
    query = select(Order.id.label("order_id")).select_from(Order)
    if shape[4]:  # a text filter: on the course
        query = query.join(Course, Course.id == Order.course_id)
    return query.where(*_conditions(shape))


@functools.lru_cache(maxsize=128)
def _count(shape: tuple, capped: bool) -> Select:
    """How many orders match, counting no further than :cap when `capped`."""
    matching = _matching(shape)
    return select(func.count()).select_from(
        (matching.limit(bindparam("cap", type_=Integer)) if capped else matching).subquery()
    )


@functools.lru_cache(maxsize=128)
def _page_query(shape: tuple, capped: bool) -> Select:
    """The page's orders with their sections and the count, in one statement (:limit, :offset, :cap bound).

    The inner query keeps one page of matching ids, newest first; only those are joined to their
    details. Capped (a Program Administrator's history, or a reach known to be wide:
    orders.web.screens.orders.history_reach) the database walks the newest-first index, probing the view rule per order,
    and stops at the page, and the count stops at the cap ("1,000+"). Not capped (a narrow reach: the
    orders they may view, a set the database builds once, reach_table.viewable_orders) counting all of
    them exactly in the same pass costs little more than finding the page.
    """
    page_ids = _matching(shape)
    if not capped:
        page_ids = page_ids.add_columns(func.count().over().label("total"))
    page = (
        page_ids.order_by(*_ORDERING)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page_ids")
    )
    total = page.c.total if not capped else _count(shape, True).scalar_subquery()
    return (
        _details()
        .add_columns(total.label("total"))
        .join(page, page.c.order_id == Order.id)
        .order_by(*_ORDERING, Section.label)
    )


def history_page(user: User, filters: HistoryFilter, now: datetime, page_size: int) -> Page[HistoryRow]:
    """One page of the user's order history, newest first, with Reorder targets marked."""
    page = filters.page
    cap = max(COUNT_CAP, page * page_size) if reach.is_wide(user, filters) else None
    shape = _shape(user, filters, probe=cap is not None)
    params = {**_params(user, filters), "limit": page_size, "offset": offset_of(page, page_size), "cap": (cap or 0) + 1}
    found = db.session.execute(_page_query(shape, cap is not None), params).all()
    total = found[0].total if found else 0
    if cap is None and found:
        reach.remember(user, filters, total)
    if not found and page > 1:  # a bookmarked page past the end: show the last one
        total = db.session.scalar(_count(shape, cap is not None), params) or 0
        page = page_count(total if cap is None else min(total, cap), page_size)
        params["offset"] = offset_of(page, page_size)
        found = db.session.execute(_page_query(shape, cap is not None), params).all() if total else []
    rows = list(_fold(found))
    mark_reorder_targets(user, rows, now)
    # A wide reach is shown capped whichever plan ran, so its count reads the same on every request;
    # a narrow one is counted exactly.
    shown_cap = max(COUNT_CAP, page * page_size)
    exact = (cap is None and total < reach.WIDE_AT) or total <= shown_cap
    return Page(rows, page, total if exact else shown_cap, page_size, exact)


def history_rows_for_export(user: User, filters: HistoryFilter, batch_size: int = 1000) -> Iterator[HistoryRow]:
    """Every matching order, newest first, streamed from the database in batches (a server-side
    cursor on PostgreSQL), so the CSV of 50,000 orders never sits in memory."""
    query = _details().where(*_conditions(_shape(user, filters, probe=False))).order_by(*_ORDERING, Section.label)
    result = db.session.execute(query.execution_options(yield_per=batch_size), _params(user, filters))
    try:
        yield from _fold(result)
    finally:
        result.close()


# --- Reorder: where it applies ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Subject:
    subject: str


@dataclass(frozen=True)
class _Period:
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class _Term:
    """What can_place and the Reorder links read of a term."""

    id: int
    name: str
    starts_on: date
    period: _Period


@dataclass(frozen=True)
class _ReorderSection:
    """What can_place and the Reorder choice read of a section (its course only by subject)."""

    id: int
    course_id: int
    term_id: int
    campus_id: int
    organization_id: int
    level: CourseLevel
    course: _Subject
    term: _Term


def mark_reorder_targets(user: User, rows: list[HistoryRow], now: datetime) -> None:
    """Set each row's `reorder_terms`: open or upcoming terms whose offering of the row's course the
    user may reorder into (can_reorder), on a campus the row's order was on, and where the user has
    no draft yet. One query for the page."""
    sources = [r for r in rows if r.status in REORDER_SOURCE_STATUSES and r.catalog_items]
    if not sources:
        return
    found = db.session.execute(
        _reorder_statement(dialect_name(), user.is_program_admin),
        {"course_ids": sorted({r.course_id for r in sources}), "now": now, "viewer": viewer_key(user), "user": user.id},
    ).all()
    terms: dict[int, _Term] = {}
    offerings: dict[int, dict[int, list[SectionChoice[_ReorderSection]]]] = {}  # course -> term -> its sections
    for row in found:
        if row.has_draft:  # the user continues that draft instead (as on Courses: "Resume draft")
            continue
        term = terms.get(row.term_id)
        if term is None:
            term = terms[row.term_id] = _Term(
                row.term_id, row.term_name, row.starts_on, _Period(row.opens_at, row.closes_at)
            )
        section = _ReorderSection(
            row.id,
            row.course_id,
            row.term_id,
            row.campus_id,
            row.organization_id,
            row.level,
            _Subject(row.subject),
            term,
        )
        number = row.number
        orderable = number is None and can_place(user, section, now, teaches_section=bool(row.teaches))
        offerings.setdefault(row.course_id, {}).setdefault(row.term_id, []).append(
            SectionChoice(section, number, orderable)
        )
    for source in sources:
        for term_id, choices in offerings.get(source.course_id, {}).items():
            term = terms[term_id]
            if term.starts_on <= source.term_starts_on or not can_reorder(choices):
                continue
            if source.campus_ids & {c.section.campus_id for c in choices if c.orderable}:
                source.reorder_terms.append(term)


@functools.lru_cache(maxsize=4)
def _reorder_statement(dialect: str, admin: bool):
    """The sections of the page's courses (:course_ids) in open and upcoming terms (:now) in the user's reach
    (:viewer), with whether :user teaches each, its placed order's number and whether :user has a draft of it.

    Plain columns, not Section or Term entities: the page's courses can have hundreds of open sections,
    and only these facts decide (can_place)."""
    claim = aliased(Order, name="claim")
    own_draft = aliased(Order, name="own_draft")
    has_draft = exists(
        select(own_draft.id).where(
            own_draft.owner_id == bindparam("user"),
            own_draft.status == OrderStatus.DRAFT,
            own_draft.course_id == Section.course_id,
            own_draft.term_id == Section.term_id,
        )
    )
    teaches = exists(
        select(TeachingAssignment.section_id).where(
            TeachingAssignment.section_id == Section.id, TeachingAssignment.user_id == bindparam("user")
        )
    )
    query = (
        select(
            Section.id,
            Section.course_id,
            Section.term_id,
            Section.campus_id,
            Section.organization_id,
            Section.level,
            Course.subject,
            Term.name.label("term_name"),
            Term.starts_on,
            OrderingPeriod.opens_at,
            OrderingPeriod.closes_at,
            teaches.label("teaches"),
            claim.number,
            has_draft.label("has_draft"),
        )
        .join(Course, Course.id == Section.course_id)
        .join(Term, Term.id == Section.term_id)
        .join(OrderingPeriod, OrderingPeriod.term_id == Section.term_id)
        .outerjoin(OrderSection, and_(OrderSection.section_id == Section.id, OrderSection.claimed))
        .outerjoin(claim, claim.id == OrderSection.order_id)
        .where(
            one_of(Section.course_id, "course_ids", dialect),
            OrderingPeriod.closes_at > bindparam("now", type_=OrderingPeriod.closes_at.type),
        )
        .order_by(Section.term_id, Section.label)
    )
    if not admin:
        query = query.where(
            exists(
                select(SectionReach.section_id).where(
                    SectionReach.viewer_id == bindparam("viewer"), SectionReach.section_id == Section.id
                )
            )
        )
    return query

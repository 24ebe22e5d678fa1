"""The Progress screen's numbers: every count of a term in one grouped statement, whatever the data size.

One CTE holds a row per active section of the term in the user's reach (its organization, subject,
campus, whether it is ordered, answered or not started, when its order was placed, and its students);
four GROUP BYs over it (the whole term, by organization, by subject, by campus) are glued with UNION
ALL, so PostgreSQL computes the CTE once and the page costs one statement.

Students: orders.domain.students.rates defines enrollments, rated, declined, opted in and at risk; the
opt-out rate is declined / rated, the opt-in rate opted-in / rated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, exists, false, func, literal, select, union_all

from orders.domain.models import (
    AdminAuditEntry,
    Campus,
    Course,
    Institution,
    NoMaterialsAnswer,
    Order,
    OrderSection,
    OrderStatus,
    Organization,
    ProgramMode,
    Section,
    SectionState,
    Term,
    User,
)
from orders.domain.periods import period_state
from orders.domain.reach import visible_sections_clause
from orders.domain.reminders.remind_now import AUDIT_KIND, DIMENSIONS
from orders.domain.students.rates import at_risk_clause, section_students
from orders.domain.windows import WindowState
from orders.extensions import db
from orders.web.parsing import parse_id

IN_REVIEW = (OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)


@dataclass
class Counts:
    """One row of a table (or the headline, dimension "total"): sections and students of those sections."""

    dimension: str
    key: str  # organization or campus id, subject code; "" for the headline
    label: str
    total: int = 0
    ordered: int = 0
    no_materials: int = 0
    on_time: int = 0
    late: int = 0
    enrolled: int = 0
    rated: int = 0
    declined: int = 0
    opted_in: int = 0
    at_risk: int = 0
    awaiting: int = 0  # on an order awaiting approval (or returned to its placer): counted nowhere else yet (docs/spec.md §8)
    reminded: tuple[int, datetime] | None = None  # today's last "Remind now" on this row: instructors, when

    @property
    def not_started(self) -> int:
        return self.total - self.ordered - self.awaiting - self.no_materials

    @property
    def done(self) -> int:
        return self.ordered + self.no_materials

    @property
    def percent_done(self) -> int:
        """Whole percent of sections ordered or answered, rounded down (100 only when all are done)."""
        return self.done * 100 // self.total if self.total else 0

    def rate(self, mode: ProgramMode) -> int | None:
        """The mode's student rate in whole percent (opt-out: declined, opt-in: opted in), None without rated students."""
        if not self.rated:
            return None
        return (self.declined if mode is ProgramMode.OPT_OUT else self.opted_in) * 100 // self.rated

    def courses_args(self) -> dict[str, str]:
        """The Courses filter naming exactly this row's sections (with the term and state added by the caller)."""
        return {self.dimension: self.key} if self.dimension in DIMENSIONS else {}


@dataclass
class Dashboard:
    term: Term
    headline: Counts
    tables: dict[str, list[Counts]]
    mode: ProgramMode
    threshold: int
    days_left: int | None  # whole days to the soft close, None once it has passed or without a period


def default_term(terms: list[Term], now: datetime) -> Term | None:
    """The open term (the earliest-starting if several), else the next upcoming, else the newest."""
    for wanted in (WindowState.OPEN, WindowState.UPCOMING):
        found = [t for t in terms if period_state(t, now) is wanted]
        if found:
            return min(found, key=lambda t: (t.starts_on, t.id))
    return terms[0] if terms else None


def _section_facts(user: User, term: Term, inst: Institution):
    """The CTE: one row per active section of the term in the user's reach, with its students."""
    students = section_students(inst.program_mode, [term.id])
    # "Placed on time" counts the moment the order was first submitted (docs/spec.md §8: the instructor met the
    # deadline even when an approver placed it later); orders from before review have it equal to placed_at.
    placed_at = (
        select(func.min(func.coalesce(Order.submitted_at, Order.placed_at)))
        .join(OrderSection, OrderSection.order_id == Order.id)
        .where(OrderSection.section_id == Section.id, OrderSection.claimed, Order.status == OrderStatus.PLACED)
        .scalar_subquery()
    )
    in_review = exists(
        select(OrderSection.order_id).join(Order, Order.id == OrderSection.order_id)
        .where(OrderSection.section_id == Section.id, OrderSection.claimed, Order.status.in_(IN_REVIEW))
    )
    answered = exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == Section.id))
    rated = func.coalesce(students.c.rated, 0)
    declined = func.coalesce(students.c.declined, 0)
    return (
        select(
            Section.id.label("section_id"),
            cast(Section.organization_id, String).label("organization"),
            Organization.name.label("organization_name"),
            Course.subject.label("subject"),
            cast(Section.campus_id, String).label("campus"),
            Campus.name.label("campus_name"),
            placed_at.label("placed_at"),
            answered.label("answered"),
            in_review.label("in_review"),
            func.coalesce(students.c.enrolled, 0).label("enrolled"),
            rated.label("rated"),
            declined.label("declined"),
            func.coalesce(students.c.opted_in, 0).label("opted_in"),
            case((at_risk_clause(rated, declined, inst.at_risk_threshold_percent), 1), else_=0).label("at_risk"),
        )
        .join(Course, Course.id == Section.course_id)
        .join(Organization, Organization.id == Section.organization_id)
        .join(Campus, Campus.id == Section.campus_id)
        .outerjoin(students, students.c.section_id == Section.id)
        .where(Section.term_id == term.id, Section.state == SectionState.ACTIVE, visible_sections_clause(user))
        .cte("facts")
    )


def _grouped(facts, dimension: str, key, label, deadline: datetime | None):
    """One GROUP BY over the facts: the counts of every value of `key` (or of everything)."""
    ordered = facts.c.placed_at.is_not(None)
    awaiting = and_(~ordered, facts.c.in_review)
    on_time = and_(ordered, facts.c.placed_at < deadline) if deadline is not None else false()
    late = and_(ordered, facts.c.placed_at >= deadline) if deadline is not None else false()
    query = select(
        literal(dimension).label("dimension"),
        key.label("key"),
        label.label("label"),
        func.count().label("total"),
        func.sum(case((ordered, 1), else_=0)),
        func.sum(case((and_(~ordered, ~facts.c.in_review, facts.c.answered), 1), else_=0)),
        func.sum(case((on_time, 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
        func.sum(facts.c.enrolled),
        func.sum(facts.c.rated),
        func.sum(facts.c.declined),
        func.sum(facts.c.opted_in),
        func.sum(facts.c.at_risk),
        func.sum(case((awaiting, 1), else_=0)),
    ).select_from(facts)
    if dimension != "total":
        query = query.group_by(key, label)
    return query


def reminded_today(term: Term, now: datetime, zone: ZoneInfo):
    """SQL: today's (institution-local) "Remind now" audit entries, oldest first."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        select(AdminAuditEntry.after, AdminAuditEntry.occurred_at)
        .where(AdminAuditEntry.kind == AUDIT_KIND, AdminAuditEntry.occurred_at >= midnight.astimezone(ZoneInfo("UTC")))
        .where(AdminAuditEntry.occurred_at < (midnight + timedelta(days=1)).astimezone(ZoneInfo("UTC")))
        .order_by(AdminAuditEntry.id)
    )


def dashboard(user: User, term: Term, inst: Institution, now: datetime) -> Dashboard:
    """Every count of the Progress screen for `term` within the user's reach: two statements."""
    facts = _section_facts(user, term, inst)
    deadline = term.period.deadline if term.period else None
    nothing = cast(literal(""), String)
    parts = [
        _grouped(facts, "total", nothing, nothing, deadline),
        _grouped(facts, "organization", facts.c.organization, facts.c.organization_name, deadline),
        _grouped(facts, "subject", facts.c.subject, facts.c.subject, deadline),
        _grouped(facts, "campus", facts.c.campus, facts.c.campus_name, deadline),
    ]
    headline = Counts("total", "", term.name)
    tables: dict[str, list[Counts]] = {name: [] for name in DIMENSIONS}
    for row in db.session.execute(union_all(*parts)):
        dimension, key, label, *numbers = row
        counts = Counts(dimension, key or "", label or "", *(int(n or 0) for n in numbers))
        if dimension == "total":
            counts.label = term.name
            headline = counts
        else:
            tables[dimension].append(counts)
    zone = ZoneInfo(inst.timezone)
    rows = {(c.dimension, c.key): c for table in tables.values() for c in table}
    for after, occurred_at in db.session.execute(reminded_today(term, now, zone)):
        # A press that sent nothing (everyone already reminded) leaves the row's last real reminder shown.
        if after and after.get("instructors") and after.get("term_id") == term.id and (after.get("dimension"), after.get("key")) in rows:
            rows[(after["dimension"], after["key"])].reminded = (int(after.get("instructors", 0)), occurred_at)
    for table in tables.values():
        table.sort(key=lambda c: (-c.not_started, c.label.lower(), c.key))
    return Dashboard(term, headline, tables, inst.program_mode, inst.at_risk_threshold_percent, _days_left(term, now, zone))


def _days_left(term: Term, now: datetime, zone: ZoneInfo) -> int | None:
    """Calendar days (institution-local) from today to the soft close; None once it has passed."""
    if term.period is None or now >= term.period.deadline:
        return None
    return (term.period.deadline.astimezone(zone).date() - now.astimezone(zone).date()).days


def row_label(dimension: str, key: str) -> str | None:
    """The name of an organization or campus, or the subject itself, for a row named in a URL (None if unknown)."""
    if dimension == "subject":
        found = db.session.scalar(select(Course.subject).where(Course.subject == key).limit(1))
        return found
    model = {"organization": Organization, "campus": Campus}.get(dimension)
    row_id = parse_id(key)  # the one id parser: str.isdigit() let "²" through to int(), a 500
    if model is None or row_id is None:
        return None
    return db.session.scalar(select(model.name).where(model.id == row_id))


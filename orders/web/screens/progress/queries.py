"""The Progress screen's numbers: read from the stored per-section counters, never from the enrollments.

One CTE holds a row per active section of the term in the user's reach (its organization, subject,
campus, and its counters from section_counts: orders/domain/section_counts.py keeps them in every
transaction that moves them); GROUP BYs over it (the whole term, and the tables asked for: by
organization, by subject, by campus) are glued with UNION ALL: one statement.

Students: orders.domain.students.rates defines enrollments, rated, declined, opted in and at risk; the
opt-out rate is declined / rated, the opt-in rate opted-in / rated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, String, and_, bindparam, case, cast, func, literal, select, union_all

from orders.domain.models import (
    AdminAuditEntry,
    Campus,
    Course,
    Institution,
    Organization,
    ProgramMode,
    Section,
    SectionCounts,
    SectionState,
    Term,
    User,
)
from orders.domain.periods import period_state
from orders.domain.reach_table import in_reach
from orders.domain.reminders.remind_now import AUDIT_KIND, DIMENSIONS
from orders.domain.students.rates import at_risk_clause
from orders.domain.windows import WindowState
from orders.extensions import db
from orders.web.parsing import parse_id


@dataclass
class Counts:
    """One row of a table (or the headline, dimension "total"): sections and students of those sections.

    The fields after `label` are the counters, summed per row in COUNTERS' order (same names).
    """

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
    awaiting: int = (
        0  # on an order awaiting approval (or returned to its placer): counted nowhere else yet (docs/spec.md §8)
    )
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
        """The mode's student rate in whole percent (opt-out: declined, opt-in: opted in), None without rated students.
        """
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
    tables: dict[str, list[Counts]]  # the tables asked for, each in page order
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


def _section_facts(user: User):
    """The CTE: one row per active section of the term (:term_id) in the user's reach, with its stored counters."""
    ordered = SectionCounts.placed_at.is_not(None)  # on a placed order (section_counts: never one in review)
    in_review = and_(~ordered, SectionCounts.in_review)
    deadline = bindparam("deadline", type_=SectionCounts.placed_at.type)
    threshold = bindparam("threshold", type_=Integer)
    return (
        select(
            cast(Section.organization_id, String).label("organization"),
            Organization.name.label("organization_name"),
            Course.subject.label("subject"),
            cast(Section.campus_id, String).label("campus"),
            Campus.name.label("campus_name"),
            case((ordered, 1), else_=0).label("ordered"),
            case((and_(~ordered, ~SectionCounts.in_review, SectionCounts.answered), 1), else_=0).label("no_materials"),
            case((and_(ordered, SectionCounts.placed_at < deadline), 1), else_=0).label("on_time"),
            case((and_(ordered, SectionCounts.placed_at >= deadline), 1), else_=0).label("late"),
            SectionCounts.enrolled.label("enrolled"),
            SectionCounts.rated.label("rated"),
            SectionCounts.declined.label("declined"),
            SectionCounts.charged.label("opted_in"),
            case((at_risk_clause(SectionCounts.rated, SectionCounts.declined, threshold), 1), else_=0).label("at_risk"),
            case((in_review, 1), else_=0).label("awaiting"),
        )
        .join(SectionCounts, SectionCounts.section_id == Section.id)
        .join(Course, Course.id == Section.course_id)
        .join(Organization, Organization.id == Section.organization_id)
        .join(Campus, Campus.id == Section.campus_id)
        .where(
            Section.term_id == bindparam("term_id"), Section.state == SectionState.ACTIVE, in_reach(user, Section.id)
        )
        .cte("facts")
    )


# Each counter of a Counts row, as the sum over its sections: one more count is one more entry (and a
# Counts field of the same name, a column in the board's table). "total" counts the sections themselves.
COUNTERS = (
    "ordered",
    "no_materials",
    "on_time",
    "late",
    "enrolled",
    "rated",
    "declined",
    "opted_in",
    "at_risk",
    "awaiting",
)


def _grouped(facts, dimension: str, key, label):
    """One GROUP BY over the facts: the counts of every value of `key` (or of everything)."""
    query = select(
        literal(dimension).label("dimension"),
        key.label("key"),
        label.label("label"),
        func.count().label("total"),
        *(func.sum(facts.c[name]).label(name) for name in COUNTERS),
    ).select_from(facts)
    if dimension != "total":
        query = query.group_by(key, label)
    return query


def reminded_today(term: Term, now: datetime, zone: ZoneInfo) -> Select[dict[str, Any] | None, datetime]:
    """SQL: today's (institution-local) "Remind now" audit entries, oldest first."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        select(AdminAuditEntry.after, AdminAuditEntry.occurred_at)
        .where(AdminAuditEntry.kind == AUDIT_KIND, AdminAuditEntry.occurred_at >= midnight.astimezone(ZoneInfo("UTC")))
        .where(AdminAuditEntry.occurred_at < (midnight + timedelta(days=1)).astimezone(ZoneInfo("UTC")))
        .order_by(AdminAuditEntry.id)
    )


def dashboard(user: User, term: Term, inst: Institution, now: datetime, tables: tuple[str, ...] = ()) -> Dashboard:
    """The headline of `term` within the user's reach, and the `tables` asked for (names of DIMENSIONS), in one
    statement (plus one for today's "Remind now" presses when a table is asked for)."""
    facts = _section_facts(user)
    nothing = cast(literal(""), String)
    keys = {
        "organization": (facts.c.organization, facts.c.organization_name),
        "subject": (facts.c.subject, facts.c.subject),
        "campus": (facts.c.campus, facts.c.campus_name),
    }
    parts = [_grouped(facts, "total", nothing, nothing)]
    parts += [_grouped(facts, name, *keys[name]) for name in DIMENSIONS if name in tables]
    deadline = term.period.deadline if term.period else None
    headline = Counts("total", "", term.name)
    found: dict[str, list[Counts]] = {name: [] for name in DIMENSIONS if name in tables}
    params = {"term_id": term.id, "threshold": inst.at_risk_threshold_percent, "deadline": deadline}
    for row in db.session.execute(union_all(*parts), params):
        # Any: the counters go to Counts' int fields by name, and mypy would check them against `reminded` too.
        numbers: dict[str, Any] = {name: int(row._mapping[name] or 0) for name in ("total", *COUNTERS)}
        counts = Counts(row.dimension, row.key or "", row.label or "", **numbers)
        if row.dimension == "total":
            counts.label = term.name
            headline = counts
        else:
            found[row.dimension].append(counts)
    zone = ZoneInfo(inst.timezone)
    if found:
        rows = {(c.dimension, c.key): c for table in found.values() for c in table}
        for row in db.session.execute(reminded_today(term, now, zone)):  # Flask-SQLAlchemy's rows are untyped
            after: dict[str, Any] | None = row.after
            occurred_at: datetime = row.occurred_at
            # A press that sent nothing (everyone already reminded) leaves the row's last real reminder shown.
            if (
                after
                and after.get("instructors")
                and after.get("term_id") == term.id
                and (after.get("dimension"), after.get("key")) in rows
            ):
                rows[(after["dimension"], after["key"])].reminded = (int(after.get("instructors", 0)), occurred_at)
    for table in found.values():
        table.sort(key=lambda c: (-c.not_started, c.label.lower(), c.key))
    return Dashboard(
        term, headline, found, inst.program_mode, inst.at_risk_threshold_percent, _days_left(term, now, zone)
    )


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
    models: dict[str, type[Organization] | type[Campus]] = {"organization": Organization, "campus": Campus}
    model = models.get(dimension)
    row_id = parse_id(key)  # the one id parser: str.isdigit() let "²" through to int(), a 500
    if model is None or row_id is None:
        return None
    return db.session.scalar(select(model.name).where(model.id == row_id))

"""Students per section, for the Progress screen's rates and the Courses screen's "at risk" filter.

An *enrollment* is one enrolled student in one section. Its *rated* lines are the billable (not zero
cost) lines of the section's placed order; it has *declined* when at least one of them is not charged
to the student (orders.domain.students.choices.declined_clause: opted out, or in opt-in mode not opted in), *opted in*
when at least one is charged. A section is *at risk* when it has rated enrollments and
declined / rated >= the institution's threshold. Both screens read these two functions, so the
dashboard's count of at-risk sections and the Courses list it links to cannot disagree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, literal, select, union_all

from orders.domain.lines import carries_item_clause, counted_request_clause
from orders.domain.models import (
    CatalogItem,
    ChoiceValue,
    ContentRequest,
    Enrollment,
    EnrollmentState,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    ProgramMode,
    Section,
    SectionCounts,
    StudentChoice,
)
from orders.domain.students.choices import billable_section_clause, enrollment_declined_and_charged


def section_students(mode: ProgramMode, where: ColumnElement[bool]):
    """Subquery: (section_id, enrolled, rated, declined, opted_in) per active section with students among the
    sections matching `where` (a condition on Section), computed from the enrollments and choices themselves.

    What orders/domain/section_counts.py stores per section (and rebuilds from this); Progress and the
    Courses screen's at-risk filter read the stored counters.

    Counted per section, not per enrollment line by line: the section's distinct billable items (of its
    claimed order) and each enrolled student's stored choices on them decide everything, so the
    statement reads the (few) choice rows instead of joining every enrollment to every line.
    """
    in_terms = and_(where, billable_section_clause())  # a removed section bills no one

    def claimed(section_id):
        """SQL: the section's link to its claimed order, when placed (one awaiting approval bills nobody yet)."""
        return and_(
            OrderSection.section_id == section_id,
            OrderSection.claimed,
            OrderSection.removed_at.is_(None),
            exists().where(Order.id == OrderSection.order_id, Order.status == OrderStatus.PLACED),
        )

    def billable_items(section_id):
        """SQL: how many billable items the section's claimed order counts (orders/domain/lines.py): its
        distinct catalog lines plus its counted requests, which by that rule repeat no line's item.
        Two probes by index, not the lines' UNION: SQLite's parser runs out of stack on the Courses
        screen's at-risk filter when the union is nested this deep."""
        billable = CatalogItem.zero_cost == false()
        lines = (
            select(func.count(OrderLine.catalog_item_id.distinct()))
            .join(OrderSection, OrderSection.order_id == OrderLine.order_id)
            .join(CatalogItem, and_(CatalogItem.id == OrderLine.catalog_item_id, billable))
            .where(claimed(section_id), OrderLine.removed_at.is_(None))
            .scalar_subquery()
        )
        requests = (
            select(func.count(ContentRequest.id))
            .join(OrderSection, OrderSection.order_id == ContentRequest.order_id)
            .join(CatalogItem, and_(CatalogItem.id == ContentRequest.fulfilled_by_id, billable))
            .where(claimed(section_id), counted_request_clause())
            .scalar_subquery()
        )
        return lines + requests

    on_the_order = exists(
        select(OrderSection.order_id).where(
            claimed(StudentChoice.section_id), carries_item_clause(OrderSection.order_id, StudentChoice.catalog_item_id)
        )
    )
    enrolled_here = exists(
        select(Enrollment.id).where(
            Enrollment.user_id == StudentChoice.user_id,
            Enrollment.section_id == StudentChoice.section_id,
            Enrollment.state == EnrollmentState.ENROLLED,
        )
    )
    chosen = (  # per enrolled student and section: stored choices on the section's billable items
        select(
            StudentChoice.section_id.label("section_id"),
            func.sum(case((StudentChoice.choice == ChoiceValue.OPTED_OUT, 1), else_=0)).label("opted_out"),
            func.sum(case((StudentChoice.choice == ChoiceValue.OPTED_IN, 1), else_=0)).label("opted_in"),
        )
        .join(CatalogItem, and_(CatalogItem.id == StudentChoice.catalog_item_id, CatalogItem.zero_cost == false()))
        .join(Section, Section.id == StudentChoice.section_id)
        .where(in_terms, on_the_order, enrolled_here)
        .group_by(StudentChoice.user_id, StudentChoice.section_id)
        .subquery("chosen")
    )
    zero = literal(0)
    choosers = select(  # one row per enrolled student with a stored choice on a billable item
        chosen.c.section_id,
        zero.label("enrolled"),
        zero.label("n_items"),
        literal(1).label("students"),
        chosen.c.opted_out,
        chosen.c.opted_in,
    )
    enrolled_count = (
        select(func.count())
        .where(Enrollment.section_id == Section.id, Enrollment.state == EnrollmentState.ENROLLED)
        .scalar_subquery()
    )
    sections = select(  # one row per section: its students and billable items, each a probe by index
        Section.id,
        enrolled_count,
        billable_items(Section.id),
        zero,
        zero,
        zero,
    ).where(in_terms)
    # Glued, then the section's item count spread to its choosers by a window: the planner cannot
    # estimate the choosers' rows, and a nested-loop join on that misestimate costs more than the rest.
    both = union_all(choosers, sections).subquery("both")
    rows = select(
        both.c.section_id,
        both.c.enrolled,
        both.c.students,
        both.c.opted_out,
        both.c.opted_in,
        func.max(both.c.n_items).over(partition_by=both.c.section_id).label("n_items"),
    ).subquery("rows")
    declined, charged = enrollment_declined_and_charged(mode, rows.c.n_items, rows.c.opted_out, rows.c.opted_in)
    chooser = rows.c.students == 1
    per_section = (
        select(
            rows.c.section_id,
            func.sum(rows.c.enrolled).label("enrolled"),
            func.max(rows.c.n_items).label("n_items"),
            func.sum(rows.c.students).label("students"),
            func.sum(case((and_(chooser, declined), 1), else_=0)).label("declined"),
            func.sum(case((and_(chooser, charged), 1), else_=0)).label("charged"),
        )
        .group_by(rows.c.section_id)
        .subquery("per_section")
    )
    # Everyone without a stored choice takes the mode's default on every item: the same rule, no choices.
    default_declined, default_charged = enrollment_declined_and_charged(mode, per_section.c.n_items, zero, zero)
    without = per_section.c.enrolled - per_section.c.students
    return (
        select(
            per_section.c.section_id,
            per_section.c.enrolled,
            case((per_section.c.n_items > 0, per_section.c.enrolled), else_=0).label("rated"),
            (per_section.c.declined + case((default_declined, without), else_=0)).label("declined"),
            (per_section.c.charged + case((default_charged, without), else_=0)).label("opted_in"),
        )
        .where(per_section.c.enrolled > 0)
        .subquery("students")
    )


def at_risk_clause(rated, declined, threshold_percent: int | ColumnElement[int]) -> ColumnElement[bool]:
    """SQL: declined / rated >= threshold%, in integers (no rounding), and some rated enrollment."""
    return and_(rated > 0, declined * 100 >= rated * threshold_percent)


def at_risk_section_ids(threshold_percent, in_terms: ColumnElement[bool]) -> Select:
    """SQL: ids of the at-risk sections among those matching `in_terms` (a condition on Section), from the stored
    per-section counters (the Courses filter)."""
    return (
        select(SectionCounts.section_id)
        .join(Section, Section.id == SectionCounts.section_id)
        .where(in_terms, at_risk_clause(SectionCounts.rated, SectionCounts.declined, threshold_percent))
    )

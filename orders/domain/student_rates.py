"""Students per section, for the Progress screen's rates and the Courses screen's "at risk" filter.

An *enrollment* is one enrolled student in one section. Its *rated* lines are the billable (not zero
cost) lines of the section's placed order; it has *declined* when at least one of them is not charged
to the student (orders.domain.choices.declined_clause: opted out, or in opt-in mode not opted in), *opted in*
when at least one is charged. A section is *at risk* when it has rated enrollments and
declined / rated >= the institution's threshold. Both screens read these two functions, so the
dashboard's count of at-risk sections and the Courses list it links to cannot disagree.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, case, false, func, select

from orders.domain.choices import charged_clause, declined_clause
from orders.domain.models import (
    CatalogItem,
    Enrollment,
    EnrollmentState,
    OrderLine,
    OrderSection,
    ProgramMode,
    Section,
    SectionState,
    StudentChoice,
)


def section_students(mode: ProgramMode, term_ids: list[int]):
    """Subquery: (section_id, enrolled, rated, declined, opted_in) per active section of the terms with students."""
    per_enrollment = (
        select(
            Enrollment.section_id.label("section_id"),
            func.max(case((CatalogItem.id.is_not(None), 1), else_=0)).label("rated"),
            func.max(case((declined_clause(mode), 1), else_=0)).label("declined"),
            func.max(case((and_(CatalogItem.id.is_not(None), charged_clause(mode)), 1), else_=0)).label("opted_in"),
        )
        .join(Section, Section.id == Enrollment.section_id)
        .outerjoin(
            OrderSection,
            and_(OrderSection.section_id == Enrollment.section_id, OrderSection.claimed, OrderSection.removed_at.is_(None)),
        )
        .outerjoin(OrderLine, and_(OrderLine.order_id == OrderSection.order_id, OrderLine.removed_at.is_(None)))
        .outerjoin(CatalogItem, and_(CatalogItem.id == OrderLine.catalog_item_id, CatalogItem.zero_cost == false()))
        .outerjoin(
            StudentChoice,
            and_(
                StudentChoice.user_id == Enrollment.user_id,
                StudentChoice.section_id == Enrollment.section_id,
                StudentChoice.catalog_item_id == CatalogItem.id,
            ),
        )
        .where(Section.term_id.in_(term_ids), Section.state == SectionState.ACTIVE, Enrollment.state == EnrollmentState.ENROLLED)
        .group_by(Enrollment.section_id, Enrollment.id)
        .subquery("per_enrollment")
    )
    return (
        select(
            per_enrollment.c.section_id,
            func.count().label("enrolled"),
            func.sum(per_enrollment.c.rated).label("rated"),
            func.sum(per_enrollment.c.declined).label("declined"),
            func.sum(per_enrollment.c.opted_in).label("opted_in"),
        )
        .group_by(per_enrollment.c.section_id)
        .subquery("students")
    )


def at_risk_clause(rated, declined, threshold_percent: int) -> ColumnElement[bool]:
    """SQL: declined / rated >= threshold%, in integers (no rounding), and some rated enrollment."""
    return and_(rated > 0, declined * 100 >= rated * threshold_percent)


def at_risk_section_ids(mode: ProgramMode, threshold_percent: int, term_ids: list[int]) -> Select:
    """SQL: ids of the terms' at-risk sections (the Courses filter)."""
    students = section_students(mode, term_ids)
    return select(students.c.section_id).where(at_risk_clause(students.c.rated, students.c.declined, threshold_percent))

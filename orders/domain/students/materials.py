"""The student page's read model (docs/spec.md §3 "Course materials (students)"): a fixed number of queries.

The student's page, the back office's view of that student and the choice routes all read a
student's term through `student_term`, so what the buttons offer and what the routes accept never
disagree. Two queries: the student's enrollments (every term, for the term select) with their
sections, instructors and placed orders; then the materials of the chosen term's placed orders with
the student's stored choices.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload

from orders.domain.binds import dialect_name, one_of
from orders.domain.costs.estimate import CostEstimate, CostLine, Disclosure, estimate
from orders.domain.costs.other_costs import cost_facts
from orders.domain.lines import order_lines
from orders.domain.models import (
    CatalogItem,
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    NoMaterialsAnswer,
    Order,
    OrderLine,
    OrderSection,
    OrderStatus,
    ProgramMode,
    Requirement,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.domain.students.choices import (
    LineChoice,
    effective_choice,
    is_billable,
    section_billable,
    window_state,
)
from orders.domain.windows import WindowState
from orders.extensions import db


@dataclass
class MaterialLine:
    """One material of a section's placed order, as this student sees it."""

    section_id: int
    item_id: int
    title: str
    authors: str
    isbn13: str
    delivery: str
    requirement: Requirement
    price: Decimal
    zero_cost: bool
    order_number: int
    order_status: OrderStatus
    stored: ChoiceValue | None  # the student's choice row, None for the mode's default
    version: int  # the choice row's version; 0 when there is none (the form carries it back)
    choice: LineChoice
    courseware: bool = False  # "Courseware needed for graded work": opting out loses the homework platform
    data_terms_url: str | None = None  # the publisher's student-data terms
    instructor_authored: bool = False  # "Written or edited by an instructor of this course" (docs/spec.md §8)


@dataclass
class SectionMaterials:
    """One enrolled (or dropped) section of the student and its placed order's materials."""

    enrollment: Enrollment
    section: Section
    instructors: list[str]
    order_number: int | None
    no_materials: bool
    lines: list[MaterialLine] = field(default_factory=list)
    in_review: bool = (
        False  # an order for it awaits approval (or was returned): it counts nowhere yet (docs/spec.md §8)
    )
    # docs/spec.md §10: the order's other required costs, and whether a required title is still to be determined.
    other_costs: list[tuple[str, Decimal]] = field(default_factory=list)
    pending_required: bool = False

    def cost_estimate(self, threshold: Decimal | None) -> CostEstimate:
        """The section's estimated required cost and label: the one rule (orders/domain/costs/estimate.py)."""
        if self.order_number is None:
            # An order in review counts nowhere yet, not even as the "no materials needed" it may replace.
            answered = self.no_materials and not self.in_review
            return estimate(Disclosure.NO_MATERIALS if answered else Disclosure.NOT_YET, [], [], threshold)
        lines = [CostLine(line.requirement, line.price, line.zero_cost) for line in self.lines]
        if self.pending_required:
            lines.append(CostLine(Requirement.REQUIRED, None))
        return estimate(Disclosure.ORDERED, lines, [amount for _, amount in self.other_costs], threshold)

    @property
    def dropped(self) -> bool:
        return self.enrollment.state is EnrollmentState.DROPPED

    @property
    def removed(self) -> bool:
        """The SIS removed the section: nothing in it is charged (orders/domain/students/choices.py)."""
        return not section_billable(self.section.state)

    def line(self, item_id: int) -> MaterialLine | None:
        return next((line for line in self.lines if line.item_id == item_id), None)


@dataclass
class StudentTerm:
    """A student's Course materials for one term: what their page, the back office and the routes read."""

    student: User
    terms: list[Term]  # terms with an enrollment, newest first
    term: Term | None
    mode: ProgramMode
    window: WindowState
    sections: list[SectionMaterials]

    @property
    def total(self) -> Decimal:
        """The term's total to be charged: billable lines of enrolled sections."""
        return sum(
            (
                line.price
                for s in self.sections
                for line in s.lines
                if is_billable(line.choice, s.enrollment.state, s.section.state)
            ),
            Decimal("0.00"),
        )

    def section(self, section_id: int) -> SectionMaterials | None:
        return next((s for s in self.sections if s.section.id == section_id), None)


def default_term(terms: list[Term], today) -> Term | None:
    """The current term, else the next one, else the latest (terms newest first)."""
    current = [t for t in terms if t.starts_on <= today <= t.ends_on]
    if current:
        return current[0]
    upcoming = [t for t in terms if t.starts_on > today]
    if upcoming:
        return min(upcoming, key=lambda t: t.starts_on)
    return terms[0] if terms else None


IN_REVIEW = (OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED)


@functools.cache
def _enrollments_statement():
    """The student page's enrollments statement, built once per process (:student bound)."""
    placed = (
        select(OrderSection.section_id, Order.number, Order.status)
        .join(Order, Order.id == OrderSection.order_id)
        .where(OrderSection.removed_at.is_(None), Order.status.in_((OrderStatus.PLACED, *IN_REVIEW)))
        .subquery("placed")
    )
    return (
        select(Enrollment, Section, placed.c.number, NoMaterialsAnswer.id, placed.c.status)
        .join(Section, Section.id == Enrollment.section_id)
        .outerjoin(placed, placed.c.section_id == Section.id)
        .outerjoin(NoMaterialsAnswer, NoMaterialsAnswer.section_id == Section.id)
        .where(Enrollment.user_id == bindparam("student"))
        .options(joinedload(Section.instructors))  # joined, not the relationship's own extra SELECT
    )


def _enrollments(student_id: int) -> list[tuple[Enrollment, Section, int | None, bool, bool]]:
    """Every enrollment of the student with its section, instructors, placed order's number, whether it has a
    "no materials needed" answer, and whether an order for it is in review (awaiting approval or returned)."""
    rows = db.session.execute(_enrollments_statement(), {"student": student_id}).unique().all()
    # The rows' shape is the select's; a subquery's columns and a unique() result reach mypy untyped.
    typed = cast("Sequence[tuple[Enrollment, Section, int | None, int | None, OrderStatus | None]]", rows)
    return [
        (e, s, number if status is OrderStatus.PLACED else None, answer is not None, status in IN_REVIEW)
        for e, s, number, answer, status in typed
    ]


@functools.cache
def _lines_statement(dialect: str):
    """The student page's lines statement, built once per process (:student, :section_ids bound)."""
    line = order_lines(select(OrderSection.order_id).where(one_of(OrderSection.section_id, "section_ids", dialect)))
    return (
        select(
            OrderSection.section_id,
            Order.number,
            Order.status,
            line.c.item_id,
            line.c.price,
            line.c.requirement,
            CatalogItem,
            StudentChoice.choice,
            StudentChoice.version,
            line.c.instructor_authored,
        )
        .join(Order, Order.id == OrderSection.order_id)
        .join(line, line.c.order_id == Order.id)
        .join(CatalogItem, CatalogItem.id == line.c.item_id)
        .outerjoin(
            StudentChoice,
            and_(
                StudentChoice.user_id == bindparam("student"),
                StudentChoice.section_id == OrderSection.section_id,
                StudentChoice.catalog_item_id == line.c.item_id,
            ),
        )
        .where(
            one_of(OrderSection.section_id, "section_ids", dialect),
            OrderSection.removed_at.is_(None),
            Order.status == OrderStatus.PLACED,
        )
        .order_by(OrderSection.section_id, line.c.type_rank, line.c.position, CatalogItem.title)
    )


def _lines(student_id: int, section_ids: list[int]):
    """The lines (orders/domain/lines.py: each catalog item once) of the placed orders of these sections,
    each with the student's stored choice for that section and item."""
    return db.session.execute(
        _lines_statement(dialect_name()), {"student": student_id, "section_ids": section_ids}
    ).all()


def student_term(
    student: User, term_code: str | None, *, mode: ProgramMode, now: datetime, today, section_id: int | None = None
) -> StudentTerm:
    """The student's materials for the term `term_code` names (default: current or next with enrollments);
    with `section_id`, the term of that enrolled section (the choice routes)."""
    enrollments = _enrollments(student.id)
    terms_by_id = {s.term.id: s.term for _, s, _, _, _ in enrollments}
    terms = sorted(terms_by_id.values(), key=lambda t: (t.starts_on, t.id), reverse=True)
    term = next((t for t in terms if t.code == term_code), None) if term_code else None
    if section_id is not None:
        term = next((s.term for _, s, _, _, _ in enrollments if s.id == section_id), term)
    if term is None:
        term = default_term(terms, today)
    chosen = [row for row in enrollments if term is not None and row[1].term_id == term.id]
    chosen.sort(key=lambda row: (row[1].course.subject, row[1].course.number, row[1].label))
    sections = [
        SectionMaterials(
            enrollment=e,
            section=s,
            instructors=[i.name for i in s.instructors],
            order_number=n,
            no_materials=nm,
            in_review=review,
        )
        for e, s, n, nm, review in chosen
    ]
    with_orders = [s.section.id for s in sections if s.order_number is not None]
    if with_orders:
        by_section = {s.section.id: s for s in sections}
        for section_id, number, status, item_id, price, requirement, item, stored, version, authored in _lines(
            student.id, with_orders
        ):
            target = by_section[section_id]
            target.lines.append(
                MaterialLine(
                    section_id=section_id,
                    item_id=item_id,
                    title=item.title,
                    authors=item.authors,
                    isbn13=item.isbn13,
                    delivery=item.delivery.value,
                    requirement=requirement,
                    price=price if price is not None else item.student_price,
                    zero_cost=item.zero_cost,
                    order_number=number,
                    order_status=status,
                    stored=stored,
                    version=version or 0,
                    choice=effective_choice(mode, stored, zero_cost=item.zero_cost),
                    instructor_authored=bool(authored),
                    courseware=item.courseware_for_graded_work,
                    data_terms_url=item.data_terms_url,
                )
            )
        _add_cost_facts(sections, with_orders)
    return StudentTerm(
        student=student,
        terms=terms,
        term=term,
        mode=mode,
        window=window_state(term, now) if term is not None else WindowState.NOT_SET,
        sections=sections,
    )


def _add_cost_facts(sections: list[SectionMaterials], section_ids: list[int]) -> None:
    """Each section's other required costs and pending required titles, in one query for the term."""
    placed = (
        select(OrderSection.order_id)
        .join(Order, Order.id == OrderSection.order_id)
        .where(
            OrderSection.section_id.in_(section_ids),
            OrderSection.removed_at.is_(None),
            Order.status == OrderStatus.PLACED,
        )
    )
    by_number = {facts.number: facts for facts in cost_facts(placed).values()}
    for target in sections:
        found = by_number.get(target.order_number)
        if found is not None:
            target.other_costs, target.pending_required = found.costs, found.pending_required


def canceled_order_has(section_id: int, item_id: int) -> int | None:
    """The number of a canceled order of the section that carried the item (to say so when asked to choose)."""
    return db.session.scalars(
        select(Order.number)
        .join(OrderSection, OrderSection.order_id == Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            OrderSection.section_id == section_id,
            Order.status == OrderStatus.CANCELED,
            OrderLine.catalog_item_id == item_id,
        )
        .order_by(Order.canceled_at.desc())
        .limit(1)
    ).first()

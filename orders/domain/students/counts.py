"""The staff side of student choice: per section, how many students are enrolled and how many chose."""
from __future__ import annotations

from sqlalchemy import and_, case, distinct, func, select

from orders.domain.lines import counted_requests
from orders.domain.models import (
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    Order,
    OrderStatus,
    ProgramMode,
    StudentChoice,
)
from orders.extensions import db


def chosen_value(mode: ProgramMode) -> ChoiceValue:
    """The choice staff count: opt-outs in opt-out mode, opt-ins in opt-in mode."""
    return ChoiceValue.OPTED_OUT if mode is ProgramMode.OPT_OUT else ChoiceValue.OPTED_IN


def order_items_with_choice(order: Order) -> list[int]:
    """The order's billable items (its lines, orders/domain/lines.py: each item once): the ones students choose on."""
    items = [line.item.id for line in order.current_lines if not line.item.zero_cost]
    items += [
        r.fulfilled_by.id
        for r in counted_requests(order)
        if r.fulfilled_by is not None and not r.fulfilled_by.zero_cost
    ]
    return items


def section_student_counts(order: Order, mode: ProgramMode) -> dict[int, tuple[int, int]]:
    """section id -> (enrolled students, of whom chose at least one of the order's items), in one grouped query;
    empty for a draft or canceled order."""
    section_ids = [s.id for s in order.sections]
    if order.status is not OrderStatus.PLACED or not section_ids:  # only a placed order's lines are billed
        return {}
    items = order_items_with_choice(order) or [-1]
    chose = func.count(distinct(case((StudentChoice.id.is_not(None), Enrollment.user_id))))
    rows = db.session.execute(
        select(Enrollment.section_id, func.count(distinct(Enrollment.user_id)), chose)
        .outerjoin(
            StudentChoice,
            and_(
                StudentChoice.user_id == Enrollment.user_id,
                StudentChoice.section_id == Enrollment.section_id,
                StudentChoice.catalog_item_id.in_(items),
                StudentChoice.choice == chosen_value(mode),
            ),
        )
        .where(Enrollment.section_id.in_(section_ids), Enrollment.state == EnrollmentState.ENROLLED)
        .group_by(Enrollment.section_id)
    ).all()
    return {section_id: (enrolled, chosen) for section_id, enrolled, chosen in rows}

"""Back office: per term, sections ordered / answered "no materials needed" / missing, and the reminders sent."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from flask import render_template
from sqlalchemy import case, exists, func, select

from orders import clock
from orders.domain.institution import institution, local_time
from orders.domain.lookups import all_terms
from orders.domain.models import (
    NoMaterialsAnswer,
    OrderSection,
    ReminderKind,
    ReminderSent,
    Section,
    SectionState,
    Term,
)
from orders.domain.reminders.schedule import due_kind
from orders.extensions import db
from orders.web.guards import admin_only
from orders.web.screens.admin import bp

KIND_LABELS = {ReminderKind.OPENING: "Opening", ReminderKind.CLOSING: "Closing"}


@dataclass
class TermStatus:
    term: Term
    sections: int = 0
    ordered: int = 0
    no_materials: int = 0
    missing: int = 0
    reminders: dict[ReminderKind, tuple[int, datetime, datetime]] = field(default_factory=dict)  # people, first, last
    due: ReminderKind | None = None


def term_statuses(now: datetime) -> list[TermStatus]:
    """Every term, newest first, with its counts: three queries whatever the data size."""
    terms = all_terms()
    statuses = {term.id: TermStatus(term, due=due_kind(term.period, now)) for term in terms}
    claimed = exists(select(OrderSection.order_id).where(OrderSection.section_id == Section.id, OrderSection.claimed))
    answered = exists(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == Section.id))
    counts = select(
        Section.term_id,
        func.count(),
        func.sum(case((claimed, 1), else_=0)),
        func.sum(case((~claimed & answered, 1), else_=0)),
    ).where(Section.state == SectionState.ACTIVE).group_by(Section.term_id)
    # mypy unpacks a Row (typed as a Tuple of the columns) into `object`s; these are its four columns.
    rows = cast(Iterable[tuple[int, int, int | None, int | None]], db.session.execute(counts))
    for term_id, total, ordered, no_materials in rows:
        status = statuses[term_id]
        status.sections, status.ordered, status.no_materials = total, ordered or 0, no_materials or 0
        status.missing = total - status.ordered - status.no_materials
    sent = select(
        ReminderSent.term_id,
        ReminderSent.kind,
        func.count(),
        func.min(ReminderSent.sent_at),
        func.max(ReminderSent.sent_at),
    ).group_by(ReminderSent.term_id, ReminderSent.kind)
    for term_id, kind, people, first, last in db.session.execute(sent):
        statuses[term_id].reminders[kind] = (people, first, last)
    return [statuses[term.id] for term in terms]


@bp.route("/reminders/")
@admin_only
def reminders():
    """The reminders page of the back office."""
    return render_template(
        "admin/reminders.html",
        statuses=term_statuses(clock.now()),
        kinds=KIND_LABELS,
        enabled=institution().reminders_enabled,
        local_time=lambda moment: local_time(moment, institution()),
    )

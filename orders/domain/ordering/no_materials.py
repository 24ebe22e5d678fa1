"""Answer and undo "no materials needed" for the sections of one Courses row.

Services take the acting user and `now`, flush, never commit. The rule of who may answer is
orders.domain.rules.can_answer_no_materials, asked per section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, select

from orders.domain import upkeep
from orders.domain.models import (
    AdminAuditEntry,
    Course,
    NoMaterialsAnswer,
    OrderSection,
    Section,
    SectionState,
    TeachingAssignment,
    Term,
    User,
)
from orders.domain.periods import is_open
from orders.domain.reach import UNASSIGNED, may_order_for
from orders.domain.rules import Decision, can_answer_no_materials, period_closed
from orders.extensions import db

ANSWERED = "no_materials.answered"
UNDONE = "no_materials.undone"


@dataclass(frozen=True)
class Row:
    """A Courses row: a course in a term, as one instructor (an id), nobody yet (UNASSIGNED) or anyone ("") teaches it.
    """

    course: Course
    term: Term
    instructor: str = ""

    @property
    def label(self) -> str:
        return f"{self.course.code} {self.course.title}, {self.term.name}"


@dataclass
class RowSections:
    """The row's active sections without a placed order, split by what the user may do with them."""

    answerable: list[Section]  # not answered yet, and the user may answer them now
    answered: list[Section]  # already answered (with the answer loaded)
    undoable: list[Section]  # answered, and the user may undo them now
    visible: bool  # the user may see the row at all (periods aside)
    answers: dict[int, NoMaterialsAnswer]  # by section id
    unclaimed: int = 0  # active sections of the row without a placed order


def row_sections(user: User, row: Row, now: datetime) -> RowSections:
    """Load the row's open sections (one query) and sort them by what this user may do."""
    claimed = exists(select(OrderSection.order_id).where(OrderSection.section_id == Section.id, OrderSection.claimed))
    query = (
        select(Section, claimed.label("claimed"))
        .where(Section.course_id == row.course.id, Section.term_id == row.term.id, Section.state == SectionState.ACTIVE)
        .order_by(Section.label)
    )
    if row.instructor == UNASSIGNED:
        query = query.where(
            ~exists(select(TeachingAssignment.user_id).where(TeachingAssignment.section_id == Section.id))
        )
    elif row.instructor:
        query = query.where(
            exists(
                select(TeachingAssignment.user_id).where(
                    TeachingAssignment.section_id == Section.id, TeachingAssignment.user_id == int(row.instructor)
                )
            )
        )
    found = db.session.execute(query).all()
    sections = [section for section, is_claimed in found if not is_claimed]
    answers = (
        {
            answer.section_id: answer
            for answer in db.session.scalars(
                select(NoMaterialsAnswer).where(NoMaterialsAnswer.section_id.in_([s.id for s in sections]))
            )
        }
        if sections
        else {}
    )
    result = RowSections(
        [], [], [], visible=any(may_order_for(user, s) for s, _ in found), answers=answers, unclaimed=len(sections)
    )
    for section in sections:
        allowed = can_answer_no_materials(user, section, now)
        if section.id in answers:
            result.answered.append(section)
            if allowed:
                result.undoable.append(section)
        elif allowed:
            result.answerable.append(section)
    return result


def _labels(sections: list[Section]) -> list[str]:
    return [s.label for s in sections]


def answer_no_materials(
    row: Row, sections: list[Section], *, actor: User, now: datetime, request_id: str | None
) -> None:
    """Record the answer for each section and one audit entry. A racing duplicate raises IntegrityError
    (uq_no_materials_answer_section), which the caller turns into a calm notice."""
    for section in sections:
        db.session.add(NoMaterialsAnswer(section_id=section.id, answered_by_id=actor.id, answered_at=now))
    db.session.add(
        AdminAuditEntry(
            actor_id=actor.id,
            occurred_at=now,
            kind=ANSWERED,
            target=row.label,
            request_id=request_id,
            before=None,
            after={
                "sections": _labels(sections),
                "section_ids": [s.id for s in sections],
                "answer": "no materials needed",
            },
        )
    )
    db.session.flush()


def undo_no_materials(row: Row, sections: list[Section], *, actor: User, now: datetime, request_id: str | None) -> int:
    """Remove the answers of these sections; returns how many were removed (0 when someone else was faster)."""
    ids = [s.id for s in sections]
    before = [
        {"section": label, "answered_by": name, "answered_at": at.isoformat()}
        for label, name, at in db.session.execute(
            select(Section.label, User.name, NoMaterialsAnswer.answered_at)
            .join(NoMaterialsAnswer, NoMaterialsAnswer.section_id == Section.id)
            .join(User, User.id == NoMaterialsAnswer.answered_by_id)
            .where(Section.id.in_(ids))
            .order_by(Section.label)
        )
    ]
    # An UPDATE or DELETE returns a CursorResult; Session.execute is typed as returning the plain Result.
    removed = cast(
        "CursorResult[Any]",
        db.session.execute(
            delete(NoMaterialsAnswer)
            .where(NoMaterialsAnswer.section_id.in_(ids))
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if removed:
        upkeep.sections_changed(db.session(), ids, reach=False)  # their Progress counts: no longer answered
        db.session.add(
            AdminAuditEntry(
                actor_id=actor.id,
                occurred_at=now,
                kind=UNDONE,
                target=row.label,
                request_id=request_id,
                before={"answers": before},
                after=None,
            )
        )
        db.session.flush()
    return removed


def refusal_decision(user: User, row: Row, sections: RowSections, now: datetime) -> Decision:
    """Why the user may not answer (or undo) "no materials needed" for this row, when row_sections left them nothing to
    do.
    """
    if not sections.visible:
        return Decision(False, f"{row.course.code} in {row.term.name} is not a course you teach or coordinate.")
    if not is_open(row.term, now) and not user.is_program_admin:
        return period_closed(row.term, now, f"change whether {row.course.code} needs materials")
    if not sections.unclaimed:
        return Decision(False, f"Every section of {row.course.code} in {row.term.name} already has an order.")
    return Decision(False, f"You may not change whether {row.course.code} in {row.term.name} needs materials.")

"""Changing a student's choice: one guarded write, one choice event and one receipt, in one transaction.

Takes the actor and `now`, flushes and never commits. The form carries the version of the choice it
was rendered from, so a double submit, a second tab or a parallel POST changes the choice once: the
later ones find another version (or, for a first choice, the unique row) and answer "already".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, insert, update
from sqlalchemy.exc import IntegrityError

from orders.domain import upkeep
from orders.domain.audit import record
from orders.domain.formats.money import money
from orders.domain.institution import institution, local_time
from orders.domain.models import ChoiceEvent, ChoiceValue, OutboundEmail, ProgramMode, StudentChoice, User
from orders.domain.outbox import institution_snapshot, outbox_row, public_url
from orders.domain.refusals import Conflict, Refused
from orders.domain.rules import can_administer, choose_decision
from orders.domain.students.choices import LineChoice, choice_after_toggle, effective_choice, is_charged
from orders.domain.students.materials import MaterialLine, SectionMaterials, StudentTerm
from orders.extensions import db

RECEIPT_KIND = "choice_receipt"
MAX_REASON = 1000


class ChoiceRefused(Refused):
    """choose_decision said no, or a Program Administrator gave no reason: nothing was changed."""


class AlreadyChanged(Conflict):
    """The choice is no longer the one the form was rendered from (double submit, another tab): the stale write is
    refused.
    """


@dataclass(frozen=True)
class ChoiceChange:
    """What a change did, for the banner."""

    line: MaterialLine
    event: ChoiceEvent
    message: str


def state_name(line: MaterialLine, mode: ProgramMode | None = None) -> str:
    """The short name of a line's state (the receipt's "Now:" says what it costs beside it); opted back in reads
    "Included".
    """
    if line.choice is LineChoice.OPTED_IN and mode is ProgramMode.OPT_OUT:
        return "Included"
    return {
        "included": "Included",
        "opted_out": "Opted out",
        "opted_in": "Opted in",
        "not_opted_in": "Not opted in",
        "zero_cost": "Free",
    }[line.choice.value]


def state_in_words(line: MaterialLine, mode: ProgramMode | None = None) -> str:
    """A line's state with whether it is charged, for the banner a Program Administrator reads."""
    name = state_name(line, mode)
    if line.choice is LineChoice.ZERO_COST:
        return f"{name} (no charge)"
    return f"{name} ({'charged' if is_charged(line.choice) else 'not charged'})"


def change_choice(
    actor: User,
    view: StudentTerm,
    section: SectionMaterials | None,
    line: MaterialLine | None,
    now: datetime,
    *,
    expected_version: int,
    reason: str = "",
    request_id: str | None = None,
) -> ChoiceChange:
    """Toggle the line's choice (Opt out <-> Opt back in, or Opt in <-> Withdraw) for `view.student`."""
    student = view.student
    decision = choose_decision(actor, student, section, line, now)
    if not decision:
        raise ChoiceRefused(decision.reason)
    # choose_decision refuses a missing section or line, and a section is shown only within its term.
    assert section is not None and line is not None and view.term is not None
    on_behalf = actor.id != student.id
    reason = " ".join((reason or "").split())[:MAX_REASON]
    if on_behalf and can_administer(actor) and not reason:
        raise ChoiceRefused("Enter a reason for changing this student's choice. Nothing was changed.")
    if expected_version != line.version:
        raise AlreadyChanged(already_notice(line))
    target = choice_after_toggle(view.mode, line.choice)
    _write(actor, student, line, target, now, reason=reason or None)
    event = ChoiceEvent(
        user_id=student.id,
        section_id=line.section_id,
        catalog_item_id=line.item_id,
        previous=line.stored,
        choice=target,
        actor_id=actor.id,
        reason=reason or None,
        occurred_at=now,
        request_id=request_id,
    )
    db.session.add(event)
    db.session.flush()
    changed = replace(
        line,
        stored=target,
        version=line.version + 1,
        choice=effective_choice(view.mode, target, zero_cost=line.zero_cost),
    )
    section.lines[section.lines.index(line)] = changed  # the view's total now counts the new state
    if on_behalf:  # a change on a student's behalf is a back-office change: the audit log shows it too
        record(
            "choice.changed",
            f"{student.name}: {_section_code(section)} {line.title}, {view.term.name}",
            {"choice": line.choice.value},
            {"choice": changed.choice.value, "reason": reason},
            actor=actor,
            now=now,
        )
    _enqueue_receipt(actor, view, section, changed, event, now)
    return ChoiceChange(changed, event, change_notice(changed, view.mode, on_behalf=on_behalf, student=student))


def _write(
    actor: User, student: User, line: MaterialLine, target: ChoiceValue, now: datetime, *, reason: str | None
) -> None:
    """Insert the first choice or move the row on from the version the form saw; raise AlreadyChanged otherwise
    (the caller must then roll back)."""
    if line.version == 0:
        # A parallel first choice inserted the row: theirs stands. No savepoint: this INSERT is the
        # request's first write, so the caller rolls the whole transaction back (and SQLite would
        # commit a savepoint that opened the transaction when it is released).
        try:
            db.session.execute(
                insert(StudentChoice).values(
                    user_id=student.id,
                    section_id=line.section_id,
                    catalog_item_id=line.item_id,
                    choice=target,
                    decided_at=now,
                    decided_by_id=actor.id,
                    reason=reason,
                    version=1,
                )
            )
        except IntegrityError:
            raise AlreadyChanged(already_notice(line)) from None
        upkeep.sections_changed(db.session(), [line.section_id], reach=False)
        return
    # An UPDATE or DELETE returns a CursorResult; Session.execute is typed as returning the plain Result.
    moved = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(StudentChoice)
            .where(
                StudentChoice.user_id == student.id,
                StudentChoice.section_id == line.section_id,
                StudentChoice.catalog_item_id == line.item_id,
                StudentChoice.version == line.version,
            )
            .values(
                choice=target, decided_at=now, decided_by_id=actor.id, reason=reason, version=StudentChoice.version + 1
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if moved.rowcount != 1:
        raise AlreadyChanged(already_notice(line))
    upkeep.sections_changed(db.session(), [line.section_id], reach=False)


def _section_code(section: SectionMaterials) -> str:
    s = section.section
    return f"{s.course.subject} {s.course.number} {s.label}"


def already_notice(line: MaterialLine) -> str:
    """The calm answer to a repeated or stale submit."""
    return (
        f"Your choice for {line.title} was already changed (in another tab or by a second click). Here is "
        "where it stands now."
    )


def change_notice(line: MaterialLine, mode: ProgramMode, *, on_behalf: bool, student: User) -> str:
    """The banner after a change."""
    price = money(line.price)
    if on_behalf:
        return (
            f"{student.name}'s choice for {line.title} is now: {state_in_words(line, mode)}. They were emailed "
            "a receipt."
        )
    if line.stored is ChoiceValue.OPTED_OUT:
        said = f"You opted out of {line.title}: you will not be charged {price}."
    else:
        said = f"You opted in to {line.title}: {price} will be charged to your student account."
    return f"{said} A receipt is on its way by email."


def _enqueue_receipt(
    actor: User, view: StudentTerm, section: SectionMaterials, line: MaterialLine, event: ChoiceEvent, now: datetime
) -> None:
    """One receipt to the student, in this transaction, tied to the event (unique per event and recipient)."""
    inst = institution()
    s = section.section
    term = view.term
    assert term is not None  # a receipt is for a choice in a section of the view's term
    context = dict(
        recipient={"name": view.student.name},
        term={"name": term.name, "code": term.code},
        section=_section_code(section),
        course_title=s.course.title,
        session=s.session.name,
        item={"title": line.title, "isbn13": line.isbn13, "price": money(line.price)},
        state=state_name(line, view.mode),
        charged=is_charged(line.choice),
        changed_by=actor.name,
        on_behalf=actor.id != view.student.id,
        reason=event.reason or "",
        when=local_time(now, inst),
        total=money(view.total),
        closes=local_time(term.choice_closes_at, inst) if term.choice_closes_at and now < term.choice_closes_at else "",
        link=public_url(f"/student/materials?term={term.code}"),
        institution=institution_snapshot(inst),
    )
    row = outbox_row(
        kind=RECEIPT_KIND,
        template="choice_receipt",
        recipient=view.student.email,
        subject=f"Your choice is saved — {context['section']} {line.title}, {term.name}",
        now=now,
        context=context,
    )
    row["choice_event_id"] = event.id
    db.session.execute(insert(OutboundEmail), [row])

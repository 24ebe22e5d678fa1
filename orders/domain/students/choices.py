"""Student choice rules (docs/spec.md §1 "Student choice", "Choice window"): one place for what a line's state is.

The student page, the staff counts, the billing feed, the reminders and the progress dashboard all
read a line's state through these functions (or `billable_clause`, their SQL twin), so a student is
never told one thing while the bursar is sent another. A section the SIS removed is never billable,
whatever its enrollment rows say (`section_billable`, `billable_section_clause`): an import without
enrollments.csv leaves the enrollments as they were.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, literal_column

from orders.domain.models import (
    CatalogItem,
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    ProgramMode,
    Section,
    SectionState,
    StudentChoice,
    Term,
)
from orders.domain.windows import WindowState, window_state_of


def window_state(term: Term, now: datetime) -> WindowState:
    """Where `now` falls in the term's choice window (NOT_SET: students see their materials but cannot choose yet)."""
    return window_state_of(term.choice_opens_at, term.choice_closes_at, now)


def is_final(term: Term, now: datetime) -> bool:
    """Choices are final once the window has closed."""
    return window_state(term, now) is WindowState.CLOSED


class LineChoice(enum.Enum):
    """A student's effective choice on one line; the values are the billing feed's `choice` column."""

    INCLUDED = "included"  # opt-out mode, no opt-out: charged
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    NOT_OPTED_IN = "not_opted_in"  # opt-in mode, no opt-in: not charged
    ZERO_COST = "zero_cost"  # never billed, no choice


def effective_choice(mode: ProgramMode, stored: ChoiceValue | None, *, zero_cost: bool) -> LineChoice:
    """The line's state for a student: a stored choice wins, else the mode's default."""
    if zero_cost:
        return LineChoice.ZERO_COST
    if stored is ChoiceValue.OPTED_OUT:
        return LineChoice.OPTED_OUT
    if stored is ChoiceValue.OPTED_IN:
        return LineChoice.OPTED_IN
    return LineChoice.INCLUDED if mode is ProgramMode.OPT_OUT else LineChoice.NOT_OPTED_IN


def is_charged(choice: LineChoice) -> bool:
    """Whether the line is charged, for an enrolled student."""
    return choice in (LineChoice.INCLUDED, LineChoice.OPTED_IN)


def section_billable(section_state: SectionState) -> bool:
    """Whether anything in the section can be charged: not once the SIS removed it."""
    return section_state is SectionState.ACTIVE


def is_billable(choice: LineChoice, enrollment_state: EnrollmentState, section_state: SectionState) -> bool:
    """The billing feed's `billable`: only an enrolled student of a section still offered whose line is charged
    under the mode."""
    return section_billable(section_state) and enrollment_state is EnrollmentState.ENROLLED and is_charged(choice)


def choice_after_toggle(mode: ProgramMode, current: LineChoice) -> ChoiceValue:
    """What the one button beside a billable line stores: Opt out / Opt back in, or Opt in / Withdraw."""
    if mode is ProgramMode.OPT_OUT:
        return ChoiceValue.OPTED_IN if current is LineChoice.OPTED_OUT else ChoiceValue.OPTED_OUT
    return ChoiceValue.OPTED_OUT if current is LineChoice.OPTED_IN else ChoiceValue.OPTED_IN


def _chosen_clause(mode: ProgramMode) -> ColumnElement[bool]:
    """SQL: the stored choice (NULL when there is none) leaves the line charged under the mode."""
    stored = func.coalesce(StudentChoice.choice, literal_column("''"))
    if mode is ProgramMode.OPT_OUT:
        return stored != ChoiceValue.OPTED_OUT.value
    return stored == ChoiceValue.OPTED_IN.value


def charged_clause(mode: ProgramMode) -> ColumnElement[bool]:
    """SQL twin of is_charged(effective_choice(...)), on CatalogItem outer-joined with StudentChoice."""
    return and_(CatalogItem.zero_cost == false(), _chosen_clause(mode))


def declined_clause(mode: ProgramMode) -> ColumnElement[bool]:
    """SQL: a billable line the student is not charged for (opted out, or in opt-in mode not opted in)."""
    return and_(CatalogItem.zero_cost == false(), ~_chosen_clause(mode))


def enrollment_declined_and_charged(
    mode: ProgramMode, items, opted_out, opted_in
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """SQL: (declined, charged) of one enrollment from counts over its section's `items` billable items.

    The per-enrollment aggregate of declined_clause and charged_clause: `opted_out` and `opted_in`
    count the student's stored choices on those items; an item without a choice takes the mode's
    default (charged in opt-out mode, not charged in opt-in mode).
    """
    if mode is ProgramMode.OPT_OUT:
        return and_(items > 0, opted_out > 0), opted_out < items
    return opted_in < items, and_(items > 0, opted_in > 0)


def billable_section_clause() -> ColumnElement[bool]:
    """SQL twin of section_billable, on Section."""
    return Section.state == SectionState.ACTIVE


def billable_clause(mode: ProgramMode) -> ColumnElement[bool]:
    """SQL twin of is_billable, on Section, Enrollment, CatalogItem and an outer-joined StudentChoice."""
    return and_(billable_section_clause(), Enrollment.state == EnrollmentState.ENROLLED, charged_clause(mode))

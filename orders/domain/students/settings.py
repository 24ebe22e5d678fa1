"""The student choice settings: the program mode, consent text, at-risk threshold, publishing, and each term's
choice window; every save audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orders.domain.audit import audit_time, record
from orders.domain.decisions import ALLOWED, Decision
from orders.domain.models import Institution, ProgramMode, Term, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db


@dataclass(frozen=True)
class ChoiceSettings:
    program_mode: ProgramMode
    consent_text: str
    at_risk_threshold_percent: int
    publish_course_materials: bool


def save_settings(inst: Institution, values: ChoiceSettings, *, actor: User, now: datetime):
    """Change the institution's student-choice settings; audit only the changed fields (None if none)."""
    before, after = {}, {}
    for name in ("program_mode", "consent_text", "at_risk_threshold_percent", "publish_course_materials"):
        old, new = getattr(inst, name), getattr(values, name)
        if old != new:
            before[name] = old.value if isinstance(old, ProgramMode) else old
            after[name] = new.value if isinstance(new, ProgramMode) else new
            setattr(inst, name, new)
    if not after:
        return None
    db.session.flush()
    return record("institution.student_choice", "Student choice settings", before, after, actor=actor, now=now)


def window_dates_decision(opens_at: datetime | None, closes_at: datetime | None) -> Decision:
    """Both times or neither, and opens < closes."""
    if (opens_at is None) != (closes_at is None):
        return Decision(False, "Enter both times, or leave both empty for no window.")
    if opens_at is not None and closes_at is not None and not opens_at < closes_at:
        return Decision(False, "The choice window must open before it closes.")
    return ALLOWED


def save_window(term: Term, opens_at: datetime | None, closes_at: datetime | None, *, actor: User, now: datetime):
    """Set, change or clear a term's choice window; audited (None when unchanged)."""
    decision = window_dates_decision(opens_at, closes_at)
    if not decision:
        raise RuleBroken(decision.reason)
    before = {
        "choice_opens_at": audit_time(term.choice_opens_at),
        "choice_closes_at": audit_time(term.choice_closes_at),
    }
    after = {"choice_opens_at": audit_time(opens_at), "choice_closes_at": audit_time(closes_at)}
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        return None
    term.choice_opens_at, term.choice_closes_at = opens_at, closes_at
    db.session.flush()
    return record(
        "term.choice_window",
        f"{term.name} choice window",
        {k: before[k] for k in changed},
        {k: after[k] for k in changed},
        actor=actor,
        now=now,
    )

"""The cost-disclosure settings (docs/spec.md §10): the low-cost threshold and its criteria, the coverage target,
and each term's registration opening; every change audited (only what changed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from orders.domain.audit import audit_time, record
from orders.domain.costs.fields import parse_amount
from orders.domain.formats.weburl import parse_web_url
from orders.domain.models import AdminAuditEntry, Institution, Term, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db

AUDIT_SETTINGS = "institution.cost_disclosure"  # the public lookup's fingerprint reads these too (labels, criteria)
AUDIT_REGISTRATION = "term.registration_opens"


@dataclass(frozen=True)
class CostSettings:
    low_cost_threshold: Decimal | None
    low_cost_criteria_url: str | None
    coverage_target_percent: int


def parse_settings(
    threshold: str | None, criteria_url: str | None, target: int | None
) -> tuple[CostSettings | None, dict[str, str]]:
    """The form's values checked; the settings, or the message of each field that is wrong."""
    errors: dict[str, str] = {}
    amount = None
    if (threshold or "").strip():
        amount, problem = parse_amount(threshold, "The low-cost threshold")
        if problem:
            errors["low_cost_threshold"] = problem
    url, problem = parse_web_url(criteria_url, "The criteria link")
    if problem:
        errors["low_cost_criteria_url"] = problem
    elif amount is not None and url is None:
        errors["low_cost_criteria_url"] = (
            "Link to the criteria of your “Low cost” label: students are shown them with it."
        )
    if target is None or not 0 <= target <= 100:
        errors["coverage_target_percent"] = "Enter a whole number from 0 to 100."
    if errors or target is None:
        return None, errors
    return CostSettings(amount, url, target), {}


def save_settings(inst: Institution, values: CostSettings, *, actor: User, now: datetime) -> AdminAuditEntry | None:
    """Change the cost-disclosure settings; audit only the changed fields (None when nothing changed)."""
    parsed, errors = parse_settings(
        None if values.low_cost_threshold is None else str(values.low_cost_threshold),
        values.low_cost_criteria_url,
        values.coverage_target_percent,
    )
    if parsed is None:
        raise RuleBroken(" ".join(errors.values()))
    before, after = {}, {}
    for name in ("low_cost_threshold", "low_cost_criteria_url", "coverage_target_percent"):
        old, new = getattr(inst, name), getattr(values, name)
        if old != new:
            before[name] = str(old) if isinstance(old, Decimal) else old
            after[name] = str(new) if isinstance(new, Decimal) else new
            setattr(inst, name, new)
    if not after:
        return None
    db.session.flush()
    return record(AUDIT_SETTINGS, "Cost disclosure settings", before, after, actor=actor, now=now)


def save_registration_opens(
    term: Term, opens_at: datetime | None, *, actor: User, now: datetime
) -> AdminAuditEntry | None:
    """Set, change or clear when the term's registration opens; audited (None when unchanged)."""
    before, after = audit_time(term.registration_opens_at), audit_time(opens_at)
    if (
        term.registration_opens_at is not None
        and opens_at is not None
        and (term.registration_opens_at.replace(second=0, microsecond=0) == opens_at.replace(second=0, microsecond=0))
    ):
        return None  # the form shows minutes: the same minute sent back is no change
    if before == after:
        return None
    term.registration_opens_at = opens_at
    db.session.flush()
    return record(
        AUDIT_REGISTRATION,
        f"{term.name} registration opening",
        {"registration_opens_at": before},
        {"registration_opens_at": after},
        actor=actor,
        now=now,
    )

"""The audit log in words: a label per kind, and each stored before -> after value as a person reads it
(times in the institution's timezone, yes/no, prices, lists as prose), never a Python repr."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from orders.web.localtime import describe

KIND_LABELS = {
    "period.created": "Ordering period set",
    "period.updated": "Ordering period changed",
    "grant.added": "Coordinator grant added",
    "grant.removed": "Coordinator grant removed",
    "user.activated": "Account activated",
    "user.deactivated": "Account deactivated",
    "user.admin_granted": "Program Administrator flag given",
    "user.admin_revoked": "Program Administrator flag taken away",
    "user.admin_created": "Program Administrator created",
    "catalog.item_added": "Catalog item added",
    "catalog.item_updated": "Catalog item changed",
    "catalog.item_deactivated": "Catalog item deactivated",
    "catalog.item_reactivated": "Catalog item reactivated",
    "catalog.imported": "Catalog imported",
    "institution.updated": "Institution settings changed",
    "institution.branding": "Branding changed",
    "sis.import": "SIS import",
    "no_materials.answered": "“No materials needed” answered",
    "no_materials.undone": "“No materials needed” undone",
    "lti.connection_added": "LMS connection added",
    "lti.connection_changed": "LMS connection changed",
    "lti.connection_removed": "LMS connection removed",
    "lti.key_added": "LTI tool key added",
    "lti.registration_link": "LTI registration link made",
    "lti.course_linked": "LMS course linked to sections",
    "institution.cost_disclosure": "Cost disclosure settings changed",
    "term.registration_opens": "Registration opening changed",
    "institution.student_choice": "Student choice settings changed",
    "term.choice_window": "Choice window changed",
    "choice.changed": "A student's choice changed",
    "progress.remind_now": "Remind now (Progress)",
    "mail.retry": "Failed mail retried",
    "organization.policy": "Ordering policy changed",
    "pre_approved.added": "Added to a pre-approved list",
    "pre_approved.removed": "Removed from a pre-approved list",
    "pre_approved.imported": "Pre-approved list imported",
    "institution.royalty_threshold": "Royalty review changed",
    "grant.flags_changed": "Coordinator grant's approval flags changed",
}

FIELD_LABELS = {
    "opens_at": "Opens",
    "soft_close_at": "Soft close",
    "closes_at": "Closes",
    "is_program_admin": "Program Administrator",
    "password": "Password",
    "isbn13": "ISBN",
    "student_price": "Student price",
    "reminders_enabled": "Send reminder emails",
    "contact_email": "Contact email",
    "answered_by": "answered by",
    "answered_at": "answered",
    "source": "From content request",
    "courseware_for_graded_work": "Courseware needed for graded work",
    "data_terms_url": "Student-data terms",
    "low_cost_threshold": "Low-cost threshold",
    "low_cost_criteria_url": "Low-cost criteria",
    "coverage_target_percent": "Coverage target (%)",
    "registration_opens_at": "Registration opens",
    "at_risk_threshold_percent": "At-risk threshold (%)",
    "choice_opens_at": "Choices open",
    "choice_closes_at": "Choices close",
    "accent_colour": "Accent colour",
    "logo": "Logo",
}

# Stored codes as a person reads them, by field.
VALUE_WORDS = {
    "choice": {
        "included": "Included",
        "opted_out": "Opted out",
        "opted_in": "Opted in",
        "not_opted_in": "Not opted in",
    },
    "program_mode": {"opt-out": "Opt-out", "opt-in": "Opt-in"},
    "status": {"failed": "Failed", "pending": "Waiting to be sent"},
}

# Ids are for machines (the same entry names the sections and items in words); so are Remind now's
# `dimension` and `key` (the Progress row as its URL names it: an organization's or a campus's id), which
# the entry's `row` says in words.
_HIDDEN = re.compile(r"(^|_)ids?$|^(dimension|key)$")
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?$")


def kind_label(kind: str) -> str:
    """A human label; an unknown kind reads as its words ("remind.sent" -> "Remind sent")."""
    return KIND_LABELS.get(kind) or kind.replace(".", " ").replace("_", " ").capitalize()


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key) or key.replace("_", " ").capitalize()


def words(value, tz_name: str, key: str = "") -> str:
    """One stored value in words."""
    if value is None:
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str):
        if _ISO.match(value):
            return describe(datetime.fromisoformat(value.replace("Z", "+00:00")), tz_name)
        if key in ("student_price", "low_cost_threshold"):
            return f"${value}"
        return VALUE_WORDS.get(key, {}).get(value, value)
    if isinstance(value, (int, float)):
        return f"{value:,}"
    if isinstance(value, list):
        if not value:
            return "none"
        return "; ".join(words(v, tz_name, key) for v in value)
    if isinstance(value, dict) and key == "updated":  # a catalog import: ISBN -> {field: [before, after]}
        return (
            "none"
            if not value
            else "; ".join(
                f"{isbn}: "
                + ", ".join(
                    f"{field_label(f)} {words(b, tz_name, f)} → {words(a, tz_name, f)}" for f, (b, a) in fields.items()
                )
                for isbn, fields in value.items()
            )
        )
    if isinstance(value, dict):
        shown = [(k, v) for k, v in value.items() if not _HIDDEN.search(k)]
        if not shown:
            return "none"
        return ", ".join(f"{field_label(k)} {words(v, tz_name, k)}" for k, v in shown)
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the field was not there before (a creation)
    after: str | None  # None: the field is gone (a removal)


def changes(before: dict | None, after: dict | None, tz_name: str) -> list[Change]:
    """The fields of an entry, each in words; a field whose value did not change is left out."""
    before, after = before or {}, after or {}
    found = []
    for key in dict.fromkeys([*before, *after]):
        if _HIDDEN.search(key) or (key in before and key in after and before[key] == after[key]):
            continue
        found.append(
            Change(
                field_label(key),
                words(before[key], tz_name, key) if key in before else None,
                words(after[key], tz_name, key) if key in after else None,
            )
        )
    return found

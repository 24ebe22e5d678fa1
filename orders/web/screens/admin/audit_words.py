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
    "catalog.item_added": "Catalog item added",
    "catalog.item_updated": "Catalog item changed",
    "catalog.item_deactivated": "Catalog item deactivated",
    "catalog.item_reactivated": "Catalog item reactivated",
    "catalog.imported": "Catalog imported",
    "institution.updated": "Institution settings changed",
    "sis.import": "SIS import",
    "no_materials.answered": "“No materials needed” answered",
    "no_materials.undone": "“No materials needed” undone",
    "lti.connection_added": "LMS connection added",
    "lti.connection_changed": "LMS connection changed",
    "lti.connection_removed": "LMS connection removed",
    "lti.key_added": "LTI tool key added",
    "lti.registration_link": "LTI registration link made",
    "lti.course_linked": "LMS course linked to sections",
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
    "isbn13": "ISBN",
    "student_price": "Student price",
    "reminders_enabled": "Send reminder emails",
    "contact_email": "Contact email",
    "answered_by": "answered by",
    "answered_at": "answered",
    "source": "From content request",
}

# Ids are for machines (the same entry names the sections and items in words).
_HIDDEN = re.compile(r"(^|_)ids?$")
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
        if key == "student_price":
            return f"${value}"
        return value
    if isinstance(value, (int, float)):
        return f"{value:,}"
    if isinstance(value, list):
        if not value:
            return "none"
        return "; ".join(words(v, tz_name, key) for v in value)
    if isinstance(value, dict) and key == "updated":  # a catalog import: ISBN -> {field: [before, after]}
        return "none" if not value else "; ".join(
            f"{isbn}: " + ", ".join(f"{field_label(f)} {words(b, tz_name, f)} → {words(a, tz_name, f)}" for f, (b, a) in fields.items())
            for isbn, fields in value.items()
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
        found.append(Change(
            field_label(key),
            words(before[key], tz_name, key) if key in before else None,
            words(after[key], tz_name, key) if key in after else None,
        ))
    return found

"""The deployment's one institution, and times shown in its timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from orders.domain.audit import record
from orders.domain.models import AdminAuditEntry, Institution, User
from orders.extensions import db


def institution() -> Institution:
    """The deployment's one institution, read once per database session: once per request (the web
    layer's session ends with it) or per command run."""
    found = db.session.info.get("institution")
    if found is None:
        found = db.session.scalars(select(Institution).limit(1)).first()
        if found is None:
            raise RuntimeError("No institution is configured; run `flask --app app seed-demo`.")
        db.session.info["institution"] = found
    return found


def remember_institution(found: Institution) -> None:
    """The institution as a query that read it anyway loaded it (the signed-in user's): institution() returns it."""
    db.session.info.setdefault("institution", found)


def lock_institution() -> None:
    """Serialize this transaction with every other that locks the institution row, until it ends.

    For checks that span rows (the last Program Administrator): PostgreSQL takes a row lock;
    SQLite starts its one write transaction now, with a no-op UPDATE, so the reads that follow
    see every earlier commit and no other writer can commit in between.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Institution.id).with_for_update())
    else:
        db.session.execute(update(Institution).values(id=Institution.id))


def local_time(moment: datetime, inst: Institution | None = None) -> str:
    """A UTC moment in the institution's timezone, e.g. "March 3, 2027, 2:05 PM CST"."""
    local = moment.astimezone(ZoneInfo((inst or institution()).timezone))
    return f"{local:%B} {local.day}, {local.year}, {local:%I:%M %p %Z}".replace(", 0", ", ")


def local_date(moment: datetime) -> str:
    """A UTC moment as a date in the institution's timezone, e.g. "Dec 26, 2026"."""
    local = moment.astimezone(ZoneInfo(institution().timezone))
    return f"{local:%b} {local.day}, {local.year}"


@dataclass(frozen=True)
class InstitutionFields:
    name: str
    timezone: str
    contact_email: str
    reminders_enabled: bool


def update_institution(
    institution: Institution | None, fields: InstitutionFields, *, actor: User | None, now: datetime
) -> AdminAuditEntry | None:
    """Change the institution's settings (creating the one row if none exists yet); `actor` None: a command."""
    after = {
        "name": fields.name,
        "timezone": fields.timezone,
        "contact_email": fields.contact_email,
        "reminders_enabled": fields.reminders_enabled,
    }
    if institution is None:
        db.session.add(Institution(**after))
        db.session.flush()
        return record("institution.updated", "Institution settings", None, after, actor=actor, now=now)
    before = {k: getattr(institution, k) for k in after}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return None
    for name, value in changed.items():
        setattr(institution, name, value)
    db.session.flush()
    return record(
        "institution.updated", "Institution settings", {k: before[k] for k in changed}, changed, actor=actor, now=now
    )

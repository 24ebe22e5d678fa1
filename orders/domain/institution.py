"""The deployment's one institution, and times shown in its timezone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import select, update

from orders.domain.models import Institution
from orders.extensions import db


def institution() -> Institution:
    """The deployment's one institution, read once per request (or CLI run)."""
    if "institution" not in g:
        found = db.session.scalars(select(Institution).limit(1)).first()
        if found is None:
            raise RuntimeError("No institution is configured; run `flask --app app seed-demo`.")
        g.institution = found
    return g.institution


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

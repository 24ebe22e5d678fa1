"""Readiness checks: the database answers within a bound, its schema is at the migrations' head, mail moves."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select, text

from orders.domain.models import EmailStatus, OutboundEmail
from orders.extensions import db


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revisions the code's migrations end at (read once per process: they change only with a deploy)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database() -> str | None:
    """None when a trivial query answers within READY_DATABASE_TIMEOUT_MS, else what went wrong."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        timeout = int(current_app.config["READY_DATABASE_TIMEOUT_MS"])
        session.execute(text(f"SET LOCAL statement_timeout = {timeout}"))
    session.execute(text("SELECT 1")).scalar()
    return None


def check_migrations() -> str | None:
    """None when the database's alembic revision is the code's head."""
    try:
        current: set[str] = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:  # no alembic_version table: the schema was never migrated
        db.session.rollback()
        return "the database has no migration history (run flask --app app db upgrade)"
    heads = migration_heads()
    if current != heads:
        return (
            f"the database is at {', '.join(sorted(current)) or 'nothing'}, the code at {', '.join(sorted(heads))} "
            "(run flask --app app db upgrade)"
        )
    return None


def oldest_overdue(now: datetime) -> datetime | None:
    """When the longest-overdue unsent email became due (pending, or claimed by a worker whose lease ran out)."""
    return db.session.scalar(
        select(func.min(OutboundEmail.next_attempt_at)).where(
            OutboundEmail.status.in_([EmailStatus.PENDING, EmailStatus.SENDING]), OutboundEmail.next_attempt_at <= now
        )
    )


def check_outbox(now: datetime) -> str | None:
    """None unless an email has waited, due, for longer than READY_OUTBOX_MAX_OVERDUE_SECONDS.

    Measured from when it became due, not from when it was written: during an SMTP outage the worker
    backs off (the rows are not due), which is not stuck; a due row nobody sends means no worker runs.
    """
    limit = float(current_app.config["READY_OUTBOX_MAX_OVERDUE_SECONDS"])
    due_since = oldest_overdue(now)
    if due_since is not None and (now - due_since).total_seconds() > limit:
        return (
            f"an email has been due for {int((now - due_since).total_seconds())} s (limit {int(limit)} s): "
            "is the mail worker running?"
        )
    return None


def readiness(now: datetime) -> dict[str, str]:
    """Each check's result ("ok" or the problem), stopping at an unreachable database."""
    results: dict[str, str] = {}
    try:
        check_database()
    except Exception as error:  # unreachable, frozen past the bound, or refusing: not ready
        db.session.rollback()
        results["database"] = f"unreachable: {type(error).__name__}"
        return results
    results["database"] = "ok"
    for name, check in (("migrations", check_migrations), ("outbox", lambda: check_outbox(now))):
        try:
            problem = check()
        except Exception as error:
            db.session.rollback()
            problem = f"check failed: {type(error).__name__}"
        results[name] = problem or "ok"
    return results

"""send-reminders on the bulk data: statements, time and peak Python memory for one term, rolled back after.

Run by `python -m bench` (step 2b), or alone against any loaded database:
    DATABASE_URL=postgresql+psycopg://... ORDERS_ENV=development python -m bench.reminders
"""
from __future__ import annotations

import time
import tracemalloc

from devtools.sqlcount import StatementCounter


def measure_reminders() -> dict:
    """For the open term, each reminder kind as if nobody had been reminded yet: SQL statements, seconds,
    emails written and peak traced memory. Everything is rolled back, so the data stays as loaded."""
    from sqlalchemy import func, select

    from app import create_app
    from orders import clock
    from orders.domain.models import ReminderKind, Section, Term
    from orders.domain.periods import is_open
    from orders.domain.reminders.sending import send_term_reminders
    from orders.domain.reminders.students import STUDENT_KINDS, send_student_emails
    from orders.extensions import db

    app = create_app()
    results: dict[str, dict] = {}
    with app.app_context():
        now = clock.utcnow()
        term = next(t for t in db.session.scalars(select(Term)).unique() if is_open(t, now))
        sections = db.session.scalar(select(func.count()).select_from(Section).where(Section.term_id == term.id))
        db.session.rollback()
        for kind in ReminderKind:
            student = kind in STUDENT_KINDS
            for traced in (False, True):  # time without tracemalloc's overhead, memory with it
                if traced:
                    tracemalloc.start()
                started = time.perf_counter()
                with StatementCounter(db.engine) as counter:
                    # The student kinds as if their window were due now (the bulk window is open).
                    result = (
                        send_student_emails(term, kind, now=now)
                        if student
                        else send_term_reminders(term, kind, now=now)
                    )
                seconds = time.perf_counter() - started
                peak = tracemalloc.get_traced_memory()[1] if traced else None
                if traced:
                    tracemalloc.stop()
                    results[kind.value]["peak_mib"] = round(peak / 2**20, 1)
                else:
                    results[kind.value] = {
                        "term": term.name,
                        "sections": sections,
                        "emails": result.sent,
                        "instructors": 0 if student else result.instructors,
                        "coordinator_digests": 0 if student else result.coordinators,
                        "students": result.sent if student else 0,
                        "statements": counter.count,
                        "seconds": round(seconds, 2),
                        "statement_heads": [s.split("\n")[0][:100] for s in counter.statements],
                    }
                db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return results


def describe(results: dict) -> list[str]:
    def who(r: dict) -> str:
        if r.get("students"):
            return f"{r['students']:,} students"
        return f"{r['instructors']:,} instructors, {r['coordinator_digests']:,} coordinator digests"

    return [
        f"send-reminders, {r['term']} ({r['sections']:,} sections), {kind}: {r['emails']:,} emails "
        f"({who(r)}) in {r['statements']} SQL statements, {r['seconds']:.2f} s, peak Python memory {r['peak_mib']} MiB"
        for kind, r in results.items()
    ]


if __name__ == "__main__":
    for line in describe(measure_reminders()):
        print(line)

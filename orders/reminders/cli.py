"""flask --app app send-reminders [--loop]: run daily (cron), or keep running."""
from __future__ import annotations

import logging
import signal
import threading

import click
from flask import Flask

from orders import clock
from orders.extensions import db
from orders.institution import institution
from orders.reminders.sending import due_terms, send_term_reminders

log = logging.getLogger(__name__)


def run_once(now) -> list[str]:
    """Send every due reminder, committing per term and kind; returns one line per term for the log."""
    if not institution().reminders_enabled:
        db.session.rollback()
        return ["Reminders are turned off (institution setting \"Send reminder emails\"): nothing sent."]
    lines = []
    for term, kind in due_terms(now):
        result = send_term_reminders(term, kind, now=now)
        db.session.commit()
        lines.append(
            f"{term.name}: {kind.value} reminder written to the outbox for {result.sent} "
            f"({result.instructors} with their own courses, {result.coordinators} coordinator digests); "
            f"{result.skipped} already reminded."
        )
    db.session.commit()
    return lines or ["No reminder is due now."]


def register(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option("--loop", is_flag=True, help="Keep running, once every --interval hours (prefer a daily cron job).")
    @click.option("--interval", default=24.0, show_default=True, help="Hours between runs with --loop.")
    def send_reminders(loop: bool, interval: float) -> None:
        """Write the due reminder emails (SPEC section 4) to the outbox; each person gets each kind once per term."""
        if not loop:
            for line in run_once(clock.utcnow()):
                click.echo(line)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            try:
                for line in run_once(clock.utcnow()):
                    log.info(line)
            except Exception:  # the database blinked: log and try again next time; markers make reruns safe
                log.exception("Reminder run failed")
                db.session.rollback()
            db.session.remove()
            stop.wait(interval * 3600)

"""Command-line entry points: flask --app app seed-demo | seed-bulk | send-mail."""
from __future__ import annotations

import logging
import signal
import threading

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from orders import clock
from orders.domain.models import User
from orders.extensions import db

log = logging.getLogger(__name__)


def reset_schema() -> None:
    """Drop every table (the migration history included)."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("seed-demo")
    @click.option("--reset", is_flag=True, help="Drop all data first, then load the demo set again.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
    def seed_demo(reset: bool, if_empty: bool) -> None:
        """Create the schema through the migrations and load the demo data (no email is sent)."""
        from devtools.demo import load_demo

        if reset:
            reset_schema()
        upgrade()
        if db.session.scalar(select(User.id).limit(1)) is not None:
            if if_empty:
                click.echo("Demo data already present; nothing to do.")
                return
            raise click.ClickException("The database already has data. Use --reset to replace it with the demo set.")
        load_demo(clock.utcnow())
        db.session.commit()
        click.echo("Demo data loaded. Sign in as ada@demo.edu (or alan, emmy, grace, katherine) with password orders-demo.")

    @app.cli.command("send-mail")
    @click.option("--loop", is_flag=True, help="Keep delivering until stopped.")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle (with --loop).")
    @click.option("--retry-failed", is_flag=True, help="Put every failed email back in the queue (fresh attempts), print how many, and stop.")
    def send_mail(loop: bool, interval: float, retry_failed: bool) -> None:
        """Deliver pending outbox emails over SMTP, once or continuously."""
        from orders.domain.outbox import deliver_due

        if retry_failed:
            if loop:
                raise click.UsageError("--retry-failed runs once; start the worker (--loop) separately.")
            from orders.domain.failed_mail import retry_failed as requeue

            count = requeue(clock.utcnow())
            db.session.commit()
            click.echo(f"Queued {count} failed email{'' if count == 1 else 's'} again; the mail worker sends {'it' if count == 1 else 'them'} next.")
            return
        if not loop:
            sent, failed = deliver_due(clock.utcnow, limit=1000)
            click.echo(f"Sent {sent}, failed {failed}.")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.is_set():
            try:
                sent, failed = deliver_due(clock.utcnow)
            except Exception:  # the database blinked: log, back off, keep the worker alive
                log.exception("Mail delivery pass failed")
                db.session.rollback()
                sent = failed = 0
            if sent or failed:
                log.info("Sent %s, failed %s", sent, failed)
            else:
                stop.wait(interval)
            db.session.remove()

    @app.cli.command("seed-bulk")
    @click.option("--sections", default=20000, show_default=True, help="Course sections across six terms.")
    @click.option("--instructors", default=2000, show_default=True)
    @click.option("--coordinators", default=200, show_default=True)
    @click.option("--orders", default=50000, show_default=True, help="Placed (one per section at most) plus canceled orders.")
    @click.option("--students", default=30000, show_default=True, help="Students (0: none).")
    @click.option("--enrollments", default=120000, show_default=True, help="Enrollments across the students (open and closed term).")
    @click.option("--seed", default=1, show_default=True, help="Same seed and sizes, same data.")
    @click.option("--reset", is_flag=True, help="Drop all data first.")
    def seed_bulk(sections: int, instructors: int, coordinators: int, orders: int, students: int, enrollments: int,
                  seed: int, reset: bool) -> None:
        """Create the schema through the migrations and load institution-sized data for benchmarks (no email)."""
        import time

        from devtools import bulk

        if reset:
            reset_schema()
        upgrade()
        if db.session.scalar(select(User.id).limit(1)) is not None:
            raise click.ClickException("The database already has data. Use --reset to replace it with bulk data.")
        started = time.perf_counter()
        counts = bulk.generate(
            sections=sections, instructors=instructors, coordinators=coordinators, orders=orders, seed=seed, now=clock.utcnow(),
            students=students, enrollments=enrollments,
        )
        db.session.commit()
        bulk.analyze()
        click.echo(", ".join(f"{table} {count:,}" for table, count in counts.items()))
        click.echo(
            f"Bulk data loaded in {time.perf_counter() - started:.1f} s. Sign in as {bulk.ADMIN_EMAIL} or "
            f"{bulk.LARGE_COORDINATOR_EMAIL} (or the student {bulk.STUDENT_EMAIL}) with password {bulk.BULK_PASSWORD}."
        )

    @app.cli.command("mail-sink")
    @click.option("--port", default=None, type=int, help="Port to listen on (default: MAIL_PORT).")
    def mail_sink(port: int | None) -> None:
        """Development only: a local SMTP server that saves every email under instance/mail/."""
        import os

        from devtools.mailsink import serve

        serve(os.path.join(app.instance_path, "mail"), "127.0.0.1", port or app.config["MAIL_PORT"])

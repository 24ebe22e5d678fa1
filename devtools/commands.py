"""Development and benchmark commands: flask --app app seed-demo | seed-bulk | mail-sink.

Registered by app.py when devtools is present (a checkout); a deployment of the runtime package alone
has none of them.
"""
from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from orders import clock
from orders.cli.commands import reset_schema
from orders.domain.models import User
from orders.extensions import db


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("seed-demo")
    @click.option("--reset", is_flag=True, help="Drop all data first, then load the demo set again.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
    def seed_demo(reset: bool, if_empty: bool) -> None:
        """Create the schema through the migrations and load the demo data (no email is sent)."""
        from devtools.demo import greeting, load_demo

        if reset:
            reset_schema()
        upgrade()
        if db.session.scalar(select(User.id).limit(1)) is not None:
            if if_empty:
                click.echo(f"Demo data already present; nothing to do. {greeting()}")
                return
            raise click.ClickException("The database already has data. Use --reset to replace it with the demo set.")
        load_demo(clock.utcnow())
        if app.config.get("DEVELOPMENT"):  # the demo LMS at /dev-lms, registered as an LMS connection (docs/spec.md §5)
            from devtools.lms import register_demo_platform

            register_demo_platform(app.config["PUBLIC_BASE_URL"], clock.utcnow())
        db.session.commit()
        click.echo(f"Demo data loaded. {greeting()}")
        if app.config.get("DEVELOPMENT"):
            click.echo(
                f"The demo LMS: {app.config['PUBLIC_BASE_URL'].rstrip('/')}/dev-lms (launches the tool as Ada or Mary)."
            )

    @app.cli.command("seed-bulk")
    @click.option("--sections", default=20000, show_default=True, help="Course sections across six terms.")
    @click.option("--instructors", default=2000, show_default=True)
    @click.option("--coordinators", default=200, show_default=True)
    @click.option(
        "--orders", default=50000, show_default=True, help="Placed (one per section at most) plus canceled orders."
    )
    @click.option("--students", default=30000, show_default=True, help="Students (0: none).")
    @click.option(
        "--enrollments",
        default=120000,
        show_default=True,
        help="Enrollments across the students (open and closed term).",
    )
    @click.option("--seed", default=1, show_default=True, help="Same seed and sizes, same data.")
    @click.option("--reset", is_flag=True, help="Drop all data first.")
    def seed_bulk(
        sections: int,
        instructors: int,
        coordinators: int,
        orders: int,
        students: int,
        enrollments: int,
        seed: int,
        reset: bool,
    ) -> None:
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
            sections=sections,
            instructors=instructors,
            coordinators=coordinators,
            orders=orders,
            seed=seed,
            now=clock.utcnow(),
            students=students,
            enrollments=enrollments,
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

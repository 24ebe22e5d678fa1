"""Commands: flask --app app send-mail (the outbox worker) and reset_schema for the data loaders."""
from __future__ import annotations

import logging

import click
from flask import Flask

from orders import clock
from orders.extensions import db
from orders.worker.loop import run_until_stopped

log = logging.getLogger(__name__)


def reset_schema() -> None:
    """Drop every table (the migration history included)."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("send-mail")
    @click.option("--loop", is_flag=True, help="Keep delivering until stopped.")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between polls when idle (with --loop).")
    @click.option(
        "--retry-failed",
        is_flag=True,
        help="Put every failed email back in the queue (fresh attempts), print how many, and stop.",
    )
    def send_mail(loop: bool, interval: float, retry_failed: bool) -> None:
        """Deliver pending outbox emails over SMTP, once or continuously."""
        from orders.worker.delivery import deliver_due

        if retry_failed:
            if loop:
                raise click.UsageError("--retry-failed runs once; start the worker (--loop) separately.")
            from orders.domain.mail.failed import retry_failed as requeue

            count = requeue(clock.utcnow())
            db.session.commit()
            click.echo(
                f"Queued {count} failed email{'' if count == 1 else 's'} again; the mail worker sends "
                f"{'it' if count == 1 else 'them'} next."
            )
            return
        if not loop:
            sent, failed = deliver_due(clock.utcnow, limit=1000)
            click.echo(f"Sent {sent}, failed {failed}.")
            return

        def deliver() -> bool:
            sent, failed = deliver_due(clock.utcnow)
            if sent or failed:
                log.info("Sent %s, failed %s", sent, failed)
            return bool(sent or failed)

        run_until_stopped(deliver, idle_seconds=interval, what="Mail delivery pass")

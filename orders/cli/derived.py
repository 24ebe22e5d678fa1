"""Commands: flask --app app check-reach | check-counts [--repair]: the derived tables against the rule."""

from __future__ import annotations

import click
from flask import Flask

from orders.domain import reach_table, section_counts, upkeep
from orders.domain.models import Institution, ProgramMode
from orders.extensions import db


def _mode() -> ProgramMode:
    return db.session.scalar(db.select(Institution.program_mode).limit(1)) or ProgramMode.OPT_OUT


def register(app: Flask) -> None:
    """Attach the commands to the app."""

    @app.cli.command("check-reach")
    @click.option("--repair", is_flag=True, help="Rebuild the whole table from the rule when it drifted.")
    def check_reach(repair: bool) -> None:
        """Compare section_reach (who may see which section) with the rule; exit 1 on drift unless repaired."""
        found = reach_table.drift(db.session)
        _report(
            "section_reach",
            f"{found.missing:,} rows missing, {found.extra:,} rows extra",
            found,
            found.samples,
            repair,
            lambda: upkeep.everything_changed(db.session(), counts=False),
        )

    @app.cli.command("check-counts")
    @click.option("--repair", is_flag=True, help="Rebuild every section's counters from the rule when they drifted.")
    def check_counts(repair: bool) -> None:
        """Compare section_counts (Progress's per-section counters) with the rule; exit 1 on drift unless repaired."""
        found = section_counts.drift(db.session, _mode())
        _report(
            "section_counts",
            f"{found.differing:,} sections differ",
            found,
            found.samples,
            repair,
            lambda: upkeep.everything_changed(db.session(), reach=False),
        )


def _report(table: str, summary: str, drifted, samples: list[str], repair: bool, rebuild) -> None:
    """Print what differs; with --repair rebuild and commit, else exit 1 on drift."""
    if not drifted:
        click.echo(f"{table}: no drift.")
        db.session.rollback()
        return
    click.echo(f"{table}: drift: {summary}.")
    for line in samples:
        click.echo(f"  {line}")
    if not repair:
        db.session.rollback()
        raise click.ClickException(f"{table} drifted from the rule; run again with --repair to rebuild it.")
    rebuild()
    upkeep.apply(db.session())
    db.session.commit()
    click.echo(f"{table}: rebuilt from the rule.")

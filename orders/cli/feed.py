"""`flask --app app export-feed --term CODE (--full | --delta [--since TIMESTAMP]) [--out DIR]`."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import click
from flask import Flask, current_app

from orders import clock
from orders.domain.feed import FEED_VERSION
from orders.domain.feed.export import (
    BEGINNING,
    FeedPlan,
    FeedResult,
    plan_delta,
    plan_full,
    stage,
)
from orders.domain.formats.files import ExportError
from orders.domain.formats.times import iso_utc
from orders.domain.lookups import find_term
from orders.extensions import db

EARLIEST_SINCE = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST_SINCE = datetime(9000, 1, 1, tzinfo=timezone.utc)


def parse_since(value: str) -> datetime:
    """ISO 8601 date or date and time; without an offset it means UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
        moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time; use e.g. 2027-01-05T14:03:00Z or 2027-01-05.", param_hint="--since"
        ) from error
    except OverflowError as error:  # e.g. 9999-12-31T23:00-05:00: valid ISO 8601, but past year 9999 in UTC
        raise click.BadParameter(f"{value!r} is outside the years 1 to 9999 in UTC.", param_hint="--since") from error
    if not EARLIEST_SINCE <= moment <= LATEST_SINCE:  # the database and the feed's arithmetic hold these years
        raise click.BadParameter(
            f"{value!r} is outside the years {EARLIEST_SINCE.year} to {LATEST_SINCE.year}.", param_hint="--since"
        )
    return moment


def export(plan: FeedPlan, out_dir: str) -> FeedResult:
    """Stage the file, put it in place and commit; on any failure roll back and leave the directory as it was.

    The command owns the transaction (the domain only flushes): nothing is recorded unless the file is in place.
    """
    try:
        result = stage(plan, out_dir)
    except BaseException:
        db.session.rollback()
        raise
    staged = result.staged
    if staged is None:  # nothing changed in the window: no file, nothing recorded
        db.session.rollback()
        return result
    try:
        staged.place()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        staged.undo()
        raise
    staged.done()
    return result


def register(app: Flask) -> None:
    """Attach export-feed to the app."""

    @app.cli.command("export-feed")
    @click.option("--term", "term_code", required=True, help="The term's code, e.g. 202710.")
    @click.option("--full", is_flag=True, help="Every placed or canceled order of the term.")
    @click.option("--delta", is_flag=True, help="The orders changed since the term's previous delta (the first: all).")
    @click.option(
        "--since", default=None, help="With --delta: orders changed after this ISO 8601 time (UTC without an offset)."
    )
    @click.option("--out", "out_dir", default=None, help="Directory to write to (default: instance/feed/).")
    def export_feed(term_code: str, full: bool, delta: bool, since: str | None, out_dir: str | None) -> None:
        """Write the term's order feed CSV (docs/spec.md §6a), atomically; a delta with no change writes nothing."""
        if full == delta:
            raise click.UsageError("Choose exactly one of --full or --delta.")
        if since is not None and not delta:
            raise click.UsageError("--since goes with --delta only.")
        since_at = parse_since(since) if since is not None else None
        out_dir = out_dir or os.path.join(current_app.instance_path, "feed")
        now = clock.utcnow()
        try:
            term = find_term(term_code)
            plan = plan_delta(term, now, since_at) if delta else plan_full(term, now)
            result = export(plan, out_dir)
        except ExportError as error:
            raise click.ClickException(error.message) from error
        if result.path is None:
            click.echo(
                f"No order of {term.name} ({term.code}) changed after {iso_utc(plan.window_start)}; no file written."
            )
            return
        click.echo(
            f"Wrote {result.path}: {_count(result.rows, 'row')}, {_count(result.orders, 'order')} of {term.name}, "
            f"feed version {FEED_VERSION}."
        )
        if delta:
            click.echo(describe_window(plan))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def describe_window(plan) -> str:
    """What a delta covered, in words."""
    if plan.window_start == BEGINNING:
        return "The term's first delta: every order."
    text = f"Orders changed after {iso_utc(plan.window_start)}."
    if plan.since < plan.window_start:
        text += (
            " It replaces today's earlier delta file, so it also carries the orders changed after "
            f"{iso_utc(plan.since)}."
        )
    return text

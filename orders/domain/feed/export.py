"""Writing feed files and keeping each term's delta window in the database.

A delta covers the orders changed after the previous successful delta of its term ended (or after
`--since`). Its run claims that window by inserting a FeedRun row; the unique constraint on
(term, kind, window_start) means a second machine claiming the same window fails, so no window is
reported twice. Order of work: claim (flush), write a temporary file in the target directory (stage,
here), then the command renames it into place and commits. Anything failing before the commit rolls
the claim back and leaves no file behind; a failed commit removes the file again. The next delta then
covers the failed window.

A window is a span of `last_changed_at`, and a change reads its time before it commits: a cancel
waiting on a lock while a delta runs commits later with a time inside the delta's window. So a
delta also claims the term's change log (FeedChange rows no earlier delta claimed, written in each
change's own transaction) and reports those orders too, whatever their times.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import cast

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from orders.domain.changelog import reported_clause
from orders.domain.feed.rows import changed_at, csv_chunks, feed_rows
from orders.domain.formats.files import ExportError, OutputNotWritable, check_directory
from orders.domain.models import FeedChange, FeedKind, FeedRun, Order, Term
from orders.extensions import db

# The start of a term's first delta: before any order existed, so it covers every order.
BEGINNING = datetime(1970, 1, 1, tzinfo=timezone.utc)


class WindowTaken(ExportError):
    """Another run claimed the same delta window first."""


@dataclass(frozen=True)
class FeedPlan:
    """What one run will write: the term, the kind, its window and its file name."""

    term: Term
    kind: FeedKind
    window_start: datetime | None  # the claimed start (exclusive); None for a full
    since: datetime | None  # rows of orders changed after this; None for a full
    window_end: datetime  # the run's time
    file_name: str


@dataclass
class FeedResult:
    plan: FeedPlan
    rows: int = 0
    orders: int = 0
    path: str | None = None  # None: nothing changed, no file written
    stats: dict = field(default_factory=dict)
    staged: StagedFile | None = None  # the file to put in place when the transaction commits


def file_name(term: Term, kind: FeedKind, now: datetime) -> str:
    """YYYY-MM-DD-<term code>-order-feed-full.csv or -delta.csv, dated by the run's UTC date."""
    return f"{now.astimezone(timezone.utc):%Y-%m-%d}-{term.code}-order-feed-{kind.value}.csv"


def plan_full(term: Term, now: datetime) -> FeedPlan:
    """Every placed or canceled order of the term."""
    return FeedPlan(term, FeedKind.FULL, None, None, now, file_name(term, FeedKind.FULL, now))


def previous_delta_end(term: Term) -> datetime | None:
    """Where the term's last successful delta ended, if there was one."""
    return db.session.scalar(
        select(func.max(FeedRun.window_end)).where(FeedRun.term_id == term.id, FeedRun.kind == FeedKind.DELTA)
    )


def plan_delta(term: Term, now: datetime, since: datetime | None = None) -> FeedPlan:
    """The orders changed since the previous delta of the term (or `since`); the first covers all.

    A second delta on the same UTC day replaces that day's file, so its rows start where the day's
    first delta started: an unfetched earlier file loses nothing (the rows are snapshots, and a
    consumer reloading an order twice gets the same result). The claimed window still starts at
    `start`, and the run writes nothing unless an order changed in it.
    """
    name = file_name(term, FeedKind.DELTA, now)
    start = since if since is not None else (previous_delta_end(term) or BEGINNING)
    same_day = db.session.scalar(
        select(func.min(FeedRun.window_start)).where(
            FeedRun.term_id == term.id, FeedRun.kind == FeedKind.DELTA, FeedRun.file_name == name
        )
    )
    return FeedPlan(term, FeedKind.DELTA, start, min(start, same_day) if same_day else start, now, name)


def changed_since(term: Term, moment: datetime) -> bool:
    """Some placed or canceled order of the term changed after `moment`."""
    return bool(db.session.scalar(  # SELECT EXISTS always returns its one row; scalar() is typed Optional
        select(
            exists().where(
                Order.term_id == term.id,
                reported_clause(),
                changed_at() > moment,
            )
        )
    ))


def unclaimed_changes(term: Term) -> bool:
    """Some change to an order of the term is in the change log and no delta has claimed it yet."""
    # SELECT EXISTS always returns its one row; scalar() is typed Optional.
    return bool(
        db.session.scalar(select(exists().where(FeedChange.term_id == term.id, FeedChange.feed_run_id.is_(None))))
    )


@dataclass(frozen=True)
class ClaimedChanges:
    """The orders a delta carries from the change log, and from when their removed rows are reported."""

    order_ids: object  # a SELECT of order ids
    removed_after: datetime | None


def _claim_changes(plan: FeedPlan, run: FeedRun) -> ClaimedChanges:
    """Claim the term's unclaimed change log for this run; the orders are those of today's runs of this file.

    A change still uncommitted is invisible here and stays unclaimed for the next delta. Rows of
    runs whose file has been superseded by another day's are no longer needed and are deleted.
    """
    same_file = select(FeedRun.id).where(
        FeedRun.term_id == plan.term.id, FeedRun.kind == FeedKind.DELTA, FeedRun.file_name == plan.file_name
    )
    db.session.execute(
        update(FeedChange)
        .where(FeedChange.term_id == plan.term.id, FeedChange.feed_run_id.is_(None))
        .values(feed_run_id=run.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(FeedChange)
        .where(
            FeedChange.term_id == plan.term.id,
            FeedChange.feed_run_id.is_not(None),
            FeedChange.feed_run_id.not_in(same_file),
        )
        .execution_options(synchronize_session=False)
    )
    claimed = FeedChange.feed_run_id.in_(same_file)
    earliest = db.session.scalar(select(func.min(FeedChange.changed_at)).where(claimed))
    # An edit's removed rows carry the edit's own time: report those of every claimed change.
    since = cast(datetime, plan.since)  # only a delta claims changes, and a delta's plan has its since
    removed_after = since if earliest is None else min(since, earliest - timedelta(microseconds=1))
    return ClaimedChanges(select(FeedChange.order_id).where(claimed), removed_after)


def _claim(plan: FeedPlan) -> FeedRun:
    """Insert the run's row now: a concurrent run claiming the same window waits, then fails here."""
    run = FeedRun(
        term_id=plan.term.id,
        kind=plan.kind,
        window_start=plan.window_start,
        window_end=plan.window_end,
        rows=0,
        file_name=plan.file_name,
        created_at=plan.window_end,
    )
    # Worded before the flush: once it fails, the session loads nothing until the caller rolls back.
    start = f"{plan.window_start:%Y-%m-%dT%H:%M:%SZ}" if plan.window_start else "at the beginning"
    taken = (
        f"Another export already claimed the {plan.term.code} delta window starting {start}; this run wrote nothing."
    )
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError as error:  # the caller rolls the transaction back
        raise WindowTaken(taken) from error
    return run


def _write_temporary(plan: FeedPlan, out_dir: str, stats: dict, claimed: ClaimedChanges | None) -> str:
    """The whole file under a hidden temporary name in the target directory, flushed to disk."""
    handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{plan.file_name}.", suffix=".tmp")
    rows = feed_rows(
        db.session.connection(),
        plan.term.id,
        plan.since,
        *((claimed.order_ids, claimed.removed_after) if claimed else ()),
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for chunk in csv_chunks(rows, stats):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; consumers read it as another user
    except BaseException:
        _unlink(temporary)
        raise
    return temporary


def _unlink(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


@dataclass
class StagedFile:
    """A feed file written whole under a temporary name beside its target, to be put in place just before
    the run's transaction commits (place), and taken back if the commit fails (undo)."""

    temporary: str
    target: str
    previous: str | None = None
    placed: bool = False

    def place(self) -> None:
        """Rename the file into place, keeping a second name for a file it replaces."""
        self.previous = _keep_previous(self.target)
        try:
            os.replace(self.temporary, self.target)
        except OSError as error:
            raise OutputNotWritable(f"Cannot write {self.target}: {error.strerror or error}.") from error
        self.placed = True

    def undo(self) -> None:
        """The transaction did not commit: leave the directory as it was before the run."""
        if not self.placed:
            _unlink(self.temporary)
        elif self.previous:
            os.replace(self.previous, self.target)  # the earlier file of that name, as it was
            self.previous = None
        else:
            _unlink(self.target)
        _unlink(self.previous)

    def done(self) -> None:
        """The transaction committed: drop the earlier file's second name."""
        _unlink(self.previous)


def stage(plan: FeedPlan, out_dir: str) -> FeedResult:
    """Claim the window and write the file under a temporary name; flushes, never commits.

    The caller (the export-feed command) ends the transaction: it places the staged file, commits, and
    on any failure rolls back and undoes the file, so nothing is recorded unless the file is in place.
    A delta with no changed order stages nothing (result.staged is None): no file, and the window stays open.
    """
    result = FeedResult(plan)
    check_directory(out_dir)
    delta = plan.kind is FeedKind.DELTA
    # Only a full has no window start; `delta` is checked first.
    if delta and not changed_since(plan.term, cast(datetime, plan.window_start)) and not unclaimed_changes(plan.term):
        return result
    run = _claim(plan)
    claimed = _claim_changes(plan, run) if delta else None
    try:
        temporary = _write_temporary(plan, out_dir, result.stats, claimed)
    except OSError as error:
        raise OutputNotWritable(f"Cannot write the feed file in {out_dir}: {error.strerror or error}.") from error
    result.rows, result.orders = result.stats["rows"], result.stats["orders"]
    if delta and result.rows == 0:  # the changes rolled back meanwhile
        _unlink(temporary)
        return result
    run.rows = result.rows
    db.session.flush()
    result.staged = StagedFile(temporary, os.path.join(out_dir, plan.file_name))
    result.path = result.staged.target
    return result


def _keep_previous(target: str) -> str | None:
    """A second name for an existing file of the same name, to put it back if the commit fails."""
    if not os.path.exists(target):
        return None
    keep = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.previous")
    try:
        _unlink(keep)
        os.link(target, keep)
    except OSError:
        return None
    return keep

"""Writing the billing feed file atomically: a hidden temporary name in the target directory, then a rename.

The file is a snapshot of the term's choices at the run's time; it records nothing in the database,
so it may be written any number of times (the bursar takes the latest).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

from orders.domain.billing.rows import billing_rows, csv_chunks
from orders.domain.formats.files import OutputNotWritable, check_directory
from orders.domain.models import ProgramMode, Term
from orders.extensions import db


@dataclass
class BillingResult:
    path: str
    rows: int = 0
    billable: int = 0
    stats: dict = field(default_factory=dict)


def file_name(term: Term, now: datetime) -> str:
    """YYYY-MM-DD-<term code>-student-billing.csv, dated by the run's UTC date."""
    return f"{now.astimezone(timezone.utc):%Y-%m-%d}-{term.code}-student-billing.csv"


def export(term: Term, mode: ProgramMode, now: datetime, out_dir: str) -> BillingResult:
    """Write the file under a temporary name, fsync, rename into place; on any failure no file is left."""
    check_directory(out_dir)
    name = file_name(term, now)
    handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
    stats: dict = {}
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            for chunk in csv_chunks(billing_rows(db.session.connection(), term, mode, now), stats):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the bursar's job reads it as another user
        target = os.path.join(out_dir, name)
        os.replace(temporary, target)
    except OSError as error:
        _unlink(temporary)
        raise OutputNotWritable(f"Cannot write the billing file in {out_dir}: {error.strerror or error}.") from error
    except BaseException:
        _unlink(temporary)
        raise
    return BillingResult(target, stats["rows"], stats["billable"], stats)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

"""`export-feed` on the demo data, compared byte for byte with golden files, plus its exit codes.

The story: full and first delta; an edit (a line and a section removed, a line added); a content
request submitted, then approved; a cancel; a full at the end. Times are frozen (tests/feed_story.py),
so the files are deterministic. UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from orders import clock
from orders.extensions import db
from orders.feed.export import BEGINNING
from orders.models import FeedKind, FeedRun, OrderStatus
from tests import feed_story as story
from tests.feed_story import SPRING, at

GOLDEN = Path(__file__).resolve().parent.parent / "feed_golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture
def frozen_demo(app):
    with app.app_context():
        story.load_frozen_demo()
        db.session.remove()


@pytest.fixture
def export(app, tmp_path, monkeypatch):
    """export("--full", at=...) runs the command at that moment into tmp_path; returns the result."""

    def run(*args: str, at, out: Path | None = None):
        monkeypatch.setattr(clock, "utcnow", lambda: at)
        return app.test_cli_runner().invoke(args=["export-feed", "--term", SPRING, *args, "--out", str(out or tmp_path)])

    return run


def change(app, *steps) -> None:
    """Apply story steps, e.g. (story.cancel, 1001, "ada", at(...)), in one committed transaction."""
    with app.app_context():
        for step, *args in steps:
            step(*args)
        db.session.commit()
        db.session.remove()


def check_golden(path: Path, golden_name: str) -> None:
    written = path.read_bytes()
    golden = GOLDEN / golden_name
    if UPDATE:
        golden.write_bytes(written)
    assert written == golden.read_bytes(), f"{path.name} differs from {golden_name}:\n{written.decode()}"


def test_golden_story(app, frozen_demo, export, tmp_path):
    with app.app_context():  # a draft and a discarded draft on Spring sections: never in any file
        story.draft("150", "001", at("2026-11-19T10:00"))
        story.draft("150", "002", at("2026-11-19T11:00"), status=OrderStatus.DISCARDED)
        db.session.commit()
        db.session.remove()

    result = export("--full", at=at("2026-11-20T16:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-20-202710-order-feed-full.csv", "01-full.csv")

    result = export("--delta", at=at("2026-11-20T16:00"))
    assert result.exit_code == 0, result.output
    assert "first delta" in result.output
    check_golden(tmp_path / "2026-11-20-202710-order-feed-delta.csv", "02-delta-first.csv")

    before = (tmp_path / "2026-11-20-202710-order-feed-delta.csv").stat().st_mtime_ns
    result = export("--delta", at=at("2026-11-20T17:00"))
    assert result.exit_code == 0, result.output
    assert "No order of Spring 2027 (202710) changed after 2026-11-20T16:00:00Z; no file written." in result.output
    assert (tmp_path / "2026-11-20-202710-order-feed-delta.csv").stat().st_mtime_ns == before

    # An edit of #1002 (a line removed, one added) and of #1001 (section 002 removed).
    change(app, (story.remove_line, 1002, "Automata, Computability and Complexity", at("2026-11-21T09:30")),
           (story.add_line, 1002, "Think Python", at("2026-11-21T09:30")),
           (story.remove_section, 1001, "002", at("2026-11-21T10:15")))
    result = export("--delta", at=at("2026-11-22T02:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-22-202710-order-feed-delta.csv", "03-delta-after-edit.csv")

    change(app, (story.request_title, 1002, "Grokking Algorithms, 2nd \"new\" edition", "9781633438538", at("2026-11-22T11:00")))
    result = export("--delta", at=at("2026-11-23T02:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-23-202710-order-feed-delta.csv", "04-delta-request-submitted.csv")

    change(app, (story.approve_request, 1002, "Grokking Algorithms, 2nd \"new\" edition",
                 "Structure and Interpretation of Computer Programs", at("2026-11-23T15:45")))
    result = export("--delta", at=at("2026-11-24T02:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-24-202710-order-feed-delta.csv", "05-delta-after-approval.csv")

    change(app, (story.cancel, 1001, "ada", at("2026-11-24T16:20")))
    result = export("--delta", at=at("2026-11-25T02:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-25-202710-order-feed-delta.csv", "06-delta-after-cancel.csv")

    result = export("--full", at=at("2026-11-25T03:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-25-202710-order-feed-full.csv", "07-full-after-all.csv")

    with app.app_context():
        runs = db.session.scalars(select(FeedRun).order_by(FeedRun.id)).all()
        deltas = [(r.window_start, r.window_end, r.rows) for r in runs if r.kind is FeedKind.DELTA]
        fulls = [(r.window_start, r.rows, r.file_name) for r in runs if r.kind is FeedKind.FULL]
    assert deltas == [
        (BEGINNING, at("2026-11-20T16:00"), 4),
        (at("2026-11-20T16:00"), at("2026-11-22T02:00"), 5),
        (at("2026-11-22T02:00"), at("2026-11-23T02:00"), 3),
        (at("2026-11-23T02:00"), at("2026-11-24T02:00"), 3),
        (at("2026-11-24T02:00"), at("2026-11-25T02:00"), 1),
    ]
    assert fulls == [(None, 4, "2026-11-20-202710-order-feed-full.csv"), (None, 4, "2026-11-25-202710-order-feed-full.csv")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["2026-11-20-202710-order-feed-full.csv", "2026-11-20-202710-order-feed-delta.csv",
         "2026-11-22-202710-order-feed-delta.csv", "2026-11-23-202710-order-feed-delta.csv",
         "2026-11-24-202710-order-feed-delta.csv", "2026-11-25-202710-order-feed-delta.csv",
         "2026-11-25-202710-order-feed-full.csv"]
    ), "no temporary or backup file is left behind"

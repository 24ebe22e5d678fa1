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
from orders.domain.feed.export import BEGINNING
from orders.domain.models import FeedKind, FeedRun, OrderStatus
from orders.extensions import db
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
        return app.test_cli_runner().invoke(
            args=["export-feed", "--term", SPRING, *args, "--out", str(out or tmp_path)]
        )

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
    change(
        app,
        (story.remove_line, 1002, "Automata, Computability and Complexity", at("2026-11-21T09:30")),
        (story.add_line, 1002, "Think Python", at("2026-11-21T09:30")),
        (story.remove_section, 1001, "002", at("2026-11-21T10:15")),
    )
    result = export("--delta", at=at("2026-11-22T02:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-22-202710-order-feed-delta.csv", "03-delta-after-edit.csv")

    change(
        app,
        (story.request_title, 1002, 'Grokking Algorithms, 2nd "new" edition', "9781633438538", at("2026-11-22T11:00")),
    )
    result = export("--delta", at=at("2026-11-23T02:00"))
    assert result.exit_code == 0, result.output
    check_golden(tmp_path / "2026-11-23-202710-order-feed-delta.csv", "04-delta-request-submitted.csv")

    change(
        app,
        (
            story.approve_request,
            1002,
            'Grokking Algorithms, 2nd "new" edition',
            "Structure and Interpretation of Computer Programs",
            at("2026-11-23T15:45"),
        ),
    )
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
    assert fulls == [
        (None, 4, "2026-11-20-202710-order-feed-full.csv"),
        (None, 4, "2026-11-25-202710-order-feed-full.csv"),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            "2026-11-20-202710-order-feed-full.csv",
            "2026-11-20-202710-order-feed-delta.csv",
            "2026-11-22-202710-order-feed-delta.csv",
            "2026-11-23-202710-order-feed-delta.csv",
            "2026-11-24-202710-order-feed-delta.csv",
            "2026-11-25-202710-order-feed-delta.csv",
            "2026-11-25-202710-order-feed-full.csv",
        ]
    ), "no temporary or backup file is left behind"


def feed_runs(app) -> list[FeedRun]:
    with app.app_context():
        runs = db.session.scalars(select(FeedRun).order_by(FeedRun.id)).all()
        db.session.remove()
    return runs


@pytest.mark.parametrize(
    "args, message",
    [
        (["--term", "999999", "--full"], "No term has the code '999999'. Known term codes: 202630, 202710, 202750."),
        (["--term", SPRING], "Choose exactly one of --full or --delta."),
        (["--term", SPRING, "--full", "--delta"], "Choose exactly one of --full or --delta."),
        (["--term", SPRING, "--full", "--since", "2026-11-01"], "--since goes with --delta only."),
        (["--term", SPRING, "--delta", "--since", "last tuesday"], "is not an ISO 8601 time"),
    ],
)
def test_refusals_exit_non_zero_and_write_nothing(app, frozen_demo, tmp_path, args, message):
    result = app.test_cli_runner().invoke(args=["export-feed", *args, "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert message in result.output
    assert list(tmp_path.iterdir()) == [] and feed_runs(app) == []


def test_an_unwritable_directory_exits_non_zero_and_records_nothing(app, frozen_demo, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = app.test_cli_runner().invoke(
        args=["export-feed", "--term", SPRING, "--delta", "--out", str(blocker / "feed")]
    )
    assert result.exit_code == 1
    assert "Cannot create the output directory" in result.output and "Not a directory" in result.output
    assert feed_runs(app) == []


def test_default_directory_is_instance_feed(app, frozen_demo, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setattr(clock, "utcnow", lambda: at("2026-11-20T16:00"))
    result = app.test_cli_runner().invoke(args=["export-feed", "--term", SPRING, "--full"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "feed" / "2026-11-20-202710-order-feed-full.csv").exists()


def test_a_failed_write_records_nothing_and_the_next_delta_covers_its_window(
    app, frozen_demo, export, tmp_path, monkeypatch
):
    import orders.domain.feed.export as feed_export

    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(feed_export.os, "replace", broken_replace)
        result = export("--delta", at=at("2026-11-20T16:00"))
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert list(tmp_path.iterdir()) == [], "the temporary file is removed"
    assert feed_runs(app) == []
    result = export("--delta", at=at("2026-11-21T16:00"))
    assert result.exit_code == 0 and "first delta" in result.output
    assert [(r.window_start, r.rows) for r in feed_runs(app)] == [(BEGINNING, 4)]


def test_a_failed_commit_removes_the_file_again(app, frozen_demo, export, tmp_path, monkeypatch):
    from sqlalchemy.orm import Session

    def failing_commit(self):
        raise RuntimeError("connection lost at commit")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        result = export("--full", at=at("2026-11-20T16:00"))
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert list(tmp_path.iterdir()) == []
    assert feed_runs(app) == []


def test_a_failed_commit_puts_back_the_earlier_file_of_that_name(app, frozen_demo, export, tmp_path, monkeypatch):
    from sqlalchemy.orm import Session

    assert export("--delta", at=at("2026-11-20T16:00")).exit_code == 0
    path = tmp_path / "2026-11-20-202710-order-feed-delta.csv"
    earlier = path.read_bytes()
    change(app, (story.cancel, 1002, "grace", at("2026-11-20T18:00")))
    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", lambda self: (_ for _ in ()).throw(RuntimeError("commit failed")))
        assert export("--delta", at=at("2026-11-20T19:00")).exit_code != 0
    assert path.read_bytes() == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert len(feed_runs(app)) == 1


def test_a_second_delta_the_same_day_replaces_the_file_and_keeps_its_orders(app, frozen_demo, export, tmp_path):
    change(app, (story.cancel, 1001, "ada", at("2026-11-20T20:00")))
    assert export("--delta", at=at("2026-11-20T16:00")).exit_code == 0  # the first: every order
    change(app, (story.remove_line, 1002, "Automata, Computability and Complexity", at("2026-11-20T21:00")))
    assert export("--delta", at=at("2026-11-20T21:30")).exit_code == 0
    assert export("--delta", at=at("2026-11-21T00:30")).exit_code == 0  # nothing changed: no file
    change(app, (story.add_line, 1002, "Think Python", at("2026-11-20T22:00")))
    result = export("--delta", at=at("2026-11-20T23:00"))
    assert result.exit_code == 0, result.output
    assert "replaces today's earlier delta file" in result.output
    text = (tmp_path / "2026-11-20-202710-order-feed-delta.csv").read_text()
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["1001", "1001", "1002", "1002", "1002"]
    windows = [(r.window_start, r.window_end) for r in feed_runs(app)]
    assert windows == [
        (BEGINNING, at("2026-11-20T16:00")),
        (at("2026-11-20T16:00"), at("2026-11-20T21:30")),
        (at("2026-11-20T21:30"), at("2026-11-20T23:00")),
    ]


def test_since_without_offset_means_utc_and_with_offset_is_converted(app, frozen_demo, export, tmp_path):
    # #1002 was placed 2026-11-14T15:00Z, #1001 on 2026-11-08.
    result = export("--delta", "--since", "2026-11-14T14:59", at=at("2026-11-20T16:00"))
    assert "Orders changed after 2026-11-14T14:59:00Z." in result.output
    assert "2 rows, 1 order of Spring 2027" in result.output
    result = export("--delta", "--since", "2026-11-14T09:01-06:00", at=at("2026-11-21T16:00"))
    assert "No order of Spring 2027 (202710) changed after 2026-11-14T15:01:00Z; no file written." in result.output
    result = export("--delta", "--since", "2026-11-14T14:59", at=at("2026-11-22T16:00"))
    assert result.exit_code == 1 and "already claimed" in result.output, "one window, one run"


def test_sections_removed_by_the_sis_are_reported_deleted(app, frozen_demo, export, tmp_path):
    from orders.domain.models import Section, SectionState

    with app.app_context():
        section = db.session.scalars(select(Section).where(Section.sis_id == "202710-MATH-221-002")).one()
        section.state = SectionState.REMOVED
        db.session.commit()
        db.session.remove()
    assert export("--full", at=at("2026-11-20T16:00")).exit_code == 0
    rows = (tmp_path / "2026-11-20-202710-order-feed-full.csv").read_text().splitlines()[1:]
    flags = {(row.split(",")[0], row.split(",")[3]): row.split(",")[4] for row in rows}
    assert flags == {
        ("1001", "202710-MATH-221-001"): "false",
        ("1001", "202710-MATH-221-002"): "true",
        ("1002", "202710-CS-310-001"): "false",
    }


def test_files_are_utf8_rfc_4180_with_crlf_line_endings_and_quoted_fields(app, frozen_demo, export, tmp_path):
    change(
        app,
        (
            story.request_title,
            1002,
            "Gödel, Escher, Bach:\nan “Eternal” Golden Braid",
            "9780465026562",
            at("2026-11-20T15:30"),
        ),
    )
    assert export("--full", at=at("2026-11-20T16:00")).exit_code == 0
    data = (tmp_path / "2026-11-20-202710-order-feed-full.csv").read_bytes()
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == data.count(b"\n") - 1  # the one bare LF is the title's
    assert '"Gödel, Escher, Bach:\nan “Eternal” Golden Braid"'.encode() in data
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert {len(row) for row in rows} == {18}
    assert rows[-1][15] == "Gödel, Escher, Bach:\nan “Eternal” Golden Braid"


def test_a_cancel_reaches_the_delta_even_if_last_changed_at_did_not_move(app, frozen_demo, export, tmp_path):
    assert export("--delta", at=at("2026-11-20T16:00")).exit_code == 0
    with app.app_context():
        o = story.order(1002)
        o.status, o.canceled_at, o.canceled_by_id = OrderStatus.CANCELED, at("2026-11-20T18:00"), story.user("grace").id
        db.session.commit()
        db.session.remove()
    result = export("--delta", at=at("2026-11-21T02:00"))
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "2026-11-21-202710-order-feed-delta.csv").read_text().splitlines()[1:]
    assert [r.split(",")[:5] for r in rows] == [
        ["1002", "2026-11-14T15:00:00Z", "2026-11-20T18:00:00Z", "202710-CS-310-001", "true"]
    ] * 2

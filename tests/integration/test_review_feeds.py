"""The order feed and the billing feed skip what awaits approval (docs/spec.md §8), compared byte for byte with golden
files: Sophie's #1005 (MATH 110 001, awaiting approval in the demo) is in neither until Emmy approves it; then the next
delta carries it and the billing feed bills its students. An order returned and then withdrawn before anyone approved
it never reaches either. Times are frozen (tests/feed_story.py). UPDATE_GOLDEN=1 rewrites the golden files."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from orders import clock
from orders.domain.models import Enrollment, EnrollmentState, OrderStatus, Section
from orders.domain.ordering import canceling, drafts
from orders.domain.review import deciding
from orders.domain.review.royalty import NO_ROYALTY
from orders.extensions import db
from tests import feed_story as story
from tests.feed_story import SPRING, at

GOLDEN = Path(__file__).resolve().parent.parent / "feed_golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
MATH110 = f"{SPRING}-MATH-110-001"


@pytest.fixture
def frozen_demo(app):
    with app.app_context():
        story.load_frozen_demo()
        section = db.session.scalars(select(Section).where(Section.sis_id == MATH110)).unique().one()
        for student in ("mary", "student01"):  # two students of MATH 110 001, enrolled before the window opened
            db.session.add(
                Enrollment(
                    user_id=story.user(student).id,
                    section_id=section.id,
                    state=EnrollmentState.ENROLLED,
                    enrolled_at=at("2026-11-01T09:00"),
                )
            )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def run(app, tmp_path, monkeypatch):
    """run("export-feed", "--full", at=...): a command at that moment, writing into tmp_path."""

    def command(name: str, *args: str, at):
        monkeypatch.setattr(clock, "utcnow", lambda: at)
        return app.test_cli_runner().invoke(args=[name, "--term", SPRING, *args, "--out", str(tmp_path)])

    return command


def check_golden(path: Path, golden_name: str) -> str:
    written = path.read_bytes()
    golden = GOLDEN / golden_name
    if UPDATE:
        golden.write_bytes(written)
    assert written == golden.read_bytes(), f"{path.name} differs from {golden_name}:\n{written.decode()}"
    return written.decode()


def sections_of(text: str, column: str) -> set[str]:
    return {row[column] for row in csv.DictReader(text.splitlines())}


def test_feeds_skip_orders_awaiting_approval(app, frozen_demo, run, tmp_path):
    result = run("export-feed", "--full", at=at("2026-11-20T16:00"))
    assert result.exit_code == 0, result.output
    full = check_golden(tmp_path / "2026-11-20-202710-order-feed-full.csv", "review-01-full-while-awaiting.csv")
    assert MATH110 not in sections_of(full, "sis_section_id") and "\r\n1005," not in full
    assert run("export-feed", "--delta", at=at("2026-11-20T16:00")).exit_code == 0  # the first delta: everything placed
    result = run("export-billing", at=at("2026-11-20T16:00"))
    assert result.exit_code == 0, result.output
    billing = check_golden(tmp_path / "2026-11-20-202710-student-billing.csv", "review-billing-01-while-awaiting.csv")
    assert MATH110 not in sections_of(billing, "sis_section_id")

    with app.app_context():  # Emmy approves #1005
        order = story.order(1005)
        done = deciding.approve_order(
            order, actor=story.user("emmy"), now=at("2026-11-21T09:00"), request_id=None, expected_version=1
        )
        assert done.changed
        db.session.commit()
        db.session.remove()
    result = run("export-feed", "--delta", at=at("2026-11-21T10:00"))
    assert result.exit_code == 0, result.output
    delta = check_golden(tmp_path / "2026-11-21-202710-order-feed-delta.csv", "review-02-delta-after-approval.csv")
    assert sections_of(delta, "sis_section_id") == {MATH110}  # only the approved order changed
    result = run("export-billing", at=at("2026-11-21T10:00"))
    billing = check_golden(tmp_path / "2026-11-21-202710-student-billing.csv", "review-billing-02-after-approval.csv")
    assert [
        row["student_email"] for row in csv.DictReader(billing.splitlines()) if row["sis_section_id"] == MATH110
    ] == ["mary@demo.edu", "student01@demo.edu"]

    with app.app_context():  # Ada orders MATH 221 003: it waits; Emmy returns it; Ada withdraws it
        ada, emmy = story.user("ada"), story.user("emmy")
        section_003 = (
            db.session.scalars(select(Section).where(Section.sis_id == f"{SPRING}-MATH-221-003")).unique().one()
        )
        draft = drafts.new_draft(
            ada, section_003.course, section_003.term, [section_003], now=at("2026-11-22T09:00"), request_id=None
        )
        drafts.add_item(draft, story.item("Thomas' Calculus").id, at("2026-11-22T09:01"))
        placed = drafts.place_draft(draft, actor=ada, now=at("2026-11-22T09:02"), request_id=None, royalty=NO_ROYALTY)
        assert placed.status is OrderStatus.AWAITING_APPROVAL
        deciding.return_order(
            placed,
            "Use the 9th edition",
            actor=emmy,
            now=at("2026-11-22T10:00"),
            request_id=None,
            expected_version=placed.version,
        )
        withdrawn = canceling.cancel_order(placed, actor=ada, now=at("2026-11-22T11:00"), request_id=None)
        assert withdrawn.changed and placed.status is OrderStatus.CANCELED and placed.placed_at is None
        db.session.commit()
        db.session.remove()
    result = run("export-feed", "--delta", at=at("2026-11-22T12:00"))
    assert result.exit_code == 0, result.output
    assert "no file written" in result.output  # never placed: never in the feed, not even as canceled
    result = run("export-feed", "--full", at=at("2026-11-22T12:00"))
    full = check_golden(tmp_path / "2026-11-22-202710-order-feed-full.csv", "review-03-full-after-all.csv")
    assert f"{SPRING}-MATH-221-003" not in sections_of(full, "sis_section_id")

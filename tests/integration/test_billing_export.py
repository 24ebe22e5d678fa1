"""`export-billing` on the demo data, compared byte for byte with golden files, plus its refusals.

The story (demo loaded at tests/feed_story.FROZEN; Spring's choice window opened 5 days earlier, Sofia
dropped CS 310 two days after that): Mary opts out of a CS 310 line and back in; a Program
Administrator opts student07 out with a reason; student14 drops CS 310 after the window opened and
student16 dropped MATH 221 002 before it; the zero-cost OER text joins order #1001; a content request on
#1002 is approved (it bills as its item). Then the window closes (final) and the institution switches
to opt-in mode. UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from orders import clock
from orders.domain.billing.rows import COLUMNS
from orders.domain.models import (
    ChoiceEvent,
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    Institution,
    ProgramMode,
    Section,
    StudentChoice,
)
from orders.extensions import db
from tests import feed_story as story
from tests.feed_story import SPRING, at

GOLDEN = Path(__file__).resolve().parent.parent / "feed_golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CS310 = f"{SPRING}-CS-310-001"
MATH221_002 = f"{SPRING}-MATH-221-002"
TOC = "Introduction to the Theory of Computation"
AUTOMATA = "Automata, Computability and Complexity"


@pytest.fixture
def frozen_demo(app):
    with app.app_context():
        story.load_frozen_demo()
        db.session.remove()


@pytest.fixture
def export(app, tmp_path, monkeypatch):
    """export(at=...) runs the command at that moment into tmp_path."""

    def run(*, at, out: Path | None = None, term: str = SPRING):
        monkeypatch.setattr(clock, "utcnow", lambda: at)
        return app.test_cli_runner().invoke(args=["export-billing", "--term", term, "--out", str(out or tmp_path)])

    return run


def section(sis_id: str) -> Section:
    return db.session.scalars(select(Section).where(Section.sis_id == sis_id)).unique().one()


def choose(
    student: str, section_sis: str, title: str, value: ChoiceValue, by: str, moment, reason: str | None = None
) -> None:
    """A choice recorded the way the choice service records it: the standing row and its event."""
    who, actor, s, item = story.user(student), story.user(by), section(section_sis), story.item(title)
    row = db.session.scalars(
        select(StudentChoice).where(
            StudentChoice.user_id == who.id, StudentChoice.section_id == s.id, StudentChoice.catalog_item_id == item.id
        )
    ).first()
    previous = row.choice if row else None
    if row is None:
        row = StudentChoice(
            user_id=who.id,
            section_id=s.id,
            catalog_item_id=item.id,
            choice=value,
            decided_at=moment,
            decided_by_id=actor.id,
            reason=reason,
        )
        db.session.add(row)
    else:
        row.choice, row.decided_at, row.decided_by_id, row.reason, row.version = (
            value,
            moment,
            actor.id,
            reason,
            row.version + 1,
        )
    db.session.add(
        ChoiceEvent(
            user_id=who.id,
            section_id=s.id,
            catalog_item_id=item.id,
            previous=previous,
            choice=value,
            actor_id=actor.id,
            reason=reason,
            occurred_at=moment,
        )
    )


def drop(student: str, section_sis: str, moment) -> None:
    """The SIS import dropped the enrollment."""
    enrollment = db.session.scalars(
        select(Enrollment).where(
            Enrollment.user_id == story.user(student).id, Enrollment.section_id == section(section_sis).id
        )
    ).one()
    enrollment.state, enrollment.dropped_at = EnrollmentState.DROPPED, moment


def set_mode(mode: ProgramMode) -> None:
    db.session.scalars(select(Institution)).one().program_mode = mode


def change(app, *steps) -> None:
    with app.app_context():
        for step, *args in steps:
            step(*args)
        db.session.commit()
        db.session.remove()


def check_golden(path: Path, golden_name: str) -> list[dict]:
    written = path.read_bytes()
    golden = GOLDEN / golden_name
    if UPDATE:
        golden.write_bytes(written)
    assert written == golden.read_bytes(), f"{path.name} differs from {golden_name}:\n{written.decode()}"
    return list(csv.DictReader(written.decode().splitlines()))


def rows_of(rows: list[dict], email: str, section_sis: str | None = None) -> list[dict]:
    return [
        r for r in rows if r["student_email"] == email and (section_sis is None or r["sis_section_id"] == section_sis)
    ]


def test_golden_story(app, frozen_demo, export, tmp_path):
    result = export(at=at("2026-11-20T16:00"))
    assert result.exit_code == 0, result.output
    assert (
        f"Wrote {tmp_path / '2026-11-20-202710-student-billing.csv'}: 28 rows of Spring 2027, 21 billable"
        in result.output
    )
    rows = check_golden(tmp_path / "2026-11-20-202710-student-billing.csv", "billing-01-demo.csv")
    assert tuple(rows[0]) == COLUMNS
    sofia = rows_of(rows, "sofia@demo.edu")  # dropped CS 310 after the window opened: reported, not billable
    assert [(r["sis_section_id"], r["choice"], r["billable"]) for r in sofia] == [
        (CS310, "included", "false"),
        (CS310, "included", "false"),
        (f"{SPRING}-MATH-221-002", "included", "true"),
    ]  # CS 150 001 has no order: no row
    opted_out = [r for r in rows if r["choice"] == "opted_out"]
    assert opted_out and all(
        r["billable"] == "false" and r["decided_by"] == "student" and r["decided_at"] for r in opted_out
    )

    change(
        app,
        (choose, "mary", CS310, AUTOMATA, ChoiceValue.OPTED_OUT, "mary", at("2026-11-21T10:00")),
        (choose, "mary", CS310, AUTOMATA, ChoiceValue.OPTED_IN, "mary", at("2026-11-22T10:00")),
        (
            choose,
            "student07",
            CS310,
            TOC,
            ChoiceValue.OPTED_OUT,
            "katherine",
            at("2026-11-23T09:00"),
            "Has the print edition",
        ),
        (drop, "student14", CS310, at("2026-11-24T08:00")),
        (drop, "student16", MATH221_002, at("2026-11-10T08:00")),  # before the window opened: left out
        (story.add_line, 1001, "Calculus Volume 1", at("2026-11-25T09:00")),
        (story.request_title, 1002, "Grokking Algorithms", "9781633438538", at("2026-11-25T10:00")),
        (
            story.approve_request,
            1002,
            "Grokking Algorithms",
            "Structure and Interpretation of Computer Programs",
            at("2026-11-25T11:00"),
        ),
    )
    result = export(at=at("2026-11-26T02:00"))
    assert result.exit_code == 0, result.output
    rows = check_golden(tmp_path / "2026-11-26-202710-student-billing.csv", "billing-02-after-choices.csv")
    mary = {r["ci_title"]: r for r in rows_of(rows, "mary@demo.edu", CS310)}
    assert (
        mary[AUTOMATA]["choice"],
        mary[AUTOMATA]["billable"],
        mary[AUTOMATA]["decided_by"],
        mary[AUTOMATA]["decided_at"],
    ) == ("opted_in", "true", "student", "2026-11-22T10:00:00Z")
    student07 = {r["ci_title"]: r for r in rows_of(rows, "student07@demo.edu", CS310)}
    assert (student07[TOC]["choice"], student07[TOC]["billable"], student07[TOC]["decided_by"]) == (
        "opted_out",
        "false",
        "katherine@demo.edu",
    )
    assert {r["billable"] for r in rows_of(rows, "student14@demo.edu", CS310)} == {"false"}
    assert rows_of(rows, "student16@demo.edu", MATH221_002) == []
    oer = [r for r in rows if r["ci_title"] == "Calculus Volume 1"]
    assert oer and {(r["choice"], r["billable"], r["decided_by"], r["ci_student_price"]) for r in oer} == {
        ("zero_cost", "false", "default", "0.00")
    }
    approved = [r for r in rows if r["ci_title"] == "Structure and Interpretation of Computer Programs"]
    assert approved and {r["sis_section_id"] for r in approved} == {CS310}
    assert {r["final"] for r in rows} == {"false"}

    # The window closes (20 days after FROZEN), then the institution switches to opt-in mode.
    change(app, (set_mode, ProgramMode.OPT_IN))
    result = export(at=at("2026-12-11T02:00"))
    assert result.exit_code == 0, result.output
    rows = check_golden(tmp_path / "2026-12-11-202710-student-billing.csv", "billing-03-opt-in-final.csv")
    assert {r["final"] for r in rows} == {"true"}
    assert {r["choice"] for r in rows} == {"not_opted_in", "opted_in", "opted_out", "zero_cost"}
    assert [(r["ci_title"], r["billable"]) for r in rows if r["billable"] == "true"] == [
        (AUTOMATA, "true")
    ]  # Mary's opt-in
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "2026-11-20-202710-student-billing.csv",
        "2026-11-26-202710-student-billing.csv",
        "2026-12-11-202710-student-billing.csv",
    ], "no temporary file is left behind"


def test_a_term_without_a_choice_window_reports_enrolled_students_only(app, frozen_demo, export, tmp_path):
    with app.app_context():
        spring = section(CS310).term
        spring.choice_opens_at = spring.choice_closes_at = None
        db.session.commit()
    result = export(at=at("2026-11-20T16:00"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "2026-11-20-202710-student-billing.csv").read_text().splitlines()))
    assert rows_of(rows, "sofia@demo.edu", CS310) == []  # dropped, and no window ever opened
    assert len(rows) == 26


def test_a_term_with_no_orders_writes_the_header_only(app, frozen_demo, export, tmp_path):
    result = export(at=at("2026-11-20T16:00"), term="202750")
    assert result.exit_code == 0, result.output
    assert "0 rows of Summer 2027" in result.output
    assert (tmp_path / "2026-11-20-202750-student-billing.csv").read_text() == ",".join(COLUMNS) + "\n"


def test_an_unknown_term_is_refused_and_writes_nothing(app, frozen_demo, export, tmp_path):
    result = export(at=at("2026-11-20T16:00"), term="999999")
    assert result.exit_code == 1
    assert "No term has the code '999999'. Known term codes: 202630, 202710, 202750." in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_directory_exits_non_zero(app, frozen_demo, export, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = export(at=at("2026-11-20T16:00"), out=blocker / "billing")
    assert result.exit_code == 1
    assert "Cannot create the output directory" in result.output


def test_a_failed_write_leaves_no_file(app, frozen_demo, export, tmp_path, monkeypatch):
    import orders.domain.billing.export as billing_export

    def broken(*args, **kwargs):
        yield "student_sis_id\n"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(billing_export, "csv_chunks", broken)
    result = export(at=at("2026-11-20T16:00"))
    assert result.exit_code == 1
    assert "Cannot write the billing file" in result.output and "No space left on device" in result.output
    assert list(tmp_path.iterdir()) == []


def test_default_directory_is_instance_billing(app, frozen_demo, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    monkeypatch.setattr(clock, "utcnow", lambda: at("2026-11-20T16:00"))
    result = app.test_cli_runner().invoke(args=["export-billing", "--term", SPRING])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "instance" / "billing" / "2026-11-20-202710-student-billing.csv").is_file()

"""The SIS import's enrollments.csv: inserted, changed, absent = dropped, dry run, bad rows, file absent."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from orders import clock
from orders.domain.models import Enrollment, EnrollmentState, Section, User
from orders.extensions import db

DEMO_DUMP = Path(__file__).resolve().parents[2] / "examples" / "sis-demo"
IMPORTED_AT = datetime(2027, 2, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def dump(tmp_path) -> Path:
    target = tmp_path / "dump"
    shutil.copytree(DEMO_DUMP, target)
    return target


@pytest.fixture
def at_import_time(monkeypatch):
    """The import reads the clock once; pin it so the stamps can be checked."""
    monkeypatch.setattr(clock, "utcnow", lambda: IMPORTED_AT)


def run(app, directory: Path, *args: str):
    return app.test_cli_runner().invoke(args=["import-sis", str(directory), *args])


def enrollments(app) -> dict[tuple[str, str], tuple]:
    """(student SIS id, section SIS id) -> (state, enrolled_at, dropped_at)."""
    with app.app_context():
        rows = db.session.execute(
            select(User.sis_id, Section.sis_id, Enrollment.state, Enrollment.enrolled_at, Enrollment.dropped_at)
            .join(User, User.id == Enrollment.user_id).join(Section, Section.id == Enrollment.section_id)
        ).all()
        return {(u, s): (state, enrolled, dropped) for u, s, state, enrolled, dropped in rows}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_demo_dump_holds_every_demo_enrollment(app, demo_data):
    result = run(app, DEMO_DUMP)
    assert result.exit_code == 0, result.output
    assert "enrollments                    45         0        0        0" in result.output
    assert "No changes." in result.output
    assert enrollments(app)[("910002", "202710-CS-310-001")][0] is EnrollmentState.DROPPED  # Sofia stays dropped


def test_inserts_state_changes_and_absent_pairs_are_stamped_with_the_import_time(app, demo_data, dump, at_import_time):
    before = enrollments(app)
    with open(dump / "enrollments.csv", "a", encoding="utf-8") as out:
        out.write('"910001","202710-MATH-340-001","enrolled"\n')  # Mary adds MATH 340
        out.write('"910001","202710-CS-150-002","dropped"\n')  # first heard of as dropped
    edit(dump / "enrollments.csv", '"910001","202710-CS-310-001","enrolled"', '"910001","202710-CS-310-001","dropped"')
    edit(dump / "enrollments.csv", '"910002","202710-CS-310-001","dropped"', '"910002","202710-CS-310-001","enrolled"')
    edit(dump / "enrollments.csv", '"910002","202710-MATH-221-002","enrolled"\n', "")  # absent: Sofia is dropped
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    assert "enrollments                    46         2        2        1" in result.output
    assert "910002 in 202710-MATH-221-002" in result.output
    after = enrollments(app)
    assert after[("910001", "202710-MATH-340-001")] == (EnrollmentState.ENROLLED, IMPORTED_AT, None)
    assert after[("910001", "202710-CS-150-002")] == (EnrollmentState.DROPPED, IMPORTED_AT, IMPORTED_AT)
    mary_cs310 = after[("910001", "202710-CS-310-001")]
    assert mary_cs310 == (EnrollmentState.DROPPED, before[("910001", "202710-CS-310-001")][1], IMPORTED_AT)
    sofia_cs310 = after[("910002", "202710-CS-310-001")]
    assert sofia_cs310[:2] == (EnrollmentState.ENROLLED, IMPORTED_AT)  # back in; when she had dropped is kept
    assert sofia_cs310[2] == before[("910002", "202710-CS-310-001")][2]
    assert after[("910002", "202710-MATH-221-002")][0::2] == (EnrollmentState.DROPPED, IMPORTED_AT)
    untouched = ("910003", next(s for u, s in before if u == "910003"))
    assert after[untouched] == before[untouched]
    assert len(after) == len(before) + 2  # nothing deleted
    again = run(app, dump)
    assert again.exit_code == 0 and "No changes." in again.output, again.output


def test_absent_only_drops_pairs_the_sis_owns(app, demo_data, dump):
    with app.app_context():  # a student created by hand (no SIS id) keeps their enrollment
        mary = db.session.scalars(select(User).where(User.sis_id == "910001")).one()
        mary.sis_id = None
        db.session.commit()
    edit(dump / "users.csv", '"910001","Mary Somerville","mary@demo.edu","mary@demo.edu"\n', "")
    for line in ('"910001","202710-CS-310-001","enrolled"\n', '"910001","202710-MATH-221-001","enrolled"\n'):
        edit(dump / "enrollments.csv", line, "")
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    assert "enrollments                    43         0        0        0" in result.output


def test_dry_run_reports_and_changes_nothing(app, demo_data, dump):
    edit(dump / "enrollments.csv", '"910001","202710-CS-310-001","enrolled"', '"910001","202710-CS-310-001","dropped"')
    before = enrollments(app)
    result = run(app, dump, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "enrollments                    45         0        1        0" in result.output
    assert "Changes that would be applied." in result.output
    assert enrollments(app) == before


BAD_ROWS = [
    (
        '"910001","202710-CS-310-001","enrolled"',
        '"919999","202710-CS-310-001","enrolled"',
        "enrollments.csv line 2: user_sis_id '919999' is not in users.csv",
    ),
    (
        '"910001","202710-CS-310-001","enrolled"',
        '"910001","202710-CS-999-001","enrolled"',
        "enrollments.csv line 2: section_sis_id '202710-CS-999-001' is not in sections.csv",
    ),
    (
        '"910001","202710-CS-310-001","enrolled"',
        '"910001","202710-CS-310-001","auditing"',
        "enrollments.csv line 2: status 'auditing' must be enrolled or dropped",
    ),
    (
        '"910001","202710-CS-310-001","enrolled"',
        '"910001","202710-CS-310-001","null"',
        "enrollments.csv line 2: status is missing",
    ),
    (
        '"910001","202710-MATH-221-001","enrolled"',
        '"910001","202710-CS-310-001","dropped"',
        "enrollments.csv line 3: duplicate enrollment (user and section) 910001 / 202710-CS-310-001 (first on line 2)",
    ),
    (
        '"user_sis_id","section_sis_id","status"',
        '"user_sis_id","section_sis_id"',
        "enrollments.csv line 1: missing column status",
    ),
]


@pytest.mark.parametrize("old, new, message", BAD_ROWS, ids=[m[17:60] for *_, m in BAD_ROWS])
def test_a_bad_row_is_refused_with_file_line_and_reason_and_nothing_changes(app, demo_data, dump, old, new, message):
    edit(
        dump / "enrollments.csv", '"910002","202710-MATH-221-002","enrolled"\n', ""
    )  # a good change, not applied either
    edit(dump / "enrollments.csv", old, new)
    before = enrollments(app)
    result = run(app, dump)
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing was changed" in result.output
    assert enrollments(app) == before


def test_a_dump_without_enrollments_leaves_them_as_they_are(app, demo_data, dump):
    (dump / "enrollments.csv").unlink()
    before = enrollments(app)
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    assert "enrollments.csv is not in the dump: 45 enrollments were left as they are." in result.output
    assert "No changes." in result.output
    assert enrollments(app) == before


def test_a_header_only_file_is_a_mass_drop_refused_unless_allowed(app, demo_data, dump):
    (dump / "enrollments.csv").write_text('"user_sis_id","section_sis_id","status"\n', encoding="utf-8")
    before = enrollments(app)
    refused = run(app, dump)
    assert refused.exit_code == 1
    assert "enrollments.csv: the dump would drop 44 of 44 enrollments (100%)" in refused.output
    assert enrollments(app) == before
    result = run(app, dump, "--allow-mass-removal")
    assert result.exit_code == 0, result.output
    assert "enrollments                     0         0        0       44" in result.output
    assert {state for state, *_ in enrollments(app).values()} == {EnrollmentState.DROPPED}


def test_enrollments_into_an_empty_database(app, at_import_time):
    result = run(app, DEMO_DUMP)
    assert result.exit_code == 0, result.output
    rows = enrollments(app)
    assert len(rows) == 45
    assert rows[("910002", "202710-CS-310-001")][0] is EnrollmentState.DROPPED
    assert sum(state is EnrollmentState.ENROLLED for state, *_ in rows.values()) == 44
    assert rows[("910001", "202710-CS-310-001")] == (EnrollmentState.ENROLLED, IMPORTED_AT, None)

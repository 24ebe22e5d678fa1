"""Issue 38 item 5: a section the SIS removed is never billable, whatever its enrollment rows say.

The nightly dump drops MATH 221 001 (Mary's section, on #1001) and carries no enrollments.csv, so the
enrollments stay "enrolled" (README: a dump without the file leaves them as they are). The order feed
reports the section deleted; the billing feed, Mary's page and Progress must agree that nobody in it is
charged: one rule, orders/domain/students/choices.py.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from sqlalchemy import select

from orders import clock
from orders.domain.billing.rows import COLUMNS, billing_rows
from orders.domain.feed.rows import COLUMNS as FEED_COLUMNS
from orders.domain.feed.rows import feed_rows
from orders.domain.models import Enrollment, EnrollmentState, ProgramMode, Section, SectionState, Term
from orders.domain.students.rates import section_students
from orders.extensions import db
from tests.helpers import sign_in, text_of

DEMO_DUMP = Path(__file__).resolve().parents[2] / "examples" / "sis-demo"
REMOVED = "202710-MATH-221-001"


def without_lines_naming(path: Path, text: str) -> None:
    path.write_text(
        "".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True) if text not in line),
        encoding="utf-8",
    )


def import_removing_the_section(app, tmp_path) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(DEMO_DUMP, dump)
    for name in ("sections.csv", "teaching_assignments.csv"):
        without_lines_naming(dump / name, f'"{REMOVED}"')
    (dump / "enrollments.csv").unlink()
    result = app.test_cli_runner().invoke(args=["import-sis", str(dump)])
    assert result.exit_code == 0, result.output
    assert "enrollments.csv is not in the dump" in result.output


def test_students_of_a_section_the_sis_removed_are_charged_nothing_anywhere(app, client, demo_data, tmp_path):
    import_removing_the_section(app, tmp_path)
    with app.app_context():
        section = db.session.scalars(select(Section).where(Section.sis_id == REMOVED)).unique().one()
        assert section.state is SectionState.REMOVED
        enrolled = db.session.scalars(select(Enrollment).where(Enrollment.section_id == section.id)).all()
        assert enrolled and {e.state for e in enrolled} == {EnrollmentState.ENROLLED}  # the rows say nothing new
        term = db.session.scalars(select(Term).where(Term.code == "202710")).one()

        feed = [dict(zip(FEED_COLUMNS, row)) for row in feed_rows(db.session.connection(), term.id, None)]
        assert {r["is_deleted"] for r in feed if r["sis_section_id"] == REMOVED} == {"true"}

        rows = [
            dict(zip(COLUMNS, row))
            for row in billing_rows(db.session.connection(), term, ProgramMode.OPT_OUT, clock.now())
        ]
        removed_rows = [r for r in rows if r["sis_section_id"] == REMOVED]
        assert removed_rows, "the bursar still sees the section's rows"
        assert {r["billable"] for r in removed_rows} == {"false"}
        assert {r["billable"] for r in rows if r["sis_section_id"] == "202710-MATH-221-002"} >= {
            "true"
        }  # others unchanged

        students = section_students(ProgramMode.OPT_OUT, Section.term_id == term.id)
        assert db.session.execute(select(students).where(students.c.section_id == section.id)).first() is None

    sign_in(client, "mary")
    page = text_of(client.get("/student/materials"))
    assert "The registrar removed this section: you will not be charged for its materials." in page
    assert "Not charged — the registrar removed this section" in page
    assert "Included — $89.99 will be charged" not in page
    assert "Total to be charged for Spring 2027: $150.25" in page  # 240.24 less MATH 221's 89.99
    assert "Opt out for Calculus" not in page  # nothing to choose in a removed section


def test_the_billing_download_agrees(app, client, demo_data, tmp_path):
    import_removing_the_section(app, tmp_path)
    sign_in(client, "katherine")
    body = client.get("/admin/billing/download?term=202710").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert {r["billable"] for r in rows if r["sis_section_id"] == REMOVED} == {"false"}

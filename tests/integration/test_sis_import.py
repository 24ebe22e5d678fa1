"""The SIS import: new, changed, removed, idempotent, dry run, every kind of bad file, the demo dump."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from devtools.sis_sample import write_sample_dump
from orders.domain.models import AdminAuditEntry, Course, Order, Section, SectionState, TeachingAssignment, Term, User
from orders.extensions import db

DEMO_DUMP = Path(__file__).resolve().parents[2] / "examples" / "sis-demo"


@pytest.fixture
def dump(tmp_path) -> Path:
    """A private copy of the demo dump to edit."""
    target = tmp_path / "dump"
    shutil.copytree(DEMO_DUMP, target)
    return target


def run(app, directory: Path, *args: str):
    return app.test_cli_runner().invoke(args=["import-sis", str(directory), *args])


def counts(app) -> dict:
    with app.app_context():
        db.session.expire_all()
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Term, Course, Section, User, TeachingAssignment, AdminAuditEntry)
        } | {
            "removed": db.session.scalar(
                select(func.count()).select_from(Section).where(Section.state == SectionState.REMOVED)
            ),
            "names": sorted(db.session.scalars(select(User.name))),
            "titles": sorted(db.session.scalars(select(Course.title))),
        }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_demo_dump_right_after_seed_demo_changes_nothing(app, demo_data):
    before = counts(app)
    result = run(app, DEMO_DUMP)
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output
    after = counts(app)
    assert after.pop("admin_audit_entry") == before.pop("admin_audit_entry") + 1  # the kept report
    assert after == before
    with app.app_context():
        entry = db.session.scalars(select(AdminAuditEntry)).one()
        assert entry.kind == "sis.import" and entry.actor_id is None and entry.after["changed"] is False
        assert entry.after["counts"]["sections"] == {"rows": 11, "inserted": 0, "updated": 0, "removed": 0}


def test_import_into_an_empty_database_inserts_everything(app, tmp_path):
    result = run(app, DEMO_DUMP)
    assert result.exit_code == 0, result.output
    c = counts(app)
    assert (c["term"], c["course"], c["section"], c["app_user"], c["teaching_assignment"]) == (
        3,
        5,
        11,
        48,
        10,
    )  # Sophie Germain and MATH 110 (docs/spec.md §5, review)
    with app.app_context():
        ada = db.session.scalars(select(User).where(User.sis_id == "900001")).one()
        assert (
            ada.password_hash is None and ada.active and not ada.is_program_admin and ada.network_id == "ada@demo.edu"
        )
        assert ada.sort_name == "lovelace ada"
        assert all(term.period is None for term in db.session.scalars(select(Term)).unique())
    again = run(app, DEMO_DUMP)
    assert again.exit_code == 0 and "No changes." in again.output


def test_changes_are_applied_and_a_second_run_changes_nothing(app, demo_data, dump):
    edit(dump / "courses.csv", '"Calculus I"', '"Calculus I: Limits and Derivatives"')
    edit(dump / "users.csv", '"Alan Turing"', '"Alan M. Turing"')
    # Section 001 of MATH 221 in Spring 2027 (on order #1001) leaves the dump, with Ada's assignment to it.
    edit(
        dump / "sections.csv",
        '"202710-MATH-221-001","MATH-221","202710","REG","MAIN","MATH","Undergraduate","001"\n',
        "",
    )
    edit(dump / "teaching_assignments.csv", '"900001","202710-MATH-221-001"\n', "")
    enrollments = dump / "enrollments.csv"  # ... and its students' enrollments (they become dropped)
    enrollments.write_text(
        "".join(
            line for line in enrollments.read_text().splitlines(keepends=True) if "202710-MATH-221-001" not in line
        ),
        encoding="utf-8",
    )
    # A new section of CS 310 taught by a new instructor; Alan stops teaching CS 150 sec 002.
    with open(dump / "sections.csv", "a", encoding="utf-8") as out:
        out.write('"202710-CS-310-002","CS-310","202710","REG","MAIN","CS","Graduate","002"\n')
    with open(dump / "users.csv", "a", encoding="utf-8") as out:
        out.write('"900007","Barbara Liskov","Barbara@Demo.edu","null"\n')
    edit(dump / "teaching_assignments.csv", '"900002","202710-CS-150-002"\n', '"900007","202710-CS-310-002"\n')

    with app.app_context():
        before = {
            o.number: o.last_changed_at for o in db.session.scalars(select(Order).where(Order.number.in_([1001, 1002])))
        }
    # The removed section's 7 students are 16% of the demo's 44 enrollments: a "mass" drop at this size.
    result = run(app, dump, "--allow-mass-removal")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "courses                         5         0        1" in out
    assert "sections                       11         1        0        1" in out
    assert "users                          49         1        1" in out
    assert "teaching assignments            9         1        0        2" in out
    assert "202710-MATH-221-001 on order #1001" in out
    with app.app_context():
        removed = db.session.scalars(select(Section).where(Section.sis_id == "202710-MATH-221-001")).unique().one()
        assert removed.state is SectionState.REMOVED
        order = db.session.scalars(select(Order).where(Order.number == 1001)).unique().one()
        assert removed.id in {s.id for s in order.sections}  # the order keeps it
        # ... and its last change moves, so the next feed delta reports the section deleted; #1002 is untouched.
        assert order.last_changed_at > before[1001]
        assert (
            db.session.scalars(select(Order).where(Order.number == 1002)).unique().one().last_changed_at == before[1002]
        )
        barbara = db.session.scalars(select(User).where(User.sis_id == "900007")).one()
        assert barbara.email == "barbara@demo.edu" and barbara.network_id is None and barbara.password_hash is None
        new = db.session.scalars(select(Section).where(Section.sis_id == "202710-CS-310-002")).unique().one()
        assert [u.sis_id for u in new.instructors] == ["900007"]
        alan = db.session.scalars(select(User).where(User.sis_id == "900002")).one()
        assert alan.name == "Alan M. Turing" and alan.sort_name == "turing alan m."
        assert not db.session.scalar(
            select(func.count())
            .select_from(TeachingAssignment)
            .where(
                TeachingAssignment.user_id == alan.id,
                TeachingAssignment.section_id
                == db.session.scalar(select(Section.id).where(Section.sis_id == "202710-CS-150-002")),
            )
        )
        entry = db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc())).first()
        assert entry.after["changed"] and entry.after["counts"]["teaching_assignments"]["removed"] == 2
        assert entry.after["samples"]["sections"]["removed"] == ["202710-MATH-221-001"]
    second = run(app, dump)
    assert second.exit_code == 0 and "No changes." in second.output

    # Back in the dump: the removed section is active again.
    shutil.copy(DEMO_DUMP / "sections.csv", dump / "sections.csv")
    with open(dump / "sections.csv", "a", encoding="utf-8") as out:
        out.write('"202710-CS-310-002","CS-310","202710","REG","MAIN","CS","Graduate","002"\n')
    third = run(app, dump)
    assert "active again" in third.output
    with app.app_context():
        assert (
            db.session.scalars(select(Section).where(Section.sis_id == "202710-MATH-221-001")).unique().one().state
            is SectionState.ACTIVE
        )


def test_dry_run_prints_the_report_and_changes_nothing(app, demo_data, dump):
    edit(dump / "terms.csv", '"Summer 2027"', '"Summer Session 2027"')
    before = counts(app)
    result = run(app, dump, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was changed" in result.output
    assert "terms                           3         0        1" in result.output
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(Term).where(Term.sis_id == "202750")).unique().one().name == "Summer 2027"


def test_users_absent_from_the_dump_are_kept_and_reported(app, demo_data, dump):
    edit(dump / "users.csv", '"900004","Grace Hopper","grace@demo.edu","grace@demo.edu"\n', "")
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    assert "1 users in the database are not in the dump and were kept" in result.output
    assert "never deactivates" in result.output
    with app.app_context():
        assert db.session.scalars(select(User).where(User.sis_id == "900004")).one().active


def test_rows_without_a_sis_id_are_adopted_by_natural_key(app, demo_data, dump):
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.code == "202750")).unique().one()
        term.sis_id = None
        db.session.commit()
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    assert "terms                           3         0        1" in result.output
    with app.app_context():
        assert db.session.scalars(select(Term).where(Term.code == "202750")).unique().one().sis_id == "202750"
        assert db.session.scalar(select(func.count()).select_from(Term)) == 3


BAD_FILES = [
    (
        "terms.csv",
        '"sis_id","code","name","start_date","end_date"',
        '"sis_id","code","name","start_date"',
        "terms.csv line 1: missing column end_date",
    ),
    (
        "campuses.csv",
        '"sis_id","code","name"',
        '"sis_id","name","code"',
        "campuses.csv line 1: columns in the wrong order",
    ),
    ("sections.csv", '"202710-CS-310-001","CS-310"', '"202710-CS-310-001","CS-999"', "is not in courses.csv"),
    (
        "teaching_assignments.csv",
        '"900003","202710-MATH-340-001"',
        '"900009","202710-MATH-340-001"',
        "user_sis_id '900009' is not in users.csv",
    ),
    (
        "users.csv",
        '"900002","Alan Turing"',
        '"900001","Alan Turing"',
        "users.csv line 3: duplicate sis_id 900001 (first on line 2)",
    ),
    ("courses.csv", '"CS-310","CS","310"', '"CS-310","CS","150"', "duplicate subject and number"),
    (
        "users.csv",
        '"Alan Turing","alan@demo.edu"',
        'Alan Turing,"alan@demo.edu"',
        "users.csv line 3: malformed quoting: field 2 is not double-quoted",
    ),
    (
        "users.csv",
        '"Alan Turing","alan@demo.edu"',
        '"Alan "Turing","alan@demo.edu"',
        "users.csv line 3: malformed quoting",
    ),
    ("users.csv", '"900005","Katherine Johnson"', '"900005","Katherine Johnson', "malformed quoting"),
    ("terms.csv", '"2027-01-19"', '"2027-02-30"', "terms.csv line 3: start_date '2027-02-30' is not a real date"),
    ("terms.csv", '"2027-01-19"', '"19/01/2027"', "is not a date like"),
    ("terms.csv", '"2027-01-19","2027-05-14"', '"2027-05-19","2027-05-14"', "is after end_date"),
    (
        "sections.csv",
        '"MATH","Undergraduate","003"',
        '"MATH","Postdoc","003"',
        "level 'Postdoc' must be Undergraduate or Graduate",
    ),
    ("sections.csv", '"MATH","Undergraduate","003"', '"MATH","Undergraduate","null"', "label is missing"),
    ("users.csv", '"alan@demo.edu","alan@demo.edu"', '"alan-at-demo","alan@demo.edu"', "is not an email address"),
    ("sessions.csv", '"8W1","First Eight Weeks"', '"8W1","First Eight Weeks","extra"', "expected 2 fields, found 3"),
]


@pytest.mark.parametrize("file, old, new, message", BAD_FILES, ids=[m[:40] for *_, m in BAD_FILES])
def test_a_bad_file_is_refused_with_file_line_and_reason_and_nothing_changes(
    app, demo_data, dump, file, old, new, message
):
    edit(dump / "courses.csv", '"Calculus I"', '"Calculus One"')  # a good change that must not be applied either
    edit(dump / file, old, new)
    before = counts(app)
    result = run(app, dump)
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing was changed" in result.output
    assert counts(app) == before


def test_missing_file_and_bad_encoding_are_refused(app, demo_data, dump):
    (dump / "sessions.csv").unlink()
    (dump / "campuses.csv").write_bytes(b'"sis_id","code","name"\n"MAIN","MAIN","Ma\xffin"\n')
    before = counts(app)
    result = run(app, dump)
    assert result.exit_code == 1
    assert "sessions.csv: file missing from the dump" in result.output
    assert "campuses.csv line 2: not UTF-8 text" in result.output
    assert counts(app) == before


def test_a_natural_key_held_by_another_sis_row_is_refused(app, demo_data, dump):
    with app.app_context():
        db.session.add(
            Term(
                sis_id="OLD",
                code="209910",
                name="Old",
                starts_on=db.func.current_date(),
                ends_on=db.func.current_date(),
            )
        )
        db.session.commit()
    edit(dump / "terms.csv", '"202750","202750"', '"202750","209910"')
    result = run(app, dump)
    assert result.exit_code == 1
    assert (
        "terms.csv line 4: code '209910' already belongs to another term in the database (SIS id 'OLD')"
        in result.output
    )


def test_bulk_import_uses_a_constant_number_of_statements(app, tmp_path, count_queries):
    """No SELECT per row: twice the rows, the same statements (batched executemany)."""
    statements = []
    for size in (150, 300):
        directory = tmp_path / f"dump{size}"
        write_sample_dump(
            directory,
            sections=size,
            users=size // 10 + 5,
            assignments=size + size // 20,
            students=size // 5,
            enrollments=size,
        )
        with count_queries() as counter:
            assert run(app, directory).exit_code == 0
        statements.append(counter.count)
        with count_queries() as counter:
            rerun = run(app, directory)
        assert "No changes." in rerun.output
        statements.append(counter.count)
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
    assert statements[0] == statements[2] and statements[1] == statements[3], statements


def test_help_documents_every_file(app):
    result = app.test_cli_runner().invoke(args=["import-sis", "--help"])
    for name in (
        "terms.csv",
        "sessions.csv",
        "campuses.csv",
        "organizations.csv",
        "courses.csv",
        "sections.csv",
        "users.csv",
        "teaching_assignments.csv",
        "enrollments.csv",
        "course_sis_id, term_sis_id, session_sis_id, campus_sis_id, organization_sis_id, level, label",
    ):
        assert name in result.output


ALAN = '"900002","Alan Turing","alan@demo.edu","alan@demo.edu"'
IDENTITY_COLLISIONS = [
    (
        [(ALAN, '"900002","Alan Turing","alan@demo.edu","ADA@demo.edu"')],
        "users.csv line 3: network_id 'ADA@demo.edu' differs only in case from 'ada@demo.edu' (users.csv line 2)",
    ),
    (
        [
            ('"grace@demo.edu","grace@demo.edu"', '"grace@demo.edu","ghopper"'),
            (ALAN, '"900002","Alan Turing","alan@demo.edu","grace@demo.edu"'),
        ],
        "users.csv line 3: network_id 'grace@demo.edu' is the email of another user (users.csv line 5)",
    ),
]


@pytest.mark.parametrize("edits, message", IDENTITY_COLLISIONS, ids=["case twin", "another's email"])
def test_a_dump_that_would_confuse_two_identities_is_refused(app, demo_data, dump, edits, message):
    """Single sign-on matches one field exactly (issue 28, defect 3).

    The import refuses twins and cross-field collisions.
    """
    for old, new in edits:
        edit(dump / "users.csv", old, new)
    before = counts(app)
    result = run(app, dump)
    assert result.exit_code == 1, result.output
    assert message in result.output and "nothing was changed" in result.output
    assert counts(app) == before


def test_a_twin_of_a_user_outside_the_dump_is_refused(app, demo_data, dump):
    with app.app_context():
        db.session.add(User(name="Bob Local", sort_name="local bob", email="bob@demo.edu", network_id="bob"))
        db.session.commit()
    edit(
        dump / "users.csv",
        '"900002","Alan Turing","alan@demo.edu","alan@demo.edu"',
        '"900002","Alan Turing","alan@demo.edu","Bob"',
    )
    result = run(app, dump)
    assert result.exit_code == 1
    assert (
        "users.csv line 3: network_id 'Bob' differs only in case from 'bob' (the user bob@demo.edu in the database)"
        in result.output
    )


def _section_course(app, sis_id: str) -> tuple[str, str]:
    with app.app_context():
        section = db.session.scalars(select(Section).where(Section.sis_id == sis_id)).unique().one()
        return section.course.subject + " " + section.course.number, section.term.code


@pytest.mark.parametrize(
    "new, why",
    [
        ('"202710-MATH-221-001","MATH-340","202710","REG","MAIN","MATH","Undergraduate","009"', "another course"),
        ('"202710-MATH-221-001","MATH-221","202750","REG","MAIN","MATH","Undergraduate","009"', "another term"),
    ],
    ids=["course", "term"],
)
def test_a_section_on_an_order_never_moves_to_another_course_or_term(app, demo_data, dump, new, why):
    """Issue 28, defect 10: refused with file, line and reason; the order keeps what it was placed for."""
    edit(
        dump / "sections.csv",
        '"202710-MATH-221-001","MATH-221","202710","REG","MAIN","MATH","Undergraduate","001"',
        new,
    )
    before = counts(app)
    result = run(app, dump)
    assert result.exit_code == 1, result.output
    assert (
        "sections.csv line 8: section '202710-MATH-221-001' is on order #1001 and cannot move to another course or term"
        in result.output
    ), result.output
    assert counts(app) == before and _section_course(app, "202710-MATH-221-001") == ("MATH 221", "202710")


def test_a_section_on_no_order_may_move(app, demo_data, dump):
    edit(
        dump / "sections.csv",
        '"202750-MATH-221-001","MATH-221","202750","REG","MAIN","MATH","Undergraduate","001"',
        '"202750-MATH-221-001","MATH-340","202750","REG","MAIN","MATH","Undergraduate","001"',
    )
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    assert _section_course(app, "202750-MATH-221-001") == ("MATH 340", "202750")


def _header_only(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "file, message",
    [
        (
            "sections.csv",
            "sections.csv: the dump would remove 11 of 11 active sections (100%), more than the 10% allowed",
        ),
        (
            "teaching_assignments.csv",
            "teaching_assignments.csv: the dump would end 10 of 10 teaching assignments (100%), "
            "more than the 10% allowed",
        ),
    ],
    ids=["sections", "teaching assignments"],
)
def test_a_header_only_file_is_refused_unless_mass_removal_is_allowed(app, demo_data, dump, file, message):
    """A truncated export would remove everything: refused (dry run too) unless --allow-mass-removal."""
    _header_only(dump / file)
    if file == "sections.csv":
        _header_only(dump / "teaching_assignments.csv")  # assignments of sections the dump no longer has
        _header_only(dump / "enrollments.csv")  # ... and enrollments in them
    before = counts(app)
    for args in ((), ("--dry-run",)):
        result = run(app, dump, *args)
        assert result.exit_code == 1, result.output
        assert message in result.output and "--allow-mass-removal" in result.output
        assert counts(app) == before
    allowed = run(app, dump, "--allow-mass-removal")
    assert allowed.exit_code == 0, allowed.output
    assert counts(app) != before


def test_the_share_is_configurable(app, demo_data, dump, monkeypatch):
    _header_only(dump / "teaching_assignments.csv")
    monkeypatch.setitem(app.config, "SIS_MAX_REMOVAL_PERCENT", 100)
    assert run(app, dump).exit_code == 0

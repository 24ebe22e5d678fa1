"""Reach as data: the Python rule (reach.may_order_for), its SQL twin (reach.visible_sections_clause) and the
section_reach table agree, whatever grants, sections, teaching and SIS changes made them (hypothesis).

Each example builds a small institution through the real write paths: an SIS import, grants and user flags
through the back office's services, then a second SIS import that changes sections (subject, level,
organization, campus, state, label), renames people, and moves teaching, then more grants and flags.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orders.domain.accounts.grants import GrantScope, add_grant, remove_grant
from orders.domain.accounts.users import set_program_admin, set_user_active
from orders.domain.models import (
    EVERYONE,
    NOBODY,
    Campus,
    CoordinatorGrant,
    Course,
    CourseLevel,
    Institution,
    Organization,
    Section,
    SectionReach,
    User,
)
from orders.domain.reach import coordinates, may_order_for, teaches, visible_sections_clause
from orders.domain.reach_table import drift, viewer_key
from orders.domain.refusals import RuleBroken
from orders.domain.sis.files import write_file
from orders.domain.sis.importer import run_import
from orders.extensions import db

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)
SUBJECTS = ["MATH", "CS", "HIST"]
ORGS = ["O1", "O2"]
CAMPUSES = ["C1", "C2"]
LEVELS = ["Undergraduate", "Graduate"]
PEOPLE = 5

section_shape = st.tuples(
    st.integers(0, 3),  # course (subject MATH, CS, HIST, MATH)
    st.integers(0, 1),  # term
    st.sampled_from(ORGS),
    st.sampled_from(CAMPUSES),
    st.sampled_from(LEVELS),
)
grant_shape = st.tuples(
    st.integers(0, PEOPLE - 1),
    st.one_of(st.none(), st.sampled_from(SUBJECTS)),
    st.one_of(st.none(), st.sampled_from(LEVELS)),
    st.one_of(st.none(), st.sampled_from(ORGS)),
    st.one_of(st.none(), st.sampled_from(CAMPUSES)),
)
world = st.fixed_dictionaries(
    {
        "sections": st.lists(section_shape, min_size=1, max_size=7),
        "teaching": st.sets(st.tuples(st.integers(0, PEOPLE - 1), st.integers(0, 6)), max_size=8),
        "grants": st.lists(grant_shape, max_size=4),
        "flags": st.lists(st.tuples(st.integers(0, PEOPLE - 1), st.sampled_from(["admin", "inactive"])), max_size=2),
        # The SIS's next night: sections changed (or removed), a course renumbered, people renamed, teaching moved.
        "changed_sections": st.dictionaries(
            st.integers(0, 6), st.one_of(section_shape, st.just("removed")), max_size=4
        ),
        "renumbered": st.one_of(st.none(), st.tuples(st.integers(0, 3), st.sampled_from(SUBJECTS))),
        "renamed": st.sets(st.integers(0, PEOPLE - 1), max_size=2),
        "teaching_after": st.sets(st.tuples(st.integers(0, PEOPLE - 1), st.integers(0, 6)), max_size=8),
        "grants_removed": st.sets(st.integers(0, 3), max_size=2),
        "grants_after": st.lists(grant_shape, max_size=2),
        "flags_after": st.lists(
            st.tuples(st.integers(0, PEOPLE - 1), st.sampled_from(["admin", "inactive", "active", "not admin"])),
            max_size=2,
        ),
    }
)


def _course(index: int, renumbered) -> tuple:
    subject = SUBJECTS[index % 3] if renumbered is None or renumbered[0] != index else renumbered[1]
    return (f"K{index}", subject, f"{100 + index}", f"Course {index}")


def _write_dump(directory: Path, data: dict, night: int) -> None:
    """The SIS dump of the institution as it is on `night` (0: first import, 1: the changes)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_file(
        directory,
        "terms.csv",
        [
            ("T1", "202710", "Spring 2027", "2027-01-15", "2027-05-10"),
            ("T2", "202750", "Summer 2027", "2027-06-01", "2027-08-10"),
        ],
    )
    write_file(directory, "sessions.csv", [("REG", "Regular Academic Session")])
    write_file(directory, "campuses.csv", [(c, c, f"Campus {c}") for c in CAMPUSES])
    write_file(directory, "organizations.csv", [(o, o, f"Organization {o}") for o in ORGS])
    renumbered = data["renumbered"] if night else None
    write_file(directory, "courses.csv", [_course(i, renumbered) for i in range(4)])
    rows = []
    for index, shape in enumerate(data["sections"]):
        if night and index in data["changed_sections"]:
            shape = data["changed_sections"][index]
            if shape == "removed":
                continue
        course, term, org, campus, level = shape
        label = f"{index:03d}" if not night else f"{index:03d}" + ("B" if index in data["changed_sections"] else "")
        rows.append((f"S{index}", f"K{course}", f"T{term + 1}", "REG", campus, org, level, label))
    write_file(directory, "sections.csv", rows)
    names = [f"Person{n} {'Renamed' if night and n in data['renamed'] else 'Family'}{n}" for n in range(PEOPLE)]
    write_file(directory, "users.csv", [(f"P{n}", names[n], f"p{n}@sis.test", f"p{n}") for n in range(PEOPLE)])
    present = {row[0] for row in rows}
    teaching = data["teaching_after"] if night else data["teaching"]
    write_file(
        directory, "teaching_assignments.csv", sorted((f"P{p}", f"S{s}") for p, s in teaching if f"S{s}" in present)
    )


def _grants(data_grants, actor: User) -> None:
    for person, subject, level, org, campus in data_grants:
        user = db.session.scalars(select(User).where(User.sis_id == f"P{person}")).one()
        scope = GrantScope(
            subject=subject,
            level=CourseLevel(level) if level else None,
            organization_id=db.session.scalar(select(Organization.id).where(Organization.code == org)) if org else None,
            campus_id=db.session.scalar(select(Campus.id).where(Campus.code == campus)) if campus else None,
        )
        try:
            add_grant(user, scope, actor=actor, now=NOW)
        except RuleBroken:  # the same scope twice: refused, nothing changed
            pass


def _flags(flags, actor: User) -> None:
    for person, flag in flags:
        user = db.session.scalars(select(User).where(User.sis_id == f"P{person}")).one()
        if flag in ("admin", "not admin"):
            set_program_admin(user, flag == "admin", actor=actor, now=NOW)
        else:
            set_user_active(user, flag == "active", actor=actor, now=NOW)


def _empty_every_table() -> None:
    """A fresh start for each example: a new session (no identity map, nothing cached on it) and no rows."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def _rows_by_the_python_rule(users: list[User], sections: list[Section]) -> set[tuple[int, int, int]]:
    """(viewer, section, instructor) rows as the Courses screen lists them, from the Python predicates."""
    rows = set()
    for section in sections:
        slots = [person.id for person in section.instructors] or [NOBODY]
        rows |= {(EVERYONE, section.id, slot) for slot in slots}
        for user in users:
            if not user.active or user.is_program_admin:
                continue
            if coordinates(user, section):
                rows |= {(user.id, section.id, slot) for slot in slots}
            elif teaches(user, section):
                rows.add((user.id, section.id, user.id))
    return rows


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=world)
def test_the_rule_its_sql_twin_and_the_table_agree(app_ctx, data):
    _empty_every_table()
    db.session.add(Institution(name="Test", timezone="America/Chicago", contact_email="pa@test.edu"))
    actor = User(
        name="Acting Admin", sort_name="admin acting", email="actor@test.edu", active=True, is_program_admin=True
    )
    db.session.add(actor)
    db.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        _write_dump(Path(tmp) / "first", data, 0)
        run_import(Path(tmp) / "first", dry_run=False, now=NOW)
        db.session.commit()
        assert not drift(db.session), "first SIS import"
        _grants(data["grants"], actor)
        _flags(data["flags"], actor)
        db.session.commit()
        assert not drift(db.session), "grants and flags"
        _write_dump(Path(tmp) / "second", data, 1)
        run_import(Path(tmp) / "second", dry_run=False, now=NOW)
        db.session.commit()
        assert not drift(db.session), "second SIS import"
    grants = db.session.scalars(select(CoordinatorGrant).order_by(CoordinatorGrant.id)).all()
    for index in sorted(data["grants_removed"]):
        if index < len(grants):
            remove_grant(grants[index], actor=actor, now=NOW)
    _grants(data["grants_after"], actor)
    _flags(data["flags_after"], actor)
    db.session.commit()

    db.session.expire_all()
    users = db.session.scalars(select(User).order_by(User.id)).all()
    sections = db.session.scalars(select(Section).order_by(Section.id)).all()
    stored = db.session.execute(
        select(SectionReach.viewer_id, SectionReach.section_id, SectionReach.instructor_id)
    ).all()
    pairs = {(viewer, section) for viewer, section, _ in stored}
    for user in users:
        if not user.active:
            assert not any(viewer == user.id for viewer, _ in pairs), f"{user.name} is inactive and has reach rows"
            continue
        by_python = {s.id for s in sections if may_order_for(user, s)}
        by_sql = set(db.session.scalars(select(Section.id).join(Course).where(visible_sections_clause(user))))
        by_table = {section for viewer, section in pairs if viewer == viewer_key(user)}
        assert by_python == by_sql == by_table, user.name
    assert set(map(tuple, stored)) == _rows_by_the_python_rule(users, sections)
    assert not drift(db.session)  # the sort columns too: the table equals the rule written in SQL, row for row


@pytest.mark.derived_drift_allowed
def test_check_reach_reports_drift_and_repairs_it(app, demo_data):
    """`flask check-reach` exits 1 naming the drift; --repair rebuilds, after which it reports none."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["check-reach"]).output.strip() == "section_reach: no drift."
    with app.app_context():
        with db.engine.begin() as connection:  # behind the app's back: no upkeep sees this
            connection.execute(SectionReach.__table__.delete().where(SectionReach.viewer_id != EVERYONE))
    result = runner.invoke(args=["check-reach"])
    assert result.exit_code == 1
    assert "rows missing, 0 rows extra" in result.output and "--repair" in result.output
    repaired = runner.invoke(args=["check-reach", "--repair"])
    assert repaired.exit_code == 0 and "rebuilt from the rule" in repaired.output
    assert runner.invoke(args=["check-reach"]).output.strip() == "section_reach: no drift."

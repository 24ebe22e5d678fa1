"""Issue 38 item 8: a course on an order is not renumbered silently by the SIS import.

courses.csv keeps CS 310's SIS id but calls it MATH 310: accepted, order #1002 would read "MATH 310" and
move from Grace's reach (coordinator for CS) to Emmy's (MATH). Refused like a moved section, with file,
line and orders, unless --allow-course-changes.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from orders.domain.models import Course, Order
from orders.extensions import db
from tests.integration.test_sis_import import DEMO_DUMP, counts, edit, run

CS310 = '"CS-310","CS","310","Theory of Computation"'


@pytest.fixture
def dump(tmp_path) -> Path:
    """A private copy of the demo dump to edit."""
    target = tmp_path / "dump"
    shutil.copytree(DEMO_DUMP, target)
    return target


def course_of_order(app, number: int) -> str:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        code = order.course.code
        db.session.remove()
    return code


def test_a_course_on_an_order_renumbered_is_refused_with_file_line_and_orders(app, demo_data, dump):  # noqa: F811 (the fixture)
    edit(dump / "courses.csv", CS310, '"CS-310","MATH","310","Theory of Computation"')
    before = counts(app)
    for dry_run in ([], ["--dry-run"]):
        result = run(app, dump, *dry_run)
        assert result.exit_code == 1, result.output
        assert ("courses.csv line 3: course 'CS-310' (CS 310) would become MATH 310, but it is on order #1002, which "
                "would then read MATH 310 and move to other coordinators; if the SIS really renumbered it, run again "
                "with --allow-course-changes") in result.output, result.output
    assert counts(app) == before and course_of_order(app, 1002) == "CS 310"


def test_allow_course_changes_applies_the_renumbering(app, demo_data, dump):  # noqa: F811 (the fixture)
    edit(dump / "courses.csv", CS310, '"CS-310","MATH","310","Theory of Computation"')
    result = run(app, dump, "--allow-course-changes")
    assert result.exit_code == 0, result.output
    assert course_of_order(app, 1002) == "MATH 310"


def test_a_new_title_or_a_course_on_no_order_is_not_a_renumbering_to_refuse(app, demo_data, dump):  # noqa: F811 (the fixture)
    edit(dump / "courses.csv", CS310, '"CS-310","CS","310","Theory of Computation (revised)"')
    edit(
        dump / "courses.csv", '"MATH-340","MATH","340","Abstract Algebra"', '"MATH-340","MATH","341","Abstract Algebra"'
    )
    result = run(app, dump)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.scalars(select(Course.title).where(Course.sis_id == "CS-310")).one()
            == "Theory of Computation (revised)"
        )
        assert db.session.scalars(select(Course.number).where(Course.sis_id == "MATH-340")).one() == "341"

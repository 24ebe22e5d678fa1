"""The Progress screen runs a fixed, small number of SQL statements whatever the data size."""

from __future__ import annotations

import csv
import io

import pytest

from orders.domain.models import ChoiceValue, Enrollment, StudentChoice, Term, User
from orders.extensions import db
from tests import factories as f

BUDGET = 6


def grow(app, now, extra_sections: int):
    """More CS and MATH sections, instructors, orders and enrolled students in Spring 2027."""
    with app.app_context():
        spring = db.session.scalars(db.select(Term).where(Term.code == "202710")).one()
        grace = db.session.query(User).filter_by(email="grace@demo.edu").one()
        students = [f.user(f"Student{i} Extra{i}") for i in range(5)]
        for i in range(extra_sections):
            teacher = f.user(f"Extra{i} Teacher{i}")
            subject = "CS" if i % 2 else "MATH"
            s = f.section(
                spring,
                subject=subject,
                number=f"{400 + i % 7}",
                label=f"{100 + i}",
                instructors=(teacher,),
                org_code=f"ORG{i % 3}",
                campus_code=f"C{i % 2}",
            )
            for student in students[: i % 5]:
                db.session.add(Enrollment(user_id=student.id, section_id=s.id, enrolled_at=now))
            if i % 3:
                order = f.placed_order([s], grace if i % 4 == 1 else teacher, now)
                line = order.lines[0] if order.lines else None
                if line is not None and i % 5:
                    db.session.add(
                        StudentChoice(
                            user_id=students[0].id,
                            section_id=s.id,
                            catalog_item_id=line.catalog_item_id,
                            choice=ChoiceValue.OPTED_OUT,
                            decided_at=now,
                            decided_by_id=students[0].id,
                        )
                    )
        db.session.commit()


def count_for(client, count_queries, url, headers=None):
    client.get(url, headers=headers)  # warm per-process caches
    with count_queries() as counter:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return counter.count


@pytest.mark.parametrize("user", ["katherine", "grace", "emmy"])
@pytest.mark.parametrize(
    "url", ["/progress/", "/progress/?term=202630", "/progress/organization.csv", "/progress/subject"]
)
def test_progress_query_count_does_not_grow(app, client, demo_data, count_queries, now, user, url):
    client.post("/sign-in", data={"email": f"{user}@demo.edu", "password": "orders-demo"})
    small = count_for(client, count_queries, url)
    grow(app, now, 30)
    large = count_for(client, count_queries, url)
    assert small == large, f"{url} ran {small} queries with the demo data and {large} with 30 more sections"
    assert large <= BUDGET, f"{url} ran {large} queries (budget {BUDGET})"


def test_htmx_term_change_costs_the_same(app, client, demo_data, count_queries):
    client.post("/sign-in", data={"email": "grace@demo.edu", "password": "orders-demo"})
    page = count_for(client, count_queries, "/progress/?term=202710")
    fragment = count_for(client, count_queries, "/progress/?term=202710", {"HX-Request": "true"})
    assert fragment == page <= BUDGET


def test_grown_counts_still_match(app, client, demo_data, now):
    """With the extra rows, the headline still adds up: ordered + no materials + not started + awaiting approval =
    total.
    """
    grow(app, now, 30)
    client.post("/sign-in", data={"email": "katherine@demo.edu", "password": "orders-demo"})
    rows = list(csv.reader(io.StringIO(client.get("/progress/campus.csv?term=202710").get_data(as_text=True))))[1:]
    assert sum(int(r[1]) for r in rows) == 38  # 8 demo + 30
    assert all(int(r[2]) + int(r[3]) + int(r[4]) + int(r[-1]) == int(r[1]) for r in rows)


@pytest.mark.parametrize("user", ["katherine", "grace"])
def test_courses_with_the_progress_filters_stays_within_its_budget(app, client, demo_data, count_queries, now, user):
    """A Progress link's Courses page (MATH 221 001/002 for the PA, nothing for Grace): the organization and
    campus names cost one query, within Courses' budget of 6."""
    with app.app_context():
        org = db.session.execute(db.text("select id from organization where code = 'MATH'")).scalar()
        campus = db.session.execute(db.text("select id from campus where code = 'MAIN'")).scalar()
    url = f"/?term=202710&active=1&state=ordered&organization={org}&campus={campus}&placed=on_time&at_risk=1"
    client.post("/sign-in", data={"email": f"{user}@demo.edu", "password": "orders-demo"})
    small = count_for(client, count_queries, url)
    grow(app, now, 30)
    large = count_for(client, count_queries, url)
    assert small == large <= 6

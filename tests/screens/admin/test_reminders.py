"""The back office's reminders page: Program Administrators only; per-term counts and reminders sent."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.cli.reminders import run_once
from orders.domain.models import Institution
from orders.extensions import db
from tests.helpers import text_of
from tests.screens.no_materials.test_no_materials import row_form


@pytest.mark.parametrize("who", ["ada", "grace", "emmy"])
def test_only_program_administrators(login_as, who):
    response = login_as(who).get("/admin/reminders/")
    assert response.status_code == 403
    assert "The back office is for Program Administrators only." in text_of(response)


def test_counts_and_reminders_per_term(app, login_as, demo_data, now):
    client = login_as("katherine")
    page = text_of(client.get("/admin/reminders/"))
    assert "Reminder emails are off" in page
    # Spring 2027: 8 active sections; MATH 221 001+002 and CS 310 001 ordered, MATH 110 001 awaiting approval (not
    # missing: docs/spec.md §8); 4 missing.
    assert "Spring 2027 order by" in page and "opening reminder due now" in page
    spring = page.split("Spring 2027", 1)[1].split("Fall 2026", 1)[0]
    assert " 8 4 0 4 Not sent Not sent" in spring
    client.post("/no-materials/answer", data=row_form(app, demo_data))
    with app.app_context():
        db.session.scalars(select(Institution)).one().reminders_enabled = True
        db.session.commit()
        run_once(now + timedelta(minutes=1))
        db.session.remove()
    page = text_of(client.get("/admin/reminders/"))
    assert "Reminder emails are on" in page
    spring = page.split("Spring 2027", 1)[1].split("Fall 2026", 1)[0]
    assert " 8 4 1 3 4 people, " in spring and spring.rstrip().endswith("Not sent")


def test_admin_page_query_count_is_constant(app, client, demo_data, count_queries, now):
    from tests.web.test_query_counts import count_for, grow

    client.post("/sign-in", data={"email": "katherine@demo.edu", "password": "orders-demo"})
    small = count_for(client, count_queries, "/admin/reminders/")
    grow(app, now, 20)
    assert count_for(client, count_queries, "/admin/reminders/") == small <= 6

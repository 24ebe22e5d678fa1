"""The Courses screen as each demo user.

Their sections, order links and Start order, past terms, the instructor filter.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.helpers import text_of

COURSES_BY_USER = {
    "ada": (["MATH 221 Calculus I", "CS 150 Introduction to Programming"], ["CS 310", "MATH 340"]),
    "alan": (["CS 310 Theory of Computation", "CS 150 Introduction to Programming"], ["MATH 221", "MATH 340"]),
    "emmy": (["MATH 340 Abstract Algebra", "MATH 221 Calculus I"], ["CS 150", "CS 310"]),
    "grace": (["CS 150 Introduction to Programming", "CS 310 Theory of Computation"], ["MATH 221", "MATH 340"]),
    "katherine": (["MATH 221", "MATH 340", "CS 150", "CS 310"], []),
}


@pytest.mark.parametrize("user", sorted(COURSES_BY_USER))
def test_courses_screen_shows_exactly_the_users_courses(login_as, user):
    client = login_as(user)
    page = text_of(client.get("/"))
    expected, hidden = COURSES_BY_USER[user]
    for course in expected:
        assert course in page
    for course in hidden:
        assert course not in page
    assert "Fall 2026" not in page.split("Show", 1)[1]  # closed term is not listed by default


def test_instructor_sees_order_links_and_start_order(login_as):
    client = login_as("ada")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/orders/1001"' in html
    assert "Start order" in html and "CS 150" in html
    assert "Ordering open" in text_of(client.get("/"))


def test_past_term_can_be_chosen(login_as):
    client = login_as("ada")
    page = text_of(client.get("/?term=202630"))
    assert "MATH 221 Calculus I Fall 2026" in page
    assert "Order #1003" in page
    assert "Ordering closed" in page
    assert "Start order" not in page


def test_coordinator_instructor_select_filters_the_list(login_as, demo_data, app):
    client = login_as("grace")
    with app.app_context():
        alan_id = demo_data.user("alan").id
    full = client.get("/").get_data(as_text=True)
    assert '<label for="filter-instructor-name">Instructor name</label>' in full
    assert "Listing: all instructors" in text_of(client.get("/"))
    page = text_of(client.get(f"/?instructor={alan_id}"))
    assert "Alan Turing" in page and "CS 310 Theory of Computation" in page
    assert "Ada Lovelace CS 150" not in page


@pytest.mark.parametrize(
    "user,reason",
    [
        ("ada", "You teach this course"),
        ("grace", "You coordinate subject CS"),
        ("katherine", "You are a Program Administrator"),
    ],
)
def test_every_row_says_why_it_is_listed_in_the_same_voice(login_as, user, reason):
    """Issue 37 item 9: a Program Administrator's rows said "· Program Administrator" beside "You teach this course"."""
    page = text_of(login_as(user).get("/"))
    assert f"· {reason}" in page
    assert "· Program Administrator" not in page and "· Coordinator:" not in page


def test_a_row_not_yet_open_capitalises_each_part_like_an_open_one(app, login_as, demo_data):
    """Issue 37 item 9: "Ordering not yet open · opens … · order by …" had its parts in lowercase."""
    from sqlalchemy import select

    from orders.domain.models import OrderingPeriod, Term
    from orders.extensions import db
    from tests import factories

    with app.app_context():
        summer = db.session.scalars(select(Term).where(Term.code == "202750")).one()
        summer.period = summer.period or OrderingPeriod(
            opens_at=demo_data.now + timedelta(days=60), closes_at=demo_data.now + timedelta(days=90)
        )
        factories.section(summer, subject="MATH", number="221", label="S01", instructors=(demo_data.user("ada"),))
        db.session.commit()
    page = text_of(login_as("ada").get("/?term=202750"))
    assert re.search(r"Ordering not yet open · Opens \w+ \d+, \d{4} · Order by \w+ \d+, \d{4}", page), page
    assert "· opens" not in page and "· order by" not in page

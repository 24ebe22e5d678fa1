"""Each screen through the test client, as each demo user."""
from __future__ import annotations

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


def test_order_summary_shows_everything(login_as):
    client = login_as("grace")
    page = text_of(client.get("/orders/1002"))
    for fact in [
        "Order #1002", "Placed", "CS 310 Theory of Computation", "Spring 2027", "Regular Academic Session",
        "Alan Turing", "Introduction to the Theory of Computation", "9781335990327",
        "Placed by Grace Hopper", "On behalf of Alan Turing", "$92.25", "$150.25",
    ]:
        assert fact in page, fact


def test_unknown_order_is_404_and_unrelated_order_is_403(login_as):
    client = login_as("alan")
    missing = client.get("/orders/99999")
    assert missing.status_code == 404
    assert "There is no order #99999." in text_of(missing)
    refused = client.get("/orders/1001")
    assert refused.status_code == 403
    assert "do not teach or coordinate" in text_of(refused)
    assert "Traceback" not in refused.get_data(as_text=True)


def test_signed_out_goes_to_sign_in_and_htmx_gets_401(client, demo_data):
    response = client.get("/orders/1001")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/orders/1001")
    htmx = client.get("/orders/1001", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/sign-in")


def test_wrong_password_and_unknown_email_get_the_same_answer(client, demo_data):
    wrong = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "nope"})
    unknown = client.post("/sign-in", data={"email": "nobody@demo.edu", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert text_of(wrong) == text_of(unknown)
    assert "That email and password do not match an active account." in text_of(wrong)


@pytest.mark.parametrize("target,expected", [
    ("/orders/1001", "/orders/1001"),
    ("https://evil.example/x", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
])
def test_next_only_redirects_within_the_site(client, demo_data, target, expected):
    response = client.post("/sign-in?next=" + target, data={"email": "ada@demo.edu", "password": "orders-demo"})
    assert response.headers["Location"] == expected


def test_sign_out_is_a_post(login_as):
    client = login_as("ada")
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 303
    assert client.get("/").status_code == 302

"""Signing in and out.

/login, the sign-in page once signed in, one answer for every wrong pair, next only within the site.
"""

from __future__ import annotations

import pytest

from tests.helpers import text_of


@pytest.mark.parametrize(
    "url,location",
    [
        ("/login", "/sign-in"),
        ("/login?next=/orders/1001", "/sign-in?next=/orders/1001"),
        ("/login?next=//evil.example/x", "/sign-in"),
        ("/login?next=https://evil.example/", "/sign-in"),
    ],
)
def test_login_redirects_to_the_sign_in_page(client, demo_data, url, location):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].replace("%2F", "/") == location


def test_a_signed_in_user_opening_sign_in_or_login_is_sent_home(login_as):
    client = login_as("ada")
    assert client.get("/sign-in").headers["Location"] == "/"
    followed = client.get("/login", follow_redirects=True)
    assert followed.request.path == "/" and "Courses" in text_of(followed)


def test_signed_out_goes_to_sign_in_and_htmx_gets_401(client, demo_data):
    response = client.get("/orders/1001")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/orders/1001")
    htmx = client.get("/orders/1001", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/sign-in")


def test_signed_out_home_page_is_the_calm_sign_in_page(client, demo_data):
    """Issue 37 item 5: opening the site signed out is not a problem, so no warning banner; a deep link says why."""
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    assert "banner" not in page.get_data(as_text=True) and "Please sign in to continue" not in text_of(page)
    client.get("/orders/1001")
    assert "Please sign in to continue." in text_of(client.get("/sign-in?next=/orders/1001"))


def test_wrong_password_and_unknown_email_get_the_same_answer(client, demo_data):
    wrong = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "nope"})
    unknown = client.post("/sign-in", data={"email": "nobody@demo.edu", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert text_of(wrong) == text_of(unknown)
    assert "That email and password do not match an active account." in text_of(wrong)


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/orders/1001", "/orders/1001"),
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_only_redirects_within_the_site(client, demo_data, target, expected):
    response = client.post("/sign-in?next=" + target, data={"email": "ada@demo.edu", "password": "orders-demo"})
    assert response.headers["Location"] == expected


def test_sign_out_is_a_post(login_as):
    client = login_as("ada")
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 303
    assert client.get("/").status_code == 302

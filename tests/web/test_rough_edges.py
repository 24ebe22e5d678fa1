"""The rough edges a newcomer hits (issue 18): /login, the sign-in page when signed in, the cancel
prompt's content with and without JavaScript, the draft discard wording."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from orders.domain.models import Course, Term
from orders.extensions import db
from tests.web.test_screens import text_of

HX = {"HX-Request": "true"}


@pytest.mark.parametrize("url,location", [
    ("/login", "/sign-in"),
    ("/login?next=/orders/1001", "/sign-in?next=/orders/1001"),
    ("/login?next=//evil.example/x", "/sign-in"),
    ("/login?next=https://evil.example/", "/sign-in"),
])
def test_login_redirects_to_the_sign_in_page(client, demo_data, url, location):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].replace("%2F", "/") == location


def test_a_signed_in_user_opening_sign_in_or_login_is_sent_home(login_as):
    client = login_as("ada")
    assert client.get("/sign-in").headers["Location"] == "/"
    followed = client.get("/login", follow_redirects=True)
    assert followed.request.path == "/" and "Courses" in text_of(followed)


@pytest.mark.parametrize("headers", [{}, HX], ids=["own-page", "inline"])
def test_the_cancel_prompt_lists_sections_and_materials_both_ways(login_as, headers):
    response = login_as("ada").get("/orders/1001/cancel", headers=headers)
    text = text_of(response)
    for expected in ("Cancel order #1001?", "Sections being canceled", "MATH 221 001", "MATH 221 002",
                     "Materials being canceled", "Calculus: Early Transcendentals", "Confirm cancellation", "Keep order"):
        assert expected in text, expected
    html = response.get_data(as_text=True)
    # On its own page there is no summary to swap into: a plain form (htmx would fail its target).
    assert ('hx-post=' in html) == bool(headers)


def test_the_draft_prompt_says_discard(client, login_as, app, demo_data):
    with app.app_context():  # ids differ between databases: look CS 150 and Spring 2027 up
        course_id = db.session.scalar(select(Course.id).where(Course.subject == "CS", Course.number == "150"))
        term_id = db.session.scalar(select(Term.id).where(Term.code == "202710"))
    client = login_as("ada")
    started = client.post(f"/ordering/start/{course_id}/{term_id}", data={})
    assert started.status_code == 303, started.get_data(as_text=True)[:300]
    draft_url = started.headers["Location"].split("?")[0].rsplit("/", 1)[0]
    page = client.get(draft_url + "/sections")
    assert ">Cancel order</a>" in page.get_data(as_text=True)  # the draft's button keeps the reference's words
    prompt = text_of(client.get(draft_url + "/cancel?step=sections"))
    assert "Discard this draft?" in prompt and "Discard draft" in prompt and "Keep draft" in prompt
    assert "Confirm cancellation" not in prompt and "Keep order" not in prompt

"""What each section costs on the student's page (issue 35, docs/spec.md §10): the courseware flag and student-data
terms beside the title, the section's other required costs and estimated required cost, and the opt-out confirmation
of a courseware title saying what opting out loses (with htmx and without)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from orders.domain.models import CatalogItem, ContentRequest, ContentRequestStatus, Institution, OtherCost
from orders.extensions import db
from tests.helpers import sign_in, text_of
from tests.screens.students.test_materials import CALCULUS, choice_url, form_values, ids

WARNING = (
    "Your graded work runs on this courseware. If you opt out, you lose access to it, and with it the homework, "
    "quizzes or labs your grade in MATH 221 depends on."
)
SIPSER = "Introduction to the Theory of Computation"


@pytest.fixture
def mary(app, demo_data):
    return ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)


def _section_text(page_text: str, heading: str) -> str:
    start = page_text.index(heading)
    following = [
        page_text.find(h, start + 1)
        for h in ("CS 310 Theory of Computation", "MATH 221 Calculus I")
        if page_text.find(h, start + 1) > 0
    ]
    return page_text[start : min(following) if following else None]


def test_the_page_shows_the_flag_the_terms_the_other_costs_and_the_estimate(client, demo_data):
    sign_in(client, "mary")
    response = client.get("/student/materials")
    text = text_of(response)
    math = _section_text(text, "MATH 221 Calculus I")
    assert f"{CALCULUS}" in math and "Courseware needed for graded work · Student-data terms of " in math
    assert (
        "Also required (you buy or pay for these yourself; they are not charged to your student account and there is "
        "nothing to opt out of): Graphing calculator — $15.00" in math
    )
    assert "Estimated required cost of this section: $104.99" in math and "Low cost" not in math
    cs = _section_text(text, "CS 310 Theory of Computation")
    assert "Estimated required cost of this section: $92.25" in cs and "Recommended, optional: $58.00" in cs
    assert "Courseware needed" not in cs and "Also required" not in cs
    assert (
        "Total to be charged for Spring 2027: $240.24" in text
    )  # $89.99 + $92.25 + $58.00: other costs are never charged
    assert (
        'href="https://www.example.com/publisher/student-data-terms" rel="noopener noreferrer">Student-data terms'
        in response.get_data(as_text=True)
    )


def test_a_low_cost_section_links_the_criteria_and_a_pending_required_title_leaves_the_estimate_open(
    app, client, demo_data
):
    with app.app_context():
        db.session.execute(update(Institution).values(low_cost_threshold=Decimal("150.00")))
        order = demo_data.order(1002)
        db.session.add(
            ContentRequest(
                order_id=order.id,
                position=9,
                title="Still researched",
                isbn13="9780306406157",
                status=ContentRequestStatus.RESEARCHING,
                requested_by_id=demo_data.user("grace").id,
                created_at=demo_data.now,
                updated_at=demo_data.now,
            )
        )
        db.session.commit()
    sign_in(client, "mary")
    page = client.get("/student/materials")
    text = text_of(page)
    assert "Estimated required cost of this section: $104.99 Low cost what “Low cost” means" in _section_text(
        text, "MATH 221 Calculus I"
    )
    assert 'href="https://www.example.edu/course-materials/low-cost"' in page.get_data(as_text=True)
    assert (
        "Estimated required cost of this section: to be determined (a required title is still being chosen)."
        in _section_text(text, "CS 310 Theory of Computation")
    )


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["no-js", "htmx"])
def test_the_opt_out_confirmation_of_courseware_says_what_opting_out_loses(app, client, mary, headers):
    sign_in(client, "mary")
    prompt = client.get(choice_url(mary), headers=headers)
    assert prompt.status_code == 200
    text = text_of(prompt)
    assert f"Opt out: {CALCULUS}?" in text and WARNING in text
    assert "What the publisher does with your data: student-data terms" in text
    html = prompt.get_data(as_text=True)
    # Inside the prompt's description, so a screen reader reads it with the question.
    assert 'aria-describedby="choice-body"' in html and html.index('id="choice-body"') < html.index(
        "courseware-warning"
    ) < html.index("prompt-actions stack")
    # Opting back in loses nothing: no warning.
    client.post(choice_url(mary), data=form_values(html))
    back_in = text_of(client.get(choice_url(mary), headers=headers))
    assert f"Opt back in: {CALCULUS}?" in back_in and "Your graded work runs on this courseware" not in back_in


def test_a_title_that_is_not_courseware_gets_no_warning(app, client, demo_data):
    sipser = ids(app, "mary@demo.edu", "CS", "310", "001", SIPSER)
    sign_in(client, "mary")
    text = text_of(client.get(choice_url(sipser)))
    assert f"Opt out: {SIPSER}?" in text and "Your graded work runs on this courseware" not in text


def test_the_back_office_view_of_the_student_shows_the_same(client, demo_data, app):
    mary_id = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)["student"]
    sign_in(client, "katherine")
    text = text_of(client.get(f"/admin/students/{mary_id}"))
    assert "Graphing calculator — $15.00" in text and "Estimated required cost of this section: $104.99" in text
    assert "Courseware needed for graded work" in text


def test_other_costs_are_never_billed_nor_a_choice(app, client, demo_data, login_as):
    with app.app_context():
        cost = db.session.scalars(select(OtherCost)).one()
        assert cost.description == "Graphing calculator"
        assert not db.session.scalars(select(CatalogItem).where(CatalogItem.title == "Graphing calculator")).first()
    billing = login_as("katherine").get("/admin/billing/download?term=202710")
    body = billing.get_data(as_text=True)
    assert billing.status_code == 200 and "Calculus: Early Transcendentals" in body
    assert "Graphing calculator" not in body and "15.00" not in body

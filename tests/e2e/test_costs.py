"""What each section costs, in Chromium (issue 35, docs/spec.md §10): Mary sees the courseware flag and, in the opt-out
confirmation, what opting out loses, with JavaScript on and off, axe-clean at 320 px and on a desktop; Ada adds an
other required cost on the materials step (a wrong amount first); the public section page and Progress's coverage
reflow at 320 px."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from orders.domain.models import OtherCost
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.e2e.test_student_choice import (
    CALCULUS,
    JS_MODES,
    VIEWPORTS,
    line,
    no_sideways_scroll,
    prompt,
    records,
    sign_in_as_student,
    toggle,
)
from tests.helpers import open_every_organization

pytestmark = pytest.mark.e2e

WARNING = "Your graded work runs on this courseware."
LOSES = "you lose access to it, and with it the homework, quizzes or labs your grade in MATH 221 depends on"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("js", JS_MODES)
def test_mary_sees_what_opting_out_of_courseware_loses(page_for, live_server, demo_data, app, js, viewport):
    page = page_for(js)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    sign_in_as_student(page, live_server, "mary")
    expect(line(page)).to_contain_text("Courseware needed for graded work")
    expect(line(page).get_by_role("link", name=f"Student-data terms of {CALCULUS}")).to_have_attribute(
        "href", "https://www.example.com/publisher/student-data-terms")
    main = page.locator("main")
    expect(main).to_contain_text("Graphing calculator — $15.00")
    expect(main).to_contain_text("Estimated required cost of this section: $104.99")
    no_sideways_scroll(page)
    assert_axe_clean(page)

    toggle(page, "Opt out").click()
    dialog = prompt(page, "Opt out")
    expect(dialog).to_be_visible()
    if js:
        page.wait_for_function("el => el.contains(document.activeElement)", arg=dialog.element_handle())
    else:
        expect(page).to_have_url(re.compile(r"/choice\?term=202710$"))
    expect(dialog).to_contain_text(WARNING)
    expect(dialog).to_contain_text(LOSES)
    expect(dialog.locator(".courseware-warning")).to_be_visible()
    expect(dialog).to_have_accessible_description(re.compile(re.escape(WARNING)))  # read with the question
    no_sideways_scroll(page)
    assert_axe_clean(page)

    dialog.get_by_role("button", name="Confirm: opt out").click()
    expect(page.get_by_role("status").filter(has_text=f"You opted out of {CALCULUS}")).to_be_focused()
    assert records(app) == (1, 1)
    toggle(page, "Opt back in").click()
    back_in = prompt(page, "Opt back in")
    expect(back_in).to_be_visible()
    expect(back_in).not_to_contain_text(WARNING)  # opting back in loses nothing


@pytest.mark.parametrize("js", JS_MODES)
def test_ada_adds_an_other_required_cost_on_the_materials_step(
    page_for, live_server, demo_data, app, browser_errors, js
):
    open_every_organization(app)  # the change applies at once; review's own browser tests cover approval
    page = page_for(js)
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server}/orders/1001/edit")
    costs = page.locator("#other-costs")
    expect(costs).to_contain_text("Graphing calculator")
    costs.get_by_label("Description").fill("Lab kit")
    costs.get_by_label("Amount (US dollars)").fill("12.345")
    costs.get_by_role("button", name="Add cost").click()
    amount = page.locator("#other-costs").get_by_label("Amount (US dollars)")
    expect(page.locator("#other-costs")).to_contain_text("Enter at most two decimals (dollars and cents), like 15.99.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    no_sideways_scroll(page)
    assert_axe_clean(page)
    if (
        js
    ):  # htmx swapped in the 422 answer with the field message: the refusal this step asked for, not a browser error
        refused = [
            e for e in browser_errors if e.startswith("HTTP 422: POST") and e.endswith("/orders/1001/edit/other-costs")
        ]
        assert len(refused) == 1
        browser_errors.remove(refused[0])
    with app.app_context():
        assert db.session.scalars(select(OtherCost.description)).all() == ["Graphing calculator"]
        db.session.remove()

    amount.fill("12.50")
    page.locator("#other-costs").get_by_role("button", name="Add cost").click()
    expect(page.locator("#other-costs")).to_contain_text("Lab kit")
    expect(page.locator("#pending-changes")).to_contain_text("Add the other required cost Lab kit ($12.50)")
    assert_axe_clean(page)
    page.get_by_role("button", name="Submit changes").click()
    expect(page.get_by_role("status").filter(has_text="Order #1001 was updated.")).to_be_visible()
    expect(page.locator("main").get_by_role("row").filter(has_text="Lab kit")).to_contain_text("$12.50")
    with app.app_context():
        assert sorted(db.session.scalars(select(OtherCost.description)).all()) == ["Graphing calculator", "Lab kit"]
        db.session.remove()


@pytest.mark.parametrize(
    "path",
    [
        "/course-materials/202710/202710-MATH-221-001",
        "/course-materials/?term=202710&cost=low_cost",
        "/course-materials/202630/202630-CS-150-001",
    ],
)
def test_public_cost_pages_reflow_and_are_axe_clean(no_js_page, live_server, demo_data, path):
    no_js_page.goto(f"{live_server}{path}")
    for width, height in ((320, 640), (1280, 900)):
        no_js_page.set_viewport_size({"width": width, "height": height})
        no_sideways_scroll(no_js_page)
        assert_axe_clean(no_js_page)


def test_progress_coverage_reflows_and_is_axe_clean(page, live_server, demo_data):
    sign_in(page, live_server, "katherine")
    page.goto(f"{live_server}/progress/?term=202710")
    coverage = page.locator("#coverage")
    expect(coverage).to_contain_text("All organizations")
    for width, height in ((320, 640), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        no_sideways_scroll(page)
        assert_axe_clean(page)
    coverage.get_by_role(
        "link", name="2 sections with their cost disclosed when registration opened", exact=True
    ).first.click()
    expect(page.get_by_text("Cost disclosed by the time registration opened")).to_be_visible()

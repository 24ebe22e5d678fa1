""""No materials needed" and Undo on the Courses screen in a real browser, with htmx and without JavaScript."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from orders.domain.models import AdminAuditEntry, NoMaterialsAnswer
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.e2e.test_cancel import expect_focus_within, expect_same_document, set_marker

pytestmark = pytest.mark.e2e


def row(page: Page) -> Locator:
    """Emmy's MATH 340 row on her Courses screen."""
    return page.locator("li.offering").filter(has_text="MATH 340 Abstract Algebra")


def opener(page: Page) -> Locator:
    return row(page).get_by_role("link", name="No materials needed for MATH 340, Spring 2027")


def prompt(page: Page) -> Locator:
    return page.get_by_role("alertdialog", name="No materials needed for MATH 340?")


def undo(page: Page) -> Locator:
    return row(page).get_by_role("button", name="Undo “No materials needed” for MATH 340, Spring 2027")


def records(app) -> tuple[int, list[str]]:
    with app.app_context():
        answers = len(db.session.scalars(select(NoMaterialsAnswer)).all())
        kinds = list(db.session.scalars(select(AdminAuditEntry.kind).order_by(AdminAuditEntry.id)))
        db.session.remove()
    return answers, kinds


def test_no_materials_and_undo_with_htmx(page: Page, live_server, demo_data, app):
    sign_in(page, live_server, "emmy")
    loads = set_marker(page)
    assert_axe_clean(page)

    # "Not now" puts the button back, focused.
    opener(page).click()
    expect(prompt(page)).to_be_visible()
    expect_focus_within(prompt(page))
    prompt(page).get_by_role("link", name="Not now").click()
    expect(prompt(page)).to_have_count(0)
    expect(opener(page)).to_be_focused()

    opener(page).click()
    expect(prompt(page)).to_contain_text("MATH 340 Abstract Algebra, Spring 2027, section 001.")
    expect_focus_within(prompt(page))
    assert_axe_clean(page)
    prompt(page).get_by_role("button", name="Confirm: no materials needed").click()
    expect(row(page)).to_contain_text("No materials needed — Emmy Noether,")
    expect(undo(page)).to_be_focused()  # htmx keeps focus on the element with the confirm button's id
    expect(opener(page)).to_have_count(0)
    expect_same_document(page, loads)
    assert_axe_clean(page)
    assert records(app) == (1, ["no_materials.answered"])

    undo(page).click()
    expect(opener(page)).to_be_visible()
    expect(opener(page)).to_be_focused()
    expect(row(page)).not_to_contain_text("No materials needed — ")
    expect_same_document(page, loads)
    assert records(app) == (0, ["no_materials.answered", "no_materials.undone"])


def test_no_materials_and_undo_without_javascript(no_js_page: Page, live_server, demo_data, app):
    page = no_js_page
    sign_in(page, live_server, "emmy")
    courses_url = page.url

    opener(page).click()
    expect(page).to_have_url(re.compile(r"/no-materials/confirm\?"))
    expect(prompt(page)).to_be_visible()
    assert_axe_clean(page)
    prompt(page).get_by_role("link", name="Not now").click()
    expect(page).to_have_url(courses_url)
    assert records(app) == (0, [])

    opener(page).click()
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        prompt(page).get_by_role("button", name="Confirm: no materials needed").click()
    assert posted.value.status == 303
    expect(page).to_have_url(courses_url)
    expect(page.get_by_role("status").filter(has_text="Reminders about it stop.")).to_be_visible()
    expect(row(page)).to_contain_text("No materials needed — Emmy Noether,")
    assert_axe_clean(page)

    undo(page).click()
    expect(page.get_by_role("status").filter(has_text="was undone for section 001")).to_be_visible()
    expect(opener(page)).to_be_visible()
    assert records(app) == (0, ["no_materials.answered", "no_materials.undone"])
    assert_axe_clean(page)


def test_reminders_page_at_phone_width(page: Page, live_server, demo_data):
    """The back office's table stacks at 320 CSS px: nothing scrolls sideways, axe is clean."""
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "katherine")
    page.goto(f"{live_server}/admin/reminders/")
    expect(page.get_by_role("heading", level=1, name="Reminders")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_axe_clean(page)


def test_courses_row_and_prompt_at_phone_width(page: Page, live_server, demo_data):
    """At 320 CSS px the row's buttons and the inline prompt wrap: nothing scrolls sideways, axe is clean."""
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "emmy")
    opener(page).click()
    expect_focus_within(prompt(page))
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_axe_clean(page)

"""The Progress screen in a real browser: htmx term switch and "Remind now" in place, the same without
JavaScript, counts that lead to the Courses screen, axe-clean and reflowing at 320 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from orders.domain.models import OutboundEmail
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.e2e.test_reflow import _LAYOUT_PROBLEMS
from tests.helpers import set_marker

pytestmark = pytest.mark.e2e


def math_row(page: Page):
    return page.locator("#row-subject-MATH")


def reminder_count(app) -> int:
    with app.app_context():
        count = len(db.session.scalars(select(OutboundEmail.id).where(OutboundEmail.kind.like("reminder_%"))).all())
        db.session.remove()
    return count


def _organization_id(app, code: str) -> int:
    with app.app_context():
        found = db.session.execute(db.text("select id from organization where code = :code"), {"code": code}).scalar()
        db.session.remove()
    return found


def test_progress_with_htmx(page: Page, live_server, demo_data, app):
    sign_in(page, live_server, "katherine")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress").click()
    expect(page.get_by_role("heading", level=2, name="Spring 2027")).to_be_visible()
    expect(math_row(page)).to_be_visible()  # the tables come as fragments, in place
    expect(page.locator("#row-organization-" + str(_organization_id(app, "CS")))).to_be_visible()
    assert_axe_clean(page)
    loads = set_marker(page)

    page.get_by_label("Term", exact=True).select_option(label="Fall 2026")
    expect(page.get_by_role("heading", level=2, name="Fall 2026")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/progress/?term=202630")
    page.get_by_label("Term", exact=True).select_option(label="Spring 2027")
    expect(page.get_by_role("heading", level=2, name="Spring 2027")).to_be_visible()

    math_row(page).get_by_role("link", name="Remind now the instructors of MATH").click()
    prompt = page.get_by_role("alertdialog", name="Remind the instructors of Subject MATH?")
    expect(prompt).to_contain_text("2 instructors will get an email")
    assert_axe_clean(page)
    prompt.get_by_role("button", name="Send 2 reminders").click()
    expect(math_row(page)).to_contain_text("Reminded 2 instructors at")
    assert reminder_count(app) == 2
    assert page.evaluate("window.__e2eSamePage") is True and loads == []

    # Every count leads to the Courses screen filtered to those sections.
    math_row(page).get_by_role("link", name="2 not started, MATH").click()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    expect(page.locator(".filter-status")).to_contain_text("Subject MATH")
    expect(page.locator(".count")).to_contain_text("(2 sections)")


def test_progress_without_javascript(no_js_page: Page, live_server, demo_data, app):
    page = no_js_page
    sign_in(page, live_server, "emmy")  # coordinator for MATH
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress").click()
    expect(page.locator("#table-organization")).to_be_visible()
    page.get_by_label("Term", exact=True).select_option(label="Fall 2026")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=2, name="Fall 2026")).to_be_visible()
    page.get_by_label("Term", exact=True).select_option(label="Spring 2027")
    page.get_by_role("button", name="Show").click()
    # Without JavaScript each table is a page of its own.
    page.get_by_role("link", name="Show progress by organization").click()
    expect(page.get_by_role("heading", level=2, name="By organization")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Department of Mathematics")
    expect(page.locator("main")).not_to_contain_text("Computer Science")
    assert_axe_clean(page)
    page.get_by_role("link", name="Back to Progress for Spring 2027").click()
    page.get_by_role("link", name="Show progress by subject").click()

    math_row(page).get_by_role("link", name="Remind now the instructors of MATH").click()
    expect(page.get_by_role("heading", level=1, name="Remind now")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_role("button", name="Send 2 reminders").click()
    expect(page.locator(".banner")).to_contain_text("Reminded 2 instructors at")
    expect(math_row(page)).to_contain_text("Reminded 2 instructors at")
    assert reminder_count(app) == 2

    math_row(page).get_by_role("link", name="Remind now the instructors of MATH").click()
    expect(page.locator("main")).to_contain_text("No instructor of Subject MATH needs a reminder now")
    expect(page.get_by_role("button", name="Send")).to_have_count(0)
    assert reminder_count(app) == 2


@pytest.mark.parametrize("person", ["katherine", "grace"])
def test_progress_reflows_at_320_px(page: Page, live_server, demo_data, person):
    sign_in(page, live_server, person)
    page.goto(f"{live_server}/progress/")
    for width, height in ((320, 640), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate(_LAYOUT_PROBLEMS) == []
        assert_axe_clean(page)

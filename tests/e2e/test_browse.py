"""Sign in, the Courses screen and the order summary in a real browser, with JavaScript on and off."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from devtools.demo import DEMO_PASSWORD
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]
# axe runs with JavaScript on for pages whose HTML is the same either way (the server sends one page
# and neither htmx nor app.js changes it on load); states only JavaScript-off users reach (the prompt
# page, the banner after a redirect) are checked in test_cancel.py.

# docs/spec.md §5: what each demo user's Courses screen lists by default (open and upcoming terms),
# and an order they reach through its order-number link.
MATH_221, MATH_340 = "MATH 221 Calculus I", "MATH 340 Abstract Algebra"
CS_150, CS_310 = "CS 150 Introduction to Programming", "CS 310 Theory of Computation"
MATH_110 = "MATH 110 College Algebra"  # Sophie Germain's, whose order #1005 awaits approval (docs/spec.md §5)
COURSES_BY_USER = {
    "ada": ({MATH_221, CS_150}, 1001),  # Instructor
    "alan": ({CS_310, CS_150}, 1002),  # Instructor; order #1002 was placed for him by Grace
    "emmy": ({MATH_340, MATH_221, MATH_110}, 1001),  # Instructor of MATH 340, Coordinator for MATH
    "grace": ({CS_150, CS_310}, 1002),  # Coordinator for CS
    "katherine": ({MATH_221, MATH_340, MATH_110, CS_150, CS_310}, 1001),  # Program Administrator
}


def results(page: Page):
    """The course list region (the part htmx swaps)."""
    return page.get_by_role("region", name="Course offerings")


def course_titles(page: Page) -> set[str]:
    return {text.strip() for text in results(page).get_by_role("heading", level=4).all_inner_texts()}


def instructor_groups(page: Page):
    return results(page).get_by_role("heading", level=3)


@pytest.mark.real_password_hash
def test_sign_in_page_is_accessible(page: Page, live_server, demo_data):
    page.goto(f"{live_server}/sign-in")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    assert_axe_clean(page)

    page.get_by_label("Email").fill("ada@demo.edu")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That email and password do not match an active account.")
    assert_axe_clean(page)

    # The one browser flow that signs in against the production (scrypt) hash.
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.mark.parametrize("js", JS_MODES)
@pytest.mark.parametrize("user", sorted(COURSES_BY_USER))
def test_each_user_sees_their_courses_and_opens_an_order(page_for, live_server, demo_data, user, js):
    page = page_for(js)
    expected_titles, number = COURSES_BY_USER[user]
    sign_in(page, live_server, user)

    expect(results(page).get_by_role("heading", level=4).first).to_be_visible()
    assert course_titles(page) == expected_titles
    expect(results(page)).not_to_contain_text("Fall 2026")  # the closed term is not listed by default
    expect(page.get_by_label("Term")).to_have_value("current")
    if js:
        assert_axe_clean(page)

    page.get_by_role("link", name=f"Order #{number}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orders/{number}(\?|$)"))
    expect(page.get_by_role("heading", level=1, name=f"Order #{number}")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Digital course materials")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Placed by")
    if js:
        assert_axe_clean(page)

    page.get_by_role("link", name=re.compile("^← Back to")).click()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()


@pytest.mark.parametrize("js", JS_MODES)
def test_403_and_404_pages_are_clear_and_accessible(page_for, live_server, demo_data, js):
    page = page_for(js)
    sign_in(page, live_server, "alan")

    refused = page.goto(f"{live_server}/orders/1001")
    assert refused is not None and refused.status == 403
    expect(page.get_by_role("heading", level=1, name="You can't do that")).to_be_visible()
    expect(page.locator("main")).to_contain_text("do not teach or coordinate")
    if js:
        assert_axe_clean(page)

    missing = page.goto(f"{live_server}/orders/99999")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", level=1, name="Not found")).to_be_visible()
    expect(page.locator("main")).to_contain_text("There is no order #99999.")
    if js:
        assert_axe_clean(page)


def test_coordinator_finds_an_instructor_by_typing_with_htmx(page: Page, live_server, demo_data, app):
    """The type-ahead lists matches in place as the name is typed; the arrow keys or Tab, then Enter, pick one."""
    with app.app_context():
        alan_id = demo_data.user("alan").id
    sign_in(page, live_server, "grace")
    courses_url = page.url
    expect(instructor_groups(page)).to_have_text(["Ada Lovelace", "Alan Turing"])

    # A full navigation would wipe this property and fire a load event.
    page.evaluate("window.__e2eSamePage = true")
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    field = page.get_by_label("Instructor name")
    field.fill("tur")
    matches = page.locator("#instructor-matches")
    expect(matches.get_by_role("link")).to_have_text(["Alan Turing"])
    expect(matches).to_contain_text("1 instructor matches “tur”")
    assert page.evaluate("window.__e2eSamePage") is True and loads == []
    assert_axe_clean(page)

    field.fill("a")
    expect(matches.get_by_role("link")).to_have_text(["Ada Lovelace", "Alan Turing"])
    field.focus()
    page.keyboard.press("ArrowDown")  # the arrow keys move through the matches; Escape goes back
    expect(matches.get_by_role("link", name="Ada Lovelace")).to_be_focused()
    page.keyboard.press("Escape")
    expect(field).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(matches.get_by_role("link", name="Alan Turing")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    expect(matches.get_by_role("link", name="Alan Turing")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]instructor={alan_id}(&|$)"))
    expect(instructor_groups(page)).to_have_text(["Alan Turing"])
    assert course_titles(page) == {CS_310, CS_150}
    expect(page.locator("#instructor-chosen")).to_contain_text("Listing instructor: Alan Turing")
    assert_axe_clean(page)

    page.get_by_role("link", name="All instructors").click()
    expect(page).to_have_url(courses_url)
    expect(instructor_groups(page)).to_have_text(["Ada Lovelace", "Alan Turing"])


def test_coordinator_finds_an_instructor_with_the_show_button_without_js(no_js_page: Page, live_server, demo_data, app):
    page = no_js_page
    with app.app_context():
        alan_id = demo_data.user("alan").id
    sign_in(page, live_server, "grace")
    expect(instructor_groups(page)).to_have_text(["Ada Lovelace", "Alan Turing"])

    page.get_by_label("Instructor name").fill("turing")
    expect(page).not_to_have_url(re.compile("instructor"))  # nothing happens until "Show"
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]instructor_name=turing(&|$)"))
    matches = page.locator("#instructor-matches")
    expect(matches.get_by_role("link")).to_have_text(["Alan Turing"])
    assert_axe_clean(page)
    matches.get_by_role("link", name="Alan Turing").click()
    expect(page).to_have_url(re.compile(rf"[?&]instructor={alan_id}(&|$)"))
    expect(instructor_groups(page)).to_have_text(["Alan Turing"])
    expect(page.locator("#instructor-chosen")).to_contain_text("Listing instructor: Alan Turing")
    assert_axe_clean(page)

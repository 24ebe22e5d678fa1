"""Mary opts out of a course material and back in, with JavaScript on and off (docs/spec.md §3 "Course
materials (students)"): confirmation with the consent text, a banner, the total, axe-clean at 320 px
and on a desktop, no sideways scroll on a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from devtools.demo import DEMO_PASSWORD
from orders.domain.models import ChoiceEvent, OutboundEmail, Term, User
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.e2e.test_reflow import _LAYOUT_PROBLEMS

pytestmark = pytest.mark.e2e

CALCULUS = "Calculus: Early Transcendentals"
JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]
VIEWPORTS = [pytest.param((320, 640), id="phone"), pytest.param((1280, 900), id="desktop")]


def sign_in_as_student(page: Page, base_url: str, first_name: str) -> None:
    """Sign in through the form; a student lands on Course materials."""
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(f"{first_name}@demo.edu")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Course materials")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/student/materials$"))


def line(page: Page) -> Locator:
    return page.locator(".material").filter(has=page.get_by_role("heading", name=CALCULUS))


def toggle(page: Page, label: str) -> Locator:
    return line(page).get_by_role("link", name=f"{label} for {CALCULUS}")


def prompt(page: Page, label: str) -> Locator:
    return page.get_by_role("alertdialog", name=f"{label}: {CALCULUS}?")


def no_sideways_scroll(page: Page) -> None:
    problems = page.evaluate(_LAYOUT_PROBLEMS)
    assert problems == [], problems


def records(app) -> tuple[int, int]:
    with app.app_context():
        mary = db.session.scalars(select(User).where(User.email == "mary@demo.edu")).one()
        events = db.session.scalar(select(func.count()).select_from(ChoiceEvent).where(ChoiceEvent.user_id == mary.id))
        receipts = db.session.scalar(
            select(func.count()).select_from(OutboundEmail).where(OutboundEmail.recipient == "mary@demo.edu")
        )
        db.session.remove()
    return events, receipts


def choose(page: Page, js: bool, label: str, confirm: str) -> None:
    """Open the prompt for `label`, check it, confirm; the banner takes focus."""
    toggle(page, label).click()
    dialog = prompt(page, label)
    expect(dialog).to_be_visible()
    if js:
        page.wait_for_function("el => el.contains(document.activeElement)", arg=dialog.element_handle())
    else:
        expect(page).to_have_url(re.compile(r"/choice\?term=202710$"))
        expect(dialog).to_be_focused()
    expect(dialog).to_contain_text("$89.99")
    expect(dialog).to_contain_text("You can change this choice until")
    expect(dialog).to_contain_text(
        "if you opt out, you will not be charged and you lose access to them"
    )  # consent text
    no_sideways_scroll(page)
    assert_axe_clean(page)
    dialog.get_by_role("button", name=confirm).click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("js", JS_MODES)
def test_mary_opts_out_and_back_in(page_for, live_server, demo_data, app, js, viewport):
    page = page_for(js)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    sign_in_as_student(page, live_server, "mary")
    main = page.locator("main")
    expect(main).to_contain_text("Choose by ")
    expect(main).to_contain_text("Total to be charged for Spring 2027: $240.24")
    expect(line(page)).to_contain_text("Included — $89.99 will be charged to your student account")
    no_sideways_scroll(page)
    assert_axe_clean(page)
    if js:
        page.evaluate("window.__e2eSamePage = true")
        # "Keep my choice" closes the inline prompt and gives focus back to the button.
        toggle(page, "Opt out").click()
        prompt(page, "Opt out").get_by_role("link", name="Keep my choice").click()
        expect(prompt(page, "Opt out")).to_have_count(0)
        expect(toggle(page, "Opt out")).to_be_focused()

    choose(page, js, "Opt out", "Confirm: opt out")
    done = page.get_by_role("status").filter(has_text=f"You opted out of {CALCULUS}")
    expect(done).to_be_visible()
    expect(done).to_be_focused()
    expect(line(page)).to_contain_text("You opted out — you will not be charged and lose access on ")
    expect(main).to_contain_text("Total to be charged for Spring 2027: $150.25")
    no_sideways_scroll(page)
    assert_axe_clean(page)
    assert records(app) == (1, 1)

    choose(page, js, "Opt back in", "Confirm: opt back in")
    again = page.get_by_role("status").filter(has_text=f"You opted in to {CALCULUS}")
    expect(again).to_be_focused()
    expect(line(page)).to_contain_text("Included — $89.99 will be charged to your student account")
    expect(main).to_contain_text("Total to be charged for Spring 2027: $240.24")
    assert_axe_clean(page)
    assert records(app) == (2, 2)
    if js:
        assert page.evaluate("window.__e2eSamePage") is True  # htmx swapped; no reload


def _ids(app) -> dict:
    with app.app_context():
        users = {u.email.split("@")[0]: u.id for u in db.session.scalars(select(User))}
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one().id
        db.session.remove()
    return {"users": users, "spring": spring}


@pytest.mark.parametrize("who", ["mary", "sofia", "katherine"])
def test_student_and_back_office_pages_reflow_and_are_axe_clean(page_for, live_server, demo_data, app, who):
    """Every student page (the page, its confirmation) and the back office's Student choice and Students
    pages, at 320 and 390 px: no sideways scroll, no repeated id, axe-clean."""
    known = _ids(app)
    page = page_for(False)  # a full page each time: the no-JavaScript rendering is what a phone first shows
    if who == "katherine":
        sign_in(page, live_server, who)
        mary = known["users"]["mary"]
        urls = [
            "/admin/student-choice",
            f"/admin/student-choice/terms/{known['spring']}",
            "/admin/students?q=demo.edu",
            f"/admin/students/{mary}",
        ]
        page.goto(f"{live_server}/admin/students/{mary}")
        urls += [page.locator("a.choice-button").first.get_attribute("href")]
    else:
        sign_in_as_student(page, live_server, who)
        urls = ["/student/materials", "/student/materials?term=202710"]
        urls += [page.locator("a.choice-button").first.get_attribute("href")]
    for url in urls:
        page.goto(f"{live_server}{url}")
        for width, height in ((320, 640), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            no_sideways_scroll(page)
            assert_axe_clean(page)


def test_the_inline_prompt_keeps_the_heading_order(page_for, live_server, demo_data):
    """Issue 37 item 12: the prompt under a line (an h4) was an h2, so the next line's h4 skipped a level
    (axe heading-order). CS 310 has two lines: open the prompt on the first."""
    page = page_for(True)
    sign_in_as_student(page, live_server, "mary")
    first = "Introduction to the Theory of Computation"
    page.locator(".material").filter(has=page.get_by_role("heading", name=first)).get_by_role(
        "link", name=f"Opt out for {first}"
    ).click()
    dialog = page.get_by_role("alertdialog", name=f"Opt out: {first}?")
    expect(dialog).to_be_visible()
    assert_axe_clean(page)
    expect(dialog.get_by_role("heading", level=5)).to_have_text(f"Opt out: {first}?")

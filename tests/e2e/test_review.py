"""Review in a real browser (docs/spec.md §8): submit -> approve, and submit -> return -> submit again, with JavaScript
on and off; the Approvals screen, the summary's review panel and its prompts axe-clean at 320 px and at desktop width,
nothing scrolling sideways, no console errors (the autouse fixture in conftest checks that)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from orders.domain.models import CoordinatorGrant, Order, OrderingPolicy, OrderStatus, Organization, OutboundEmail, User
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.e2e.test_ordering import go_to_review, save_sections, start_draft_for_cs150
from tests.helpers import no_dialogs

pytestmark = pytest.mark.e2e

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]


def axe_at_both_widths(page: Page) -> None:
    """axe-clean at desktop width and at 320 CSS px, where nothing scrolls sideways (WCAG 1.4.10 reflow)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_axe_clean(page)
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"{page.url} scrolls sideways at 320 px"
    assert_axe_clean(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_out(page: Page) -> None:
    """The header's Sign out (a POST form: the same with JavaScript off); the header folds into "Menu" at 320 px."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Email")).to_be_visible()


def banner(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def status_of(app, number: int) -> OrderStatus:
    with app.app_context():
        status = db.session.scalars(select(Order.status).where(Order.number == number)).one()
        db.session.remove()
        return status


def recipients(app) -> list[tuple[str, str]]:
    with app.app_context():
        found = [(m.recipient, m.subject) for m in db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id))]
        db.session.remove()
        return found


def computer_science_under_approval(app) -> None:
    """CS reviews every order, and Grace's CS grant may approve (the demo keeps CS open)."""
    with app.app_context():
        db.session.scalars(
            select(Organization).where(Organization.code == "CS")
        ).one().ordering_policy = OrderingPolicy.APPROVAL
        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one()
        db.session.scalars(
            select(CoordinatorGrant).where(CoordinatorGrant.user_id == grace.id)
        ).one().may_approve = True
        db.session.commit()
        db.session.remove()


def decide(page: Page, js: bool, button: str, confirm: str, reason: str | None = None) -> None:
    """From the summary: the button, its server-rendered confirmation (inline with htmx, a page without), confirm."""
    page.get_by_role("link", name=button, exact=True).click()
    prompt = page.get_by_role("alertdialog")
    expect(prompt).to_be_visible()
    if js:
        page.wait_for_function("() => document.querySelector('[data-prompt]').contains(document.activeElement)")
    axe_at_both_widths(page)
    if reason is not None:
        page.get_by_label(re.compile("^Reason for ")).fill(reason)
    prompt.get_by_role("button", name=confirm, exact=True).click()


@pytest.mark.parametrize("js", JS_MODES)
def test_submit_then_approve(page_for, live_server, demo_data, app, js):
    computer_science_under_approval(app)
    page = page_for(js)
    dialogs = no_dialogs(page)
    sign_in(page, live_server, "ada")
    start_draft_for_cs150(page)
    save_sections(page)
    page.goto(page.url.replace("/materials", "/materials?q=python+crash"))
    page.get_by_role("button", name="Add Python Crash Course").click()
    expect(page.get_by_role("button", name="Remove Python Crash Course").first).to_be_visible()
    go_to_review(page)
    expect(
        page.get_by_role("group", name=re.compile("^Did an instructor of this course write or edit"))
    ).to_be_visible()
    expect(page.locator("#review-waits")).to_contain_text("The Department of Computer Science reviews every order")
    axe_at_both_widths(page)
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Submit for approval").click()
    expect(banner(page, "Order #1006 was submitted for approval.")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Awaiting approval")).to_be_visible()
    axe_at_both_widths(page)
    assert status_of(app, 1006) is OrderStatus.AWAITING_APPROVAL

    sign_out(page)
    sign_in(page, live_server, "grace")
    page.get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("heading", level=1, name="Approvals")).to_be_visible()
    expect(
        page.get_by_role(
            "row", name=re.compile(r"^#1006 Spring 2027 CS 150 Introduction to Programming 001 Ada Lovelace")
        )
    ).to_be_visible()
    axe_at_both_widths(page)
    page.get_by_role("link", name="#1006").click()
    decide(page, js, "Approve", "Approve")
    expect(banner(page, "Order #1006 was approved. It is now placed and counts everywhere.")).to_be_visible()
    expect(page.locator(".status-line")).to_contain_text("Placed")
    axe_at_both_widths(page)
    assert status_of(app, 1006) is OrderStatus.PLACED
    assert [to for to, _ in recipients(app)] == ["grace@demo.edu", "ada@demo.edu"]  # awaits, then approved
    assert dialogs == []


@pytest.mark.parametrize("js", JS_MODES)
def test_submit_return_and_submit_again(page_for, live_server, demo_data, app, js):
    """Sophie's #1005 was submitted when the demo was loaded; Emmy returns it, Sophie submits it again."""
    page = page_for(js)
    dialogs = no_dialogs(page)
    sign_in(page, live_server, "emmy")
    page.get_by_role("link", name="Approvals").click()
    page.get_by_role("link", name="#1005").click()
    expect(page.get_by_role("heading", level=2, name="Awaiting approval")).to_be_visible()
    if not js:  # a reason made only of invisible characters: the field's message, nothing changed
        page.get_by_role("link", name="Return to placer", exact=True).click()
        page.get_by_label(re.compile("^Reason for ")).fill("\u200b\u200b")
        page.get_by_role("button", name="Return to placer", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text(
            "Give a reason: tell the placer what to change before it can be approved."
        )
        expect(page.get_by_label(re.compile("^Reason for "))).to_have_attribute("aria-invalid", "true")
        axe_at_both_widths(page)
        assert status_of(app, 1005) is OrderStatus.AWAITING_APPROVAL
        page.goto(f"{live_server}/orders/1005")
    decide(page, js, "Return to placer", "Return to placer", reason="Please order the 8th edition.")
    expect(banner(page, "Order #1005 was returned to Sophie Germain.")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Returned to its placer")).to_be_visible()
    assert status_of(app, 1005) is OrderStatus.RETURNED

    sign_out(page)
    sign_in(page, live_server, "sophie")
    page.goto(f"{live_server}/orders/1005")
    expect(page.locator("#review-panel")).to_contain_text("Please order the 8th edition.")
    axe_at_both_widths(page)
    page.get_by_role("link", name="Edit and submit again").click()
    expect(page.get_by_role("heading", level=1, name="Order #1005: MATH 110 College Algebra")).to_be_visible()
    expect(page.locator("#returned-note")).to_contain_text("Please order the 8th edition.")
    axe_at_both_widths(page)
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Submit again for approval").click()
    expect(banner(page, "Order #1005 was submitted for approval.")).to_be_visible()
    assert status_of(app, 1005) is OrderStatus.AWAITING_APPROVAL
    assert [subject.split(" — ")[0] for _, subject in recipients(app)] == [
        "Order #1005 was returned",
        "Order #1005 awaits your approval",
    ]
    assert dialogs == []

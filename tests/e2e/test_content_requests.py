"""Content requests in a real browser, with JavaScript on and off: from a catalog search with no match
to a placed order carrying a content request, and a Program Administrator approving it by creating the
catalog item, after which the order summary shows it as that catalog line. Keyboard only where it
matters, axe-clean on the request form, the list and the detail page, no console errors."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from orders.domain.models import CatalogItem, ContentRequest, ContentRequestStatus, OutboundEmail
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.helpers import tab_to

pytestmark = pytest.mark.e2e

TITLE = "Obscure Treatise on Compilers"
COURSE = "CS 150 Introduction to Programming"


def heading(page: Page, level: int, name: str | re.Pattern) -> Locator:
    return page.get_by_role("heading", level=level, name=name)


def navigate(page: Page, action) -> None:
    """Run `action` and wait for the page it loads (a plain form or link, with or without JavaScript)."""
    with page.expect_navigation():
        action()


def search_with_no_match(page: Page, js: bool) -> None:
    box = page.get_by_role("searchbox", name="Search the catalog")
    if js:
        box.press_sequentially("Obscure Treatise")  # htmx searches as the user types
    else:
        box.fill("Obscure Treatise")
        navigate(page, lambda: page.get_by_role("button", name="Search", exact=True).click())
    expect(page.locator("main")).to_contain_text("No catalog item matches “Obscure Treatise”.")


def request_by_keyboard(page: Page) -> None:
    """Fill the request form and send it with the keyboard alone."""
    title = page.get_by_label("Title")
    expect(title).to_have_value("Obscure Treatise")  # the search words came along
    tab_to(page, title)
    page.keyboard.press("Control+A")
    page.keyboard.type(TITLE)
    page.keyboard.press("Tab")
    expect(page.get_by_label("ISBN")).to_be_focused()
    page.keyboard.type("0-306-40615-2")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada <b>Writer</b>")  # HTML stays text
    tab_to(page, page.get_by_label("Note"))
    page.keyboard.type("Chapters 1-3 for week one")
    tab_to(page, page.get_by_role("button", name="Request this title"))
    navigate(page, lambda: page.keyboard.press("Enter"))


def materials_row(page: Page, name: str) -> Locator:
    return page.get_by_role("row", name=re.compile(f"^{re.escape(name)}"))


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_from_no_match_to_a_placed_request_approved_as_a_catalog_line(page_for, live_server, demo_data, app, js):
    page = page_for(js)
    sign_in(page, live_server, "ada")

    # Start an order for CS 150 and search the catalog for a title it does not have.
    navigate(page, lambda: page.get_by_role("link", name="Start order for CS 150").click())
    navigate(page, lambda: page.get_by_role("button", name="Start order").click())
    navigate(page, lambda: page.get_by_role("button", name="Save and continue").click())
    expect(heading(page, 2, "Step 2 of 3: Materials")).to_be_visible()
    search_with_no_match(page, js)

    # "Request a title": the form, bad input first, then a good request by keyboard.
    navigate(page, lambda: page.get_by_role("link", name="request a title").click())
    expect(heading(page, 1, "Request a title for CS 150, Spring 2027")).to_be_visible()
    assert_axe_clean(page)
    page.get_by_label("ISBN").fill("0-306-40615-3")
    navigate(page, lambda: page.get_by_role("button", name="Request this title").click())
    expect(page.get_by_label("ISBN")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#isbn-error")).to_have_text(
        "Enter a valid ISBN-10 or ISBN-13 (hyphens and spaces are fine); check the last digit.")
    assert_axe_clean(page)  # the form with its error
    page.get_by_label("ISBN").fill("")
    request_by_keyboard(page)

    expect(page).to_have_url(re.compile(r"/ordering/drafts/\d+/materials$"))
    expect(page.get_by_role("status").filter(has_text=f"Requested “{TITLE}”.")).to_be_visible()
    requests = page.get_by_role("list", name="Content requests")
    expect(requests).to_contain_text(TITLE)
    expect(requests).to_contain_text("ISBN 9780306406157 · Content request — Submitted")

    # Review and place an order that consists of the request alone.
    navigate(page, lambda: page.get_by_role("link", name="Continue to review").click())
    expect(materials_row(page, TITLE)).to_contain_text("Content request — Submitted")
    page.get_by_label("No", exact=True).check()  # the royalty question (docs/spec.md §8)
    navigate(page, lambda: page.get_by_role("button", name="Place order").click())
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    number = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("status")).to_have_text(f"Order #{number} placed.")
    expect(materials_row(page, TITLE)).to_contain_text("Content request — Submitted")

    # The header's "Content requests": the list, then the request's page.
    navigate(page, lambda: page.get_by_role("link", name="Content requests", exact=True).click())
    expect(heading(page, 1, "Content requests")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(re.escape(TITLE)))
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text(f"#{number}")
    assert_axe_clean(page)
    navigate(page, lambda: row.get_by_role("link", name=TITLE).click())
    expect(heading(page, 1, f"Content request: {TITLE}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Ada <b>Writer</b>")
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)  # instructors don't
    assert_axe_clean(page)

    # A Program Administrator approves it by creating the catalog item, by keyboard.
    page.context.clear_cookies()
    sign_in(page, live_server, "katherine")
    navigate(page, lambda: page.get_by_role("link", name="Content requests", exact=True).click())
    page.get_by_label("Status").select_option(label="Submitted")
    navigate(page, lambda: page.get_by_role("button", name="Show").click())
    expect(page).to_have_url(re.compile(r"/requests\?status=submitted(&|$)"))
    navigate(page, lambda: page.get_by_role("link", name=TITLE).click())
    assert_axe_clean(page)
    approved = page.get_by_label("Approved")
    tab_to(page, page.get_by_label("Researching"))
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    expect(approved).to_be_focused()
    expect(approved).to_be_checked()
    tab_to(page, page.get_by_label("An item already in the catalog"))  # the group's checked radio takes the Tab stop
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("A new catalog item made from this request")).to_be_checked()
    page.get_by_label("Publisher").fill("Dragon Press")
    page.get_by_label("Delivery").select_option("eText")
    page.get_by_label("Student price (USD)").fill("42.50")
    page.get_by_label("Comment (optional)").fill("Licensed for spring.")
    tab_to(page, page.get_by_role("button", name="Change status"))
    navigate(page, lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("status").filter(has_text="The request is now Approved.")).to_be_visible()
    expect(page.locator(".status-line")).to_contain_text("Approved")
    expect(page.locator("main")).to_contain_text("Licensed for spring.")
    expect(page.locator("dl.facts")).to_contain_text(f"{TITLE} (ISBN 9780306406157, $42.50)")
    assert_axe_clean(page)

    # The order summary shows it as that catalog line, counted in the total.
    navigate(page, lambda: page.get_by_role("link", name=f"Order #{number}").click())
    line = materials_row(page, TITLE)
    expect(line).to_contain_text("Dragon Press")
    expect(line).to_contain_text("$42.50")
    expect(line).not_to_contain_text("Content request")
    expect(page.get_by_role("row", name="Total per student $42.50")).to_be_visible()

    with app.app_context():
        request = db.session.scalars(select(ContentRequest)).one()
        item = db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == "9780306406157")).one()
        assert request.status is ContentRequestStatus.APPROVED and request.fulfilled_by_id == item.id
        update = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "request_update")).one()
        assert update.recipient == "ada@demo.edu"  # Ada requested and placed: one email
        assert update.subject == f"Content request Approved — {TITLE}, order #{number}"
        assert "Comment: Licensed for spring." in render_email(update).text
        db.session.remove()

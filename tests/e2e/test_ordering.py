"""The ordering workflow in a real browser: place an order, order for an instructor, discard a draft,
with JavaScript on and off, by keyboard alone, and axe-clean at every step."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from orders.domain.models import Order, OrderNumberCounter, OrderStatus, OutboundEmail
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.helpers import marker_survives, no_dialogs, set_marker, tab_to

pytestmark = pytest.mark.e2e

COURSE = "CS 150 Introduction to Programming"
# docs/spec.md §5 numbers orders #1001-#1005 (#1005 awaits approval), so the next placed order is #1006.
NEXT_NUMBER = 1006


# --- Helpers ---------------------------------------------------------------------------------------


def heading(page: Page, level: int, name: str | re.Pattern) -> Locator:
    return page.get_by_role("heading", level=level, name=name)


def fact(page: Page, term: str) -> Locator:
    """The value of one "term: value" fact on a review or summary page."""
    return page.locator("dl.facts > div").filter(has=page.locator("dt", has_text=re.compile(f"^{term}$"))).locator("dd")


def expect_step(page: Page, number: int, name: str) -> None:
    """A step page of the draft order for CS 150 is showing."""
    expect(heading(page, 1, f"New order: {COURSE}")).to_be_visible()
    expect(heading(page, 2, f"Step {number} of 3: {name}")).to_be_visible()


def start_draft_for_cs150(page: Page, link_name: str = "Start order for CS 150", *, axe: bool = False) -> None:
    """From the Courses screen: the "Start order" link, then the start page's POST form, to step 1."""
    page.get_by_role("link", name=link_name).click()
    expect(heading(page, 1, f"Start an order: {COURSE}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Spring 2027")
    if axe:
        assert_axe_clean(page)
    page.get_by_role("button", name="Start order").click()
    expect_step(page, 1, "Sections")


def save_sections(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()
    expect_step(page, 2, "Materials")


def live_search(page: Page, query: str, count_text: str) -> None:
    """Type into the catalog search (JavaScript on) and wait for htmx to swap in results and the count."""
    box = page.get_by_role("searchbox", name="Search the catalog")
    box.press_sequentially(query)
    expect(page.locator("#catalog-count[role=status]")).to_have_text(count_text)  # a polite live region
    expect(heading(page, 3, "Search results")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/materials\?q={re.escape(query)}$"))


def add_live(page: Page, title: str, items_on_order: int) -> None:
    """Choose "Add" with htmx on: the button turns into "Remove" in place and the status line says so."""
    page.get_by_role("button", name=f"Add {title}").click()
    expect(page.get_by_role("button", name=f"Remove {title}").first).to_be_visible()
    expect(page.locator("#draft-status")).to_have_text(f"Added {title}.")
    expect(
        heading(page, 3, f"On this order ({items_on_order} item{'s' if items_on_order != 1 else ''})")
    ).to_be_visible()


def go_to_review(page: Page) -> None:
    page.get_by_role("link", name="Continue to review").click()
    expect_step(page, 3, "Review")


def place_and_expect_banner(page: Page, number: int, title: str) -> None:
    """Answer the royalty question No, choose "Place order".

    The order summary shows the banner (focused) and the item.
    """
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{number}$"))
    expect(heading(page, 1, f"Order #{number}")).to_be_visible()
    banner = page.get_by_role("status")
    expect(banner).to_have_text(f"Order #{number} placed.")
    expect(banner).to_be_focused()
    expect(page.locator(".status-line")).to_contain_text("Placed")
    expect(page.get_by_role("row", name=re.compile(f"^{re.escape(title)} "))).to_be_visible()


def order_and_outbox(app, number: int) -> tuple[OrderStatus, str, list[str]]:
    """(status, placer's email, sorted outbox recipients) for a placed order."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        placer = order.placed_by.email
        recipients = sorted(db.session.scalars(select(OutboundEmail.recipient)))
        status = order.status
        db.session.remove()
        return status, placer, recipients


def outbox(app) -> list[str]:
    with app.app_context():
        recipients = sorted(db.session.scalars(select(OutboundEmail.recipient)))
        db.session.remove()
        return recipients


def last_number(app) -> int | None:
    with app.app_context():
        number = db.session.scalar(select(OrderNumberCounter.last_number))
        db.session.remove()
        return number


# --- Placing an order ------------------------------------------------------------------------------


def test_instructor_places_an_order_with_javascript(page: Page, live_server, demo_data, app):
    dialogs = no_dialogs(page)
    sign_in(page, live_server, "ada")
    start_draft_for_cs150(page, axe=True)

    expect(page.get_by_label("Section 001")).to_be_checked()  # her own section, preselected
    expect(page.get_by_label("Section 002")).to_have_count(0)  # Alan's section is not hers to order
    assert_axe_clean(page)
    save_sections(page)

    loads = set_marker(page)
    live_search(page, "python", "3 items match “python”.")
    results = page.get_by_role("region", name="Search results")
    expect(results.get_by_role("heading", level=4)).to_have_text(
        ["Python Crash Course", "Think Python", "zyBooks Programming in Python 3"]
    )
    assert_axe_clean(page)

    add_live(page, "Python Crash Course", 1)
    expect(page.get_by_role("row", name="Total per student $29.99")).to_be_visible()
    expect(page.get_by_role("button", name="Add Think Python")).to_be_visible()  # the results stayed
    marker_survives(page)
    assert loads == []

    go_to_review(page)
    main = page.locator("main")
    expect(page.get_by_role("row", name="CS 150 001 First Eight Weeks Ada Lovelace")).to_be_visible()
    expect(
        page.get_by_role("row", name=re.compile(r"^Python Crash Course Eric Matthes 9781718502703 "))
    ).to_be_visible()
    expect(page.get_by_role("row", name="Total per student $29.99")).to_be_visible()
    expect(main).to_contain_text("an email receipt goes to you.")
    assert_axe_clean(page)

    place_and_expect_banner(page, NEXT_NUMBER, "Python Crash Course")
    expect(fact(page, "Placed by")).to_have_text("Ada Lovelace")
    expect(fact(page, "On behalf of")).to_have_count(0)
    assert_axe_clean(page)
    assert dialogs == []

    status, placer, recipients = order_and_outbox(app, NEXT_NUMBER)
    assert (status, placer, recipients) == (OrderStatus.PLACED, "ada@demo.edu", ["ada@demo.edu"])
    with app.app_context():
        receipt = db.session.scalars(select(OutboundEmail)).one()
        assert receipt.subject == f"Order #{NEXT_NUMBER} placed — {COURSE}, Spring 2027"
        assert "Python Crash Course" in render_email(receipt).text
        db.session.remove()

    page.reload()  # the banner is flashed once
    expect(heading(page, 1, f"Order #{NEXT_NUMBER}")).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)


def test_instructor_places_an_order_without_javascript(no_js_page: Page, live_server, demo_data, app):
    page = no_js_page
    sign_in(page, live_server, "ada")
    start_draft_for_cs150(page)
    expect(page.get_by_label("Section 001")).to_be_checked()
    save_sections(page)

    page.get_by_role("searchbox", name="Search the catalog").fill("978-1-7185")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/materials\?q=978-1-7185$"))
    expect(page.locator("#catalog-count")).to_have_text("1 item matches “978-1-7185”.")
    expect(page.get_by_role("searchbox", name="Search the catalog")).to_have_value("978-1-7185")

    with page.expect_navigation():
        page.get_by_role("button", name="Add Python Crash Course").click()
    expect(page).to_have_url(re.compile(r"/materials\?q=978-1-7185$"))  # POST, then 303 back to the same search
    expect(page.get_by_role("status").filter(has_text="Added Python Crash Course.")).to_be_visible()
    expect(heading(page, 3, "On this order (1 item)")).to_be_visible()
    expect(page.get_by_role("button", name="Remove Python Crash Course").first).to_be_visible()
    assert_axe_clean(page)

    go_to_review(page)
    place_and_expect_banner(page, NEXT_NUMBER, "Python Crash Course")

    status, placer, recipients = order_and_outbox(app, NEXT_NUMBER)
    assert (status, placer, recipients) == (OrderStatus.PLACED, "ada@demo.edu", ["ada@demo.edu"])


def test_coordinator_orders_on_behalf_of_an_instructor(page: Page, live_server, demo_data, app):
    with app.app_context():
        alan_id = demo_data.user("alan").id
    sign_in(page, live_server, "grace")
    page.get_by_label("Instructor name").fill("Turing")
    page.locator("#instructor-matches").get_by_role("link", name="Alan Turing").click()
    expect(page).to_have_url(re.compile(rf"[?&]instructor={alan_id}(&|$)"))
    expect(page.get_by_role("region", name="Course offerings").get_by_role("heading", level=3)).to_have_text(
        ["Alan Turing"]
    )

    start_draft_for_cs150(page, "Start order for CS 150, Alan Turing")
    expect(page.locator(".status-line")).to_contain_text("Ordering on behalf of Alan Turing")
    expect(page.get_by_label("Section 002")).to_be_checked()  # Alan's section, preselected
    expect(page.get_by_label("Section 001")).not_to_be_checked()  # Ada's is offered but not chosen
    save_sections(page)

    live_search(page, "think", "1 item matches “think”.")
    add_live(page, "Think Python", 1)
    go_to_review(page)
    expect(fact(page, "Ordered by")).to_have_text("Grace Hopper")
    expect(fact(page, "On behalf of")).to_have_text("Alan Turing")
    expect(page.locator("main")).to_contain_text("an email receipt goes to you and to Alan Turing.")

    place_and_expect_banner(page, NEXT_NUMBER, "Think Python")
    expect(fact(page, "Placed by")).to_have_text("Grace Hopper")
    expect(fact(page, "On behalf of")).to_have_text("Alan Turing")
    expect(page.get_by_role("row", name="CS 150 002 First Eight Weeks Alan Turing")).to_be_visible()

    status, placer, recipients = order_and_outbox(app, NEXT_NUMBER)
    assert (status, placer, recipients) == (OrderStatus.PLACED, "grace@demo.edu", ["alan@demo.edu", "grace@demo.edu"])


# --- Discarding a draft ----------------------------------------------------------------------------


DISCARDED = f"Your draft order for {COURSE}, Spring 2027 was canceled. Nothing was ordered."


def expect_discarded(page: Page, app, counter_before: int | None) -> None:
    """Back on the Courses screen with the banner, "Start order" offered again, no email, no number used."""
    expect(heading(page, 1, "Courses")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    banner = page.get_by_role("status").filter(has_text="Nothing was ordered.")
    expect(banner).to_have_text(DISCARDED)
    expect(banner).to_be_focused()
    expect(page.get_by_role("link", name="Start order for CS 150")).to_be_visible()
    expect(page.get_by_role("link", name="Resume draft for CS 150")).to_have_count(0)
    assert outbox(app) == []
    assert last_number(app) == counter_before


def test_instructor_discards_a_draft_with_javascript(page: Page, live_server, demo_data, app):
    dialogs = no_dialogs(page)
    counter_before = last_number(app)
    assert counter_before == NEXT_NUMBER - 1
    sign_in(page, live_server, "ada")
    start_draft_for_cs150(page)
    save_sections(page)

    cancel = page.get_by_role("link", name="Cancel order")
    prompt = page.get_by_role("alertdialog", name="Discard this draft?")
    loads = set_marker(page)

    # Escape closes the inline prompt; focus goes back to "Cancel order".
    cancel.click()
    expect(prompt).to_be_visible()
    expect(prompt).to_be_focused()
    expect(prompt).to_contain_text(f"{COURSE}, Spring 2027, section 001.")
    expect(prompt).to_contain_text("no email is sent")
    assert_axe_clean(page)
    page.keyboard.press("Escape")
    expect(prompt).to_have_count(0)
    expect(cancel).to_be_focused()

    # So does "Keep draft".
    cancel.click()
    expect(prompt).to_be_focused()
    prompt.get_by_role("link", name="Keep draft").click()
    expect(prompt).to_have_count(0)
    expect(cancel).to_be_focused()
    expect_step(page, 2, "Materials")
    marker_survives(page)
    assert loads == []

    cancel.click()
    expect(prompt).to_be_focused()
    prompt.get_by_role("button", name="Discard draft").click()
    expect_discarded(page, app, counter_before)
    assert_axe_clean(page)
    assert dialogs == []

    # The discarded draft used no order number: the next order placed is still #1006.
    start_draft_for_cs150(page)
    save_sections(page)
    live_search(page, "sicp", "0 items match “sicp”.")
    expect(page.locator("#materials-work")).to_contain_text("No catalog item matches “sicp”.")
    page.get_by_role("searchbox", name="Search the catalog").fill("Structure and")
    expect(page.locator("#catalog-count")).to_have_text("1 item matches “Structure and”.")
    add_live(page, "Structure and Interpretation of Computer Programs", 1)
    go_to_review(page)
    place_and_expect_banner(page, NEXT_NUMBER, "Structure and Interpretation of Computer Programs")
    assert order_and_outbox(app, NEXT_NUMBER) == (OrderStatus.PLACED, "ada@demo.edu", ["ada@demo.edu"])


def test_instructor_discards_a_draft_without_javascript(no_js_page: Page, live_server, demo_data, app):
    page = no_js_page
    counter_before = last_number(app)
    assert counter_before == NEXT_NUMBER - 1
    sign_in(page, live_server, "ada")
    start_draft_for_cs150(page)

    prompt = page.get_by_role("alertdialog", name="Discard this draft?")
    page.get_by_role("link", name="Cancel order").click()
    expect(page).to_have_url(re.compile(r"/ordering/drafts/\d+/cancel\?step=sections$"))  # its own page
    expect(prompt).to_be_visible()
    assert_axe_clean(page)

    prompt.get_by_role("link", name="Keep draft").click()
    expect_step(page, 1, "Sections")
    assert last_number(app) == counter_before

    page.get_by_role("link", name="Cancel order").click()
    prompt.get_by_role("button", name="Discard draft").click()
    expect_discarded(page, app, counter_before)


# --- Keyboard only ---------------------------------------------------------------------------------


def test_keyboard_alone_starts_an_order_adds_an_item_and_reaches_review(page: Page, live_server, demo_data):
    sign_in(page, live_server, "ada")

    tab_to(page, page.get_by_role("link", name="Start order for CS 150"))
    page.keyboard.press("Enter")
    expect(heading(page, 1, f"Start an order: {COURSE}")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Start order"))
    page.keyboard.press("Space")
    expect_step(page, 1, "Sections")

    tab_to(page, page.get_by_role("button", name="Save and continue"))
    page.keyboard.press("Enter")
    expect_step(page, 2, "Materials")

    tab_to(page, page.get_by_role("searchbox", name="Search the catalog"))
    page.keyboard.type("think")
    expect(page.locator("#catalog-count")).to_have_text("1 item matches “think”.")

    tab_to(page, page.get_by_role("button", name="Add Think Python"))
    page.keyboard.press("Space")
    remove = page.get_by_role("button", name="Remove Think Python").first
    expect(remove).to_be_visible()
    expect(remove).to_be_focused()  # the swap keeps the keyboard user's place

    tab_to(page, page.get_by_role("link", name="Continue to review"))
    page.keyboard.press("Enter")
    expect_step(page, 3, "Review")
    expect(page.locator("main")).to_contain_text("Think Python")

    tab_to(page, page.get_by_label("No", exact=True))  # the royalty question (docs/spec.md §8)
    page.keyboard.press("Space")
    expect(page.get_by_label("No", exact=True)).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Place order"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Order #{NEXT_NUMBER} placed.")

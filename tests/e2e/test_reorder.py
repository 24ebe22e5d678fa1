"""Reorder and Order history in a real browser, with JavaScript on and off: from "Reorder" on Courses
to the copied draft's materials, review and "Place order", then the order in the history and its
filters; axe-clean at every step, and readable at 320 CSS px."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from orders.domain.models import CatalogItem, Order
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e

COURSE = "CS 150 Introduction to Programming"
NEXT_NUMBER = 1006  # the demo numbers #1001-#1005 (#1005 awaits approval)


def raise_price(app, title: str, amount: str) -> None:
    with app.app_context():
        item = db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()
        item.student_price = Decimal(amount)
        db.session.commit()
        db.session.remove()


def reordered_from(app, number: int) -> int | None:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        source = db.session.get(Order, order.reordered_from_id) if order.reordered_from_id else None
        db.session.remove()
        return source.number if source else None


def expect_no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_reorder_from_courses_to_a_placed_order(page_for, live_server, app, demo_data, js):
    raise_price(app, "Python Crash Course", "32.99")
    page = page_for(js)
    sign_in(page, live_server, "ada")

    page.get_by_role("link", name="Reorder CS 150 from an earlier order, Ada Lovelace").click()
    expect(page.get_by_role("heading", level=1, name=f"Reorder: {COURSE}")).to_be_visible()
    offer = page.locator("li.offering").filter(has=page.get_by_role("heading", level=3, name=re.compile("Order #1004")))
    expect(offer).to_contain_text("Fall 2026")
    expect(
        offer.get_by_role("row", name=re.compile(r"^Python Crash Course 9781718502703 \$29\.99 \$32\.99"))
    ).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("button", name="Copy order #1004 into Spring 2027").click()
    expect(page).to_have_url(re.compile(r"/ordering/drafts/\d+/materials$"))
    expect(page.get_by_role("heading", level=1, name=f"New order: {COURSE}")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Step 2 of 3: Materials")).to_be_visible()
    banners = page.locator(".banners")
    expect(banners).to_contain_text(
        "Copied 1 item from order #1004 (Fall 2026) into a new draft for CS 150, Spring 2027."
    )
    expect(banners).to_contain_text("Prices changed since order #1004: Python Crash Course: was $29.99, now $32.99.")
    expect(page.get_by_role("heading", level=3, name="On this order (1 item)")).to_be_visible()
    assert_axe_clean(page)

    page.get_by_role("link", name="Continue to review").click()
    expect(page.get_by_role("heading", level=2, name="Step 3 of 3: Review")).to_be_visible()
    expect(page.get_by_role("row", name="CS 150 001 First Eight Weeks Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("row", name="Total per student $32.99")).to_be_visible()
    page.get_by_label("No", exact=True).check()  # the royalty question (docs/spec.md §8)
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{NEXT_NUMBER}$"))
    expect(page.get_by_role("status")).to_have_text(f"Order #{NEXT_NUMBER} placed.")
    assert reordered_from(app, NEXT_NUMBER) == 1004

    # The new order leads the history; CS 150 no longer offers Reorder anywhere.
    page.get_by_role("link", name="Order history").click()
    expect(page.get_by_role("heading", level=1, name="Order history")).to_be_visible()
    expect(page.locator("p.count")).to_have_text("Showing 1–4 of 4 orders")
    first_row = page.locator("table.data tbody tr").first
    expect(first_row).to_contain_text(f"#{NEXT_NUMBER}")
    expect(first_row).to_contain_text("CS 150 Introduction to Programming")
    expect(page.get_by_role("link", name=re.compile("^Reorder"))).to_have_count(0)
    assert_axe_clean(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_history_filters_and_reorder_link(page_for, live_server, demo_data, js):
    page = page_for(js)
    sign_in(page, live_server, "katherine")
    page.get_by_role("link", name="Order history").click()
    expect(page.locator("p.count")).to_have_text("Showing 1–5 of 5 orders")  # #1005 awaits approval
    assert_axe_clean(page)
    if js:
        page.evaluate("window.__e2eSamePage = true")
    page.get_by_label("Term").select_option("202630")
    if not js:
        page.get_by_role("button", name="Show").click()
    expect(page.locator("p.count")).to_have_text("Showing 1–2 of 2 orders")
    if js:  # swapped in place, no reload, and history gets the tidy URL
        expect(page).to_have_url(re.compile(r"/orders\?term=202630$"))
        assert page.evaluate("window.__e2eSamePage") is True
    else:  # the plain GET form
        expect(page).to_have_url(re.compile(r"/orders\?term=202630&status=&q=$"))
    page.get_by_label("Course or order number").fill("1004")
    if js:
        page.get_by_label("Course or order number").press("Enter")
    else:
        page.get_by_role("button", name="Show").click()
    expect(page.locator("p.count")).to_have_text("Showing 1–1 of 1 order")
    expect(page.get_by_role("link", name="Download CSV of these 1 orders")).to_have_attribute(
        "href", "/orders.csv?term=202630&q=1004"
    )
    assert_axe_clean(page)

    page.get_by_role("link", name="Reorder CS 150 for Spring 2027").click()
    expect(page.get_by_role("heading", level=1, name=f"Reorder: {COURSE}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("sections 001, 002 chosen")


def test_history_reflows_at_320_px(page: Page, live_server, demo_data):
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, live_server, "katherine")
    page.goto(f"{live_server}/orders")
    expect(page.locator("p.count")).to_have_text("Showing 1–5 of 5 orders")  # #1005 awaits approval
    expect_no_sideways_scroll(page)
    assert_axe_clean(page)
    href = page.get_by_role("link", name="Reorder CS 150 for Spring 2027").get_attribute("href")
    page.goto(f"{live_server}{href}")
    expect(page.get_by_role("heading", level=1, name=f"Reorder: {COURSE}")).to_be_visible()
    expect_no_sideways_scroll(page)
    assert_axe_clean(page)

"""Editing a placed order and adding sections in a real browser: JavaScript on and off, by keyboard alone,
axe-clean, and no console errors (the autouse fixture in conftest checks that)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from orders.domain.models import EventKind, Order, OrderEvent, OutboundEmail
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.helpers import marker_survives, no_dialogs, open_every_organization, set_marker, tab_to

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_data(demo_data, app):
    """The demo with every organization `open`: these tests are about editing itself (with the demo's Mathematics under
    `approval`, Ada's edits would wait for an approver: tests/e2e/test_review.py)."""
    open_every_organization(app)
    return demo_data

THOMAS = "Thomas' Calculus"
STEWART = "Calculus: Early Transcendentals"


# --- Helpers ---------------------------------------------------------------------------------------


def heading(page: Page, level: int, name: str | re.Pattern) -> Locator:
    return page.get_by_role("heading", level=level, name=name)


def pending(page: Page) -> Locator:
    """The list of pending changes (or "No changes yet."), without the royalty question below it."""
    return page.locator("#pending-changes > ul, #pending-changes > p:not(.notice)")


def open_edit_page(page: Page) -> None:
    """From order #1001's summary, "Edit order"."""
    page.goto("/orders/1001")
    page.get_by_role("link", name="Edit order").click()
    expect(heading(page, 1, "Edit order #1001: MATH 221 Calculus I")).to_be_visible()
    expect(pending(page)).to_have_text("No changes yet.")


def expect_updated(page: Page) -> None:
    """The summary with the focused role=status banner and the history entry."""
    expect(page).to_have_url(re.compile(r"/orders/1001$"))
    banner = page.get_by_role("status").filter(has_text="Order #1001 was updated.")
    expect(banner).to_have_text("Order #1001 was updated.")
    expect(banner).to_be_focused()


def records(app) -> tuple[list[dict], list[str], list[str]]:
    """(details of each `edited` event of #1001, its current item titles, outbox recipients)."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        details = list(
            db.session.scalars(
                select(OrderEvent.details).where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.EDITED)
            )
        )
        titles = [line.item.title for line in order.current_lines]
        recipients = sorted(db.session.scalars(select(OutboundEmail.recipient)))
        db.session.remove()
        return details, titles, recipients


def no_sideways_scroll(page: Page) -> None:
    """At 320 CSS px nothing scrolls sideways (WCAG 1.4.10 reflow)."""
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 800})


# --- Edit order ------------------------------------------------------------------------------------


def test_edit_with_javascript(page: Page, live_server, demo_data, app):
    dialogs = no_dialogs(page)
    sign_in(page, live_server, "ada")
    open_edit_page(page)
    assert_axe_clean(page)

    loads = set_marker(page)
    box = page.get_by_role("searchbox", name="Search the catalog")
    box.press_sequentially("thomas")
    expect(page.locator("#catalog-count[role=status]")).to_have_text("1 item matches “thomas”.")
    expect(page).to_have_url(re.compile(r"/orders/1001/edit\?q=thomas$"))
    expect(page.get_by_role("region", name="Search results").get_by_role("heading", level=4)).to_have_text([THOMAS])

    page.get_by_role("button", name=f"Add {THOMAS}").click()
    remove_thomas = page.get_by_role("button", name=f"Remove {THOMAS}").first
    expect(remove_thomas).to_be_visible()
    expect(remove_thomas).to_be_focused()  # the swap keeps the user's place
    expect(page.locator("#draft-status")).to_have_text(f"Added {THOMAS} (not yet submitted).")
    expect(heading(page, 3, "On this order (2 items)")).to_be_visible()
    expect(pending(page)).to_have_text(f"Add {THOMAS}")
    assert_axe_clean(page)

    page.get_by_role("button", name=f"Remove {STEWART}").click()
    expect(page.locator("#draft-status")).to_have_text(f"Removed {STEWART} (not yet submitted).")
    expect(heading(page, 3, "On this order (1 item)")).to_be_visible()
    expect(pending(page).get_by_role("listitem")).to_have_text([f"Add {THOMAS}", f"Remove {STEWART}"])
    marker_survives(page)
    assert loads == []
    assert records(app) == ([], [STEWART], [])  # nothing applied before "Submit changes"

    page.get_by_label("Section 003").check()  # the sections form is a plain POST
    page.get_by_role("button", name="Save sections").click()
    expect(page.get_by_role("status").filter(has_text="Sections saved")).to_be_focused()
    expect(page.get_by_label("Section 003")).to_be_checked()
    expect(pending(page).get_by_role("listitem")).to_have_text(
        [f"Add {THOMAS}", f"Remove {STEWART}", "Add section 003"]
    )
    assert_axe_clean(page)

    page.get_by_label("No", exact=True).check()  # the royalty question on added items
    page.get_by_role("button", name="Submit changes").click()
    expect_updated(page)
    history = page.get_by_role("list").filter(has_text="Edited by Ada Lovelace")
    expect(history).to_contain_text(f"Added {THOMAS}")
    expect(history).to_contain_text(f"Removed {STEWART}")
    expect(history).to_contain_text("Added section 003")
    expect(page.get_by_role("cell", name="MATH 221 003")).to_be_visible()
    assert_axe_clean(page)
    details, titles, recipients = records(app)
    assert len(details) == 1 and titles == [THOMAS] and recipients == ["ada@demo.edu"]
    assert dialogs == []


def test_edit_without_javascript(no_js_page: Page, live_server, demo_data, app):
    page = no_js_page
    sign_in(page, live_server, "ada")
    open_edit_page(page)
    assert_axe_clean(page)

    page.get_by_role("searchbox", name="Search the catalog").fill("thomas")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/orders/1001/edit\?q=thomas$"))
    expect(page.locator("#catalog-count")).to_have_text("1 item matches “thomas”.")

    page.get_by_role("button", name=f"Add {THOMAS}").click()  # POST, 303 back to the same search
    expect(page).to_have_url(re.compile(r"/orders/1001/edit\?q=thomas$"))
    expect(page.get_by_role("status").filter(has_text="Added")).to_have_text(f"Added {THOMAS} (not yet submitted).")
    expect(page.get_by_role("button", name=f"Remove {THOMAS}").first).to_be_visible()
    expect(pending(page)).to_have_text(f"Add {THOMAS}")
    assert_axe_clean(page)

    page.get_by_role("button", name=f"Remove {STEWART}").click()
    expect(page.get_by_role("status").filter(has_text="Removed")).to_have_text(
        f"Removed {STEWART} (not yet submitted)."
    )
    page.get_by_label("Section 002").uncheck()
    page.get_by_role("button", name="Save sections").click()
    expect(pending(page).get_by_role("listitem")).to_have_text(
        [f"Add {THOMAS}", f"Remove {STEWART}", "Remove section 002"]
    )
    assert records(app) == ([], [STEWART], [])

    page.get_by_label("No", exact=True).check()  # the royalty question on added items
    page.get_by_role("button", name="Submit changes").click()
    expect(page).to_have_url(re.compile(r"/orders/1001$"))
    expect(page.get_by_role("status")).to_have_text("Order #1001 was updated.")
    expect(page.get_by_role("cell", name="MATH 221 002")).to_have_count(0)
    assert_axe_clean(page)
    details, titles, _ = records(app)
    assert titles == [THOMAS]
    assert details[0]["removed_sections"][0]["label"] == "002"


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_discard_changes(page_for, live_server, demo_data, app, js):
    page = page_for(js)
    sign_in(page, live_server, "ada")
    open_edit_page(page)
    page.get_by_role("searchbox", name="Search the catalog").fill("thomas")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#catalog-count")).to_have_text("1 item matches “thomas”.")
    page.get_by_role("button", name=f"Add {THOMAS}").click()
    expect(pending(page)).to_have_text(f"Add {THOMAS}")
    page.get_by_role("button", name="Discard changes").click()
    expect(page).to_have_url(re.compile(r"/orders/1001$"))
    expect(page.get_by_role("status")).to_have_text("Your changes were discarded. The order is as it was.")
    expect(page.get_by_role("cell", name=THOMAS, exact=True)).to_have_count(0)
    assert records(app) == ([], [STEWART], [])


def test_edit_that_leaves_no_line_is_refused(page: Page, live_server, demo_data, app):
    sign_in(page, live_server, "ada")
    open_edit_page(page)
    page.get_by_role("button", name=f"Remove {STEWART}").click()
    expect(page.locator("#materials-work")).to_contain_text("No materials yet.")
    page.get_by_role("button", name="Submit changes").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        "An order needs at least one course material. To withdraw the whole order, use Cancel Order instead."
    )
    expect(alert).to_be_focused()
    assert records(app) == ([], [STEWART], [])


def test_edit_by_keyboard_alone(page: Page, live_server, demo_data, app):
    sign_in(page, live_server, "ada")
    page.goto("/orders/1001")
    tab_to(page, page.get_by_role("link", name="Edit order"))
    page.keyboard.press("Enter")
    expect(heading(page, 1, "Edit order #1001: MATH 221 Calculus I")).to_be_visible()

    tab_to(page, page.get_by_role("searchbox", name="Search the catalog"))
    page.keyboard.type("thomas")
    expect(page.locator("#catalog-count")).to_have_text("1 item matches “thomas”.")
    tab_to(page, page.get_by_role("button", name=f"Add {THOMAS}"))
    page.keyboard.press("Space")
    remove = page.get_by_role("button", name=f"Remove {THOMAS}").first
    expect(remove).to_be_focused()
    expect(page.locator("#draft-status")).to_have_text(f"Added {THOMAS} (not yet submitted).")

    tab_to(page, page.get_by_label("No", exact=True))  # the royalty question on the added item (docs/spec.md §8)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Submit changes"))
    page.keyboard.press("Enter")
    expect_updated(page)
    assert records(app)[1] == [STEWART, THOMAS]


def test_someone_else_edited_meanwhile(page: Page, no_js_page: Page, live_server, demo_data, app):
    """Ada (JavaScript on) and Katherine (off) edit at once; Katherine submits first; Ada is told and shown
    her change against the order as it is now, nothing applied yet; her second submit applies it."""
    ada, katherine = page, no_js_page
    sign_in(ada, live_server, "ada")
    sign_in(katherine, live_server, "katherine")
    open_edit_page(ada)
    ada.get_by_role("searchbox", name="Search the catalog").fill("thomas")
    expect(ada.locator("#catalog-count")).to_have_text("1 item matches “thomas”.")
    ada.get_by_role("button", name=f"Add {THOMAS}").click()
    expect(pending(ada)).to_have_text(f"Add {THOMAS}")

    open_edit_page(katherine)
    katherine.get_by_role("searchbox", name="Search the catalog").fill("single variable")
    katherine.get_by_role("button", name="Search", exact=True).click()
    katherine.get_by_role("button", name="Add Calculus: Single Variable").click()
    expect(pending(katherine)).to_have_text("Add Calculus: Single Variable")
    katherine.get_by_label("No", exact=True).check()  # the royalty question on added items
    katherine.get_by_role("button", name="Submit changes").click()
    expect(katherine.get_by_role("status")).to_have_text("Order #1001 was updated.")

    ada.get_by_label("No", exact=True).check()  # the royalty question on added items

    ada.get_by_role("button", name="Submit changes").click()
    # Nothing applied yet, and nothing lost: Ada's change stands on the order as it is now (issue 27).
    expect(ada).to_have_url(re.compile(r"/orders/1001/edit$"))
    notice = ada.get_by_role("status").filter(has_text="This order changed while you were editing")
    expect(notice).to_be_focused()
    expect(notice).to_contain_text("Your changes are kept")
    expect(pending(ada)).to_have_text(f"Add {THOMAS}")
    assert_axe_clean(ada)
    details, titles, _ = records(app)
    assert len(details) == 1 and titles == [STEWART, "Calculus: Single Variable"]
    ada.get_by_label("No", exact=True).check()  # the royalty question on added items
    ada.get_by_role("button", name="Submit changes").click()
    expect(ada.get_by_role("status")).to_have_text("Order #1001 was updated.")
    expect(ada.get_by_role("cell", name=THOMAS, exact=True)).to_be_visible()
    expect(ada.get_by_role("cell", name="Calculus: Single Variable", exact=True)).to_be_visible()


# --- Add sections ----------------------------------------------------------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_add_sections_from_the_courses_row(page_for, live_server, demo_data, app, js):
    page = page_for(js)
    sign_in(page, live_server, "ada")
    row = page.locator("li.offering").filter(has=heading(page, 4, "MATH 221 Calculus I")).filter(has_text="Spring 2027")
    expect(row).to_contain_text("2 of 3 sections ordered")
    page.get_by_role("link", name="Add sections to order #1001, MATH 221").click()
    expect(heading(page, 1, "Add sections to order #1001")).to_be_visible()
    expect(page.get_by_label("Section 003")).to_be_checked()
    assert_axe_clean(page)
    no_sideways_scroll(page)

    page.get_by_role("button", name="Add sections").click()
    expect_updated(page) if js else expect(page.get_by_role("status")).to_have_text("Order #1001 was updated.")
    expect(page.get_by_role("cell", name="MATH 221 003")).to_be_visible()
    expect(page.get_by_role("list").filter(has_text="Sections added by Ada Lovelace")).to_contain_text(
        "Added section 003"
    )
    assert_axe_clean(page)

    page.get_by_role("link", name="Back to courses").click()
    expect(heading(page, 1, "Courses")).to_be_visible()
    expect(page.get_by_text("sections ordered")).to_have_count(0)
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        assert [s.label for s in order.sections] == ["001", "002", "003"]
        assert sorted(db.session.scalars(select(OutboundEmail.subject))) == [
            "Order #1001 changed — MATH 221 Calculus I, Spring 2027"
        ]
        db.session.remove()


@pytest.mark.parametrize("js", [pytest.param(True, id="js"), pytest.param(False, id="no-js")])
def test_the_requirement_select_saves_on_change_and_offers_save_only_without_javascript(
    page_for, live_server, demo_data, js
):
    """Issue 37 item 10: with JavaScript a change already saves, so no Save button sits beside the select;
    without it, Save is how the choice is sent."""
    page = page_for(js)
    sign_in(page, live_server, "ada")
    open_edit_page(page)
    select = page.get_by_label(f"Required or recommended: {STEWART}")
    save = page.get_by_role("button", name=f"Save whether {STEWART} is required")
    if js:
        expect(save).to_have_count(0)
        select.select_option("recommended")
        expect(pending(page)).to_contain_text(f"Mark {STEWART} recommended (was required)")
        expect(page.get_by_role("button", name=re.compile(r"^Save whether "))).to_have_count(0)  # after the swap too
    else:
        expect(save).to_be_visible()
        select.select_option("recommended")
        save.click()
        expect(pending(page)).to_contain_text(f"Mark {STEWART} recommended (was required)")
    assert_axe_clean(page)

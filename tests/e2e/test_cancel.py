"""The cancel flow (SPEC sections 2 and 3) in a real browser: with htmx, without JavaScript,
by keyboard alone, and from two tabs at once."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from orders.domain.models import EventKind, Order, OrderEvent, OrderStatus, OutboundEmail
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in
from tests.helpers import tab_to

pytestmark = pytest.mark.e2e

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]

# The demo cancellations: who cancels which order, and who then gets an email.
FLOWS = {
    "ada-cancels-her-order": ("ada", 1001, {"ada@demo.edu"}),
    "grace-cancels-for-alan": ("grace", 1002, {"grace@demo.edu", "alan@demo.edu"}),
    "katherine-cancels-in-closed-period": ("katherine", 1003, {"katherine@demo.edu", "ada@demo.edu"}),
}
NAMES = {"ada": "Ada Lovelace", "grace": "Grace Hopper", "katherine": "Katherine Johnson"}


# --- Helpers ---------------------------------------------------------------------------------------


def cancel_button(page: Page) -> Locator:
    """The "Cancel Order" control at the top of the summary (a link to the prompt, styled as a button)."""
    return page.get_by_role("link", name="Cancel Order", exact=True).or_(
        page.get_by_role("button", name="Cancel Order", exact=True)
    )


def prompt(page: Page, number: int) -> Locator:
    return page.get_by_role("alertdialog", name=f"Cancel order #{number}?")


def banner(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def open_summary(page: Page, base_url: str, number: int) -> None:
    page.goto(f"{base_url}/orders/{number}")
    expect(page.get_by_role("heading", level=1, name=f"Order #{number}")).to_be_visible()


def expect_focus_within(locator: Locator) -> None:
    """Focus is on the element or inside it (waits for it)."""
    locator.page.wait_for_function("el => el.contains(document.activeElement)", arg=locator.element_handle())


def set_marker(page: Page) -> list[str]:
    """Mark the document and record later load events: an htmx swap leaves both untouched."""
    page.evaluate("window.__e2eSamePage = true")
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    return loads


def expect_same_document(page: Page, loads: list[str]) -> None:
    assert page.evaluate("window.__e2eSamePage") is True, "the page was reloaded"
    assert loads == [], f"full navigations happened: {loads}"


def expect_canceled(page: Page, number: int, by: str) -> None:
    """The summary shows the order as canceled, with who did it, and no way to cancel again."""
    expect(page.get_by_role("heading", level=1, name=f"Order #{number}")).to_be_visible()
    expect(page.locator(".status-line")).to_contain_text("Canceled")
    expect(page.locator("main")).to_contain_text(f"Canceled by {by} on")
    expect(cancel_button(page)).to_have_count(0)


def cancel_records(app, number: int) -> tuple[int, list[str], set]:
    """From the database: canceled events for the order, outbox recipients, and the events they report."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        assert order.status is OrderStatus.CANCELED
        events = db.session.scalar(
            select(func.count()).where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.CANCELED)
        )
        emails = db.session.scalars(select(OutboundEmail)).all()
        recipients = sorted(email.recipient for email in emails)
        event_ids = {email.event_id for email in emails}
        db.session.remove()
    return events, recipients, event_ids


# --- The demo flows --------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", FLOWS)
def test_cancel_with_htmx(page: Page, live_server, demo_data, app, flow):
    user, number, recipients = FLOWS[flow]
    sign_in(page, live_server, user)
    open_summary(page, live_server, number)
    summary_url = page.url
    expect(page.locator(".status-line")).to_contain_text("Placed")
    assert_axe_clean(page)
    loads = set_marker(page)

    # "Keep order" closes the prompt; focus goes back to the button.
    cancel_button(page).click()
    expect(prompt(page, number)).to_be_visible()
    expect_focus_within(prompt(page, number))
    prompt(page, number).get_by_role("link", name="Keep order").click()
    expect(prompt(page, number)).to_have_count(0)
    expect(cancel_button(page)).to_be_focused()

    # So does Escape.
    cancel_button(page).click()
    expect_focus_within(prompt(page, number))
    page.keyboard.press("Escape")
    expect(prompt(page, number)).to_have_count(0)
    expect(cancel_button(page)).to_be_focused()

    cancel_button(page).click()
    expect_focus_within(prompt(page, number))
    expect(prompt(page, number)).to_contain_text("will no longer be delivered")
    assert_axe_clean(page)
    expect_same_document(page, loads)

    prompt(page, number).get_by_role("button", name="Confirm cancellation").click()
    done = banner(page, f"Order #{number} was canceled.")
    expect(done).to_have_text(f"Order #{number} was canceled.")
    expect(done).to_be_focused()
    expect_canceled(page, number, NAMES[user])
    expect(page).to_have_url(summary_url)
    expect_same_document(page, loads)
    assert_axe_clean(page)

    events, sent_to, _ = cancel_records(app, number)
    assert events == 1
    assert sorted(recipients) == sent_to


@pytest.mark.parametrize("flow", FLOWS)
def test_cancel_without_javascript(no_js_page: Page, live_server, demo_data, app, flow):
    page = no_js_page
    user, number, recipients = FLOWS[flow]
    sign_in(page, live_server, user)
    open_summary(page, live_server, number)
    summary_url = page.url

    # The prompt is a page of its own; "Keep order" leads back to the summary unchanged.
    cancel_button(page).click()
    expect(page).to_have_url(re.compile(rf"/orders/{number}/cancel(\?|$)"))
    expect(prompt(page, number)).to_be_visible()
    expect(prompt(page, number)).to_be_focused()
    assert_axe_clean(page)
    prompt(page, number).get_by_role("link", name="Keep order").click()
    expect(page).to_have_url(summary_url)
    expect(page.locator(".status-line")).to_contain_text("Placed")

    cancel_button(page).click()
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        prompt(page, number).get_by_role("button", name="Confirm cancellation").click()
    assert posted.value.status == 303
    assert posted.value.headers["location"].startswith(f"/orders/{number}")

    expect(page).to_have_url(summary_url)
    done = banner(page, f"Order #{number} was canceled.")
    expect(done).to_have_text(f"Order #{number} was canceled.")
    expect(done).to_be_focused()
    expect_canceled(page, number, NAMES[user])
    assert_axe_clean(page)

    page.reload()  # the banner was flashed once
    expect_canceled(page, number, NAMES[user])
    expect(banner(page, "was canceled")).to_have_count(0)

    events, sent_to, _ = cancel_records(app, number)
    assert events == 1
    assert sorted(recipients) == sent_to


@pytest.mark.parametrize("js", JS_MODES)
def test_instructor_who_did_not_place_the_order_sees_who_did(page_for, live_server, demo_data, js):
    page = page_for(js)
    sign_in(page, live_server, "alan")
    open_summary(page, live_server, 1002)
    expect(page.locator("main")).to_contain_text(
        "This order was placed by Grace Hopper. They or a Program Administrator can cancel it."
    )
    expect(cancel_button(page)).to_have_count(0)

    refused = page.goto(f"{live_server}/orders/1002/cancel")  # the server enforces the same rule
    assert refused is not None and refused.status == 403
    expect(page.locator("main")).to_contain_text(
        "This order was placed by Grace Hopper. They or a Program Administrator can cancel it."
    )


@pytest.mark.parametrize("js", JS_MODES)
def test_closed_period_shows_whom_to_contact(page_for, live_server, demo_data, js):
    page = page_for(js)
    sign_in(page, live_server, "ada")
    open_summary(page, live_server, 1003)
    notice = page.locator("main").get_by_text("The ordering period for Fall 2026 closed on")
    expect(notice).to_contain_text("contact your Program Administrator(s) at orders-admin@demo.edu")
    expect(notice.get_by_role("link", name="orders-admin@demo.edu")).to_have_attribute(
        "href", "mailto:orders-admin@demo.edu"
    )
    expect(cancel_button(page)).to_have_count(0)
    if js:  # the same HTML either way
        assert_axe_clean(page)

    refused = page.goto(f"{live_server}/orders/1003/cancel")
    assert refused is not None and refused.status == 403


# --- Keyboard only ---------------------------------------------------------------------------------


def test_cancel_by_keyboard_alone(page: Page, live_server, demo_data, app):
    """Tab, Enter and Space (and typing into the sign-in fields): no clicks anywhere."""
    page.goto(f"{live_server}/sign-in")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("ada@demo.edu")
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type("orders-demo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()

    tab_to(page, page.get_by_role("link", name="Order #1001", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Order #1001")).to_be_visible()
    loads = set_marker(page)

    tab_to(page, cancel_button(page))
    page.keyboard.press("Enter")
    expect_focus_within(prompt(page, 1001))
    tab_to(page, prompt(page, 1001).get_by_role("link", name="Keep order"))
    page.keyboard.press("Enter")
    expect(prompt(page, 1001)).to_have_count(0)
    expect(cancel_button(page)).to_be_focused()

    page.keyboard.press("Enter")
    expect_focus_within(prompt(page, 1001))
    tab_to(page, prompt(page, 1001).get_by_role("button", name="Confirm cancellation"), limit=3)
    page.keyboard.press("Space")
    done = banner(page, "Order #1001 was canceled.")
    expect(done).to_be_focused()
    expect_canceled(page, 1001, "Ada Lovelace")
    expect_same_document(page, loads)
    assert cancel_records(app, 1001)[0] == 1


# --- Two tabs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("js", JS_MODES)
def test_two_tabs_cancel_once(context, no_js_context, live_server, demo_data, app, js):
    """Both tabs show the prompt; both confirm. One change, one event, one set of emails; a calm notice."""
    ctx = context if js else no_js_context
    first, second = ctx.new_page(), ctx.new_page()
    sign_in(first, live_server, "grace")
    for tab in (first, second):
        open_summary(tab, live_server, 1002)
        cancel_button(tab).click()
        expect(prompt(tab, 1002)).to_be_visible()

    prompt(first, 1002).get_by_role("button", name="Confirm cancellation").click()
    expect(banner(first, "Order #1002 was canceled.")).to_be_visible()

    prompt(second, 1002).get_by_role("button", name="Confirm cancellation").click()
    notice = banner(second, "This order was already canceled by Grace Hopper")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    expect_canceled(second, 1002, "Grace Hopper")
    expect(second.get_by_role("alert")).to_have_count(0)
    expect(banner(second, "Order #1002 was canceled.")).to_have_count(0)
    assert_axe_clean(second)

    events, sent_to, event_ids = cancel_records(app, 1002)
    assert events == 1
    assert sent_to == ["alan@demo.edu", "grace@demo.edu"]
    assert len(event_ids) == 1

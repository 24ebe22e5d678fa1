"""Administration → Failed mail in a real browser: axe-clean, reflows at 320 px, Retry with and without JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert, select

from orders import clock
from orders.domain.models import EmailStatus, OutboundEmail
from orders.extensions import db
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e


def failed_email(app, recipient: str) -> None:
    now = clock.utcnow()
    with app.app_context():
        db.session.execute(
            insert(OutboundEmail).values(
                kind="cancel_notice",
                recipient=recipient,
                subject="Order #1001 canceled — MATH 221 Calculus I, Spring 2027",
                body_text="b",
                body_html="b",
                status=EmailStatus.FAILED,
                attempts=32,
                created_at=now,
                next_attempt_at=now,
                last_error="SMTPRecipientsRefused: {'" + recipient + "': (550, b'5.1.1 mailbox unavailable')}",
            )
        )
        db.session.commit()


@pytest.mark.parametrize("js", [pytest.param(True, id="js"), pytest.param(False, id="no-js")])
def test_retry_one_then_all_failed_emails(page_for, base_url, app, demo_data, js):
    failed_email(app, "ada@demo.edu")
    failed_email(app, "alan@demo.edu")
    page = page_for(js)
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, base_url, "katherine")
    page.goto(f"{base_url}/admin/")
    page.get_by_text("Administration menu", exact=True).click()  # a phone: the back office's areas behind one menu
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Failed mail").click()
    expect(page.get_by_role("heading", level=1, name="Failed mail")).to_be_visible()
    expect(page.locator("p.count")).to_contain_text("2 failed emails")
    assert_axe_clean(page)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="to ada@demo.edu").click()
    expect(page.get_by_text("to ada@demo.edu is queued again")).to_be_visible()
    expect(page.locator("p.count")).to_contain_text("1 failed email")
    assert_axe_clean(page)
    page.get_by_role("button", name="Retry all 1").click()
    expect(page.get_by_text("1 failed email is queued again")).to_be_visible()
    expect(page.locator("p.count")).to_contain_text("No email has failed.")
    with app.app_context():
        assert set(db.session.scalars(select(OutboundEmail.status))) == {EmailStatus.PENDING}

"""Single sign-on in a real browser: the proxy's identity header from 127.0.0.1 signs the user in;
an identity without an account gets the 403 page with the Program Administrators' contact."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS, _collect_errors, assert_axe_clean

pytestmark = pytest.mark.e2e
JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]


@pytest.fixture
def header_mode(app, monkeypatch):
    """The live server runs the session's app, which reads these settings on every request."""
    monkeypatch.setitem(app.config, "AUTH_MODE", "both")
    monkeypatch.setitem(app.config, "AUTH_HEADER", "X-Remote-User")
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", "127.0.0.1")


@pytest.fixture
def browser_as(new_context, browser_errors, base_url):
    """browser_as(identity, js): a page whose every request carries the header, as behind the proxy."""

    def _page(identity: str, js: bool):
        ctx = new_context(extra_http_headers={"X-Remote-User": identity}, java_script_enabled=js)
        ctx.set_default_timeout(TIMEOUT_MS)
        _collect_errors(ctx, browser_errors)
        return ctx.new_page()

    return _page


@pytest.mark.parametrize("js", JS_MODES)
def test_the_proxy_header_signs_the_user_in(header_mode, demo_data, browser_as, base_url, js):
    page = browser_as("ada@demo.edu", js)  # network ids match exactly (AUTH_HEADER_MATCH=network_id)
    page.goto(f"{base_url}/")
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_contain_text("Ada Lovelace")
    page.goto(f"{base_url}/orders/1001")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1001")
    if js:
        assert_axe_clean(page)


def test_an_identity_without_an_account_gets_the_contact(header_mode, demo_data, browser_as, base_url):
    page = browser_as("stranger@demo.edu", True)
    response = page.goto(f"{base_url}/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is not set up for ordering")
    expect(page.get_by_role("link", name="orders-admin@demo.edu")).to_be_visible()
    assert_axe_clean(page)

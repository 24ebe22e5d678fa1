"""Browser tests: Debian's Chromium driven by Playwright against one live server per session.

The server runs the session's `app` in a background thread; each test loads the demo data through
`demo_data`, and the autouse fixture in tests/conftest.py empties the tables afterwards.
"""
from __future__ import annotations

import os
import re
import threading
import weakref

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from devtools.demo import DEMO_PASSWORD
from tests.helpers import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a slow CI machine, short enough that a missing element fails in seconds, not minutes.
TIMEOUT_MS = 10_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a browser test may not skip: a skip there is a failure."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and item.get_closest_marker("e2e") and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"CI=true: browser tests must run, but this one was skipped ({report.longrepr})"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Debian's Chromium (never a downloaded browser), headless, with nothing phoning home."""
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}; install Debian's chromium package to run the browser tests"
        if IN_CI:
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the session's app on a free port in a daemon thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright gives every context this base URL, so tests may goto("/orders/1001")."""
    return live_server


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout():
    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def browser_errors() -> list[str]:
    """What went wrong in the test's browser contexts: console errors and uncaught exceptions
    (a Content-Security-Policy refusal shows up here too), server errors, and failed subresources
    or htmx requests. A page's own 4xx (a test asking for a 403 or 404 page) is not an error."""
    return []


@pytest.fixture(autouse=True)
def _no_browser_errors(browser_errors):
    """Every browser test also fails when a page logged an error (a script or style the CSP
    blocked, an htmx request that failed, a server error)."""
    yield
    assert browser_errors == [], "errors in the browser:\n" + "\n".join(browser_errors)


def _collect_errors(ctx, errors: list[str]) -> None:
    def on_console(message) -> None:
        # Chromium logs every 4xx/5xx as "Failed to load resource"; on_response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console: {message.text}")

    def on_response(response) -> None:
        status, request = response.status, response.request
        expected_4xx = request.resource_type == "document" or request.url.endswith("/favicon.ico")
        if status >= 500 or (status >= 400 and not expected_4xx):
            errors.append(f"HTTP {status}: {request.method} {request.url}")

    ctx.on("console", on_console)
    ctx.on("weberror", lambda error: errors.append(f"uncaught: {error.error}"))
    ctx.on("response", on_response)


@pytest.fixture
def context(new_context, browser_errors):
    """A JavaScript-on context with short default timeouts."""
    ctx = new_context()
    ctx.set_default_timeout(TIMEOUT_MS)
    _collect_errors(ctx, browser_errors)
    return ctx


@pytest.fixture
def no_js_context(new_context, browser_errors):
    """A context with JavaScript off: every flow must still work."""
    ctx = new_context(java_script_enabled=False)
    ctx.set_default_timeout(TIMEOUT_MS)
    _collect_errors(ctx, browser_errors)
    _AXE_SCRATCH[ctx] = None
    yield ctx
    scratch = _AXE_SCRATCH.pop(ctx, None)
    if scratch is not None:
        scratch.context.close()


@pytest.fixture
def no_js_page(no_js_context) -> Page:
    return no_js_context.new_page()


@pytest.fixture
def page_for(context, no_js_context):
    """page_for(js=True|False): a fresh page in the JavaScript-on or -off context."""
    return lambda js: (context if js else no_js_context).new_page()


def sign_in(page: Page, base_url: str, first_name: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, as a person would, and land on the Courses screen."""
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email").fill(f"{first_name}@demo.edu")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()


_axe = Axe()
# JavaScript-off context -> a JavaScript-on page where axe checks snapshots of its pages.
_AXE_SCRATCH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)


def assert_axe_clean(page: Page) -> None:
    """axe-core finds no violations on the page as it is now; the report is printed otherwise.

    axe is injected with page.evaluate (DevTools protocol), which the app's strict
    Content-Security-Policy does not block, so the policy stays as the app sends it.
    axe needs timers, which never fire with JavaScript off; for such a page it checks a
    snapshot of the same DOM (scripts removed) served at the same URL in a scratch page.
    """
    results = _axe_on_snapshot(page) if page.context in _AXE_SCRATCH else _run_axe(page)
    if results.violations_count:
        report = results.generate_report()
        print(report)
        pytest.fail(f"axe found {results.violations_count} violation(s) on {page.url}:\n{report}", pytrace=False)


def _run_axe(page: Page) -> AxeResults:
    """Inject axe once per document, then run every rule."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)
    return AxeResults(page.evaluate("() => axe.run(document, {resultTypes: ['violations']})"))


def _axe_on_snapshot(page: Page) -> AxeResults:
    """Run axe on what a JavaScript-off page shows, without asking the server again."""
    url, html = page.url, _SCRIPT.sub("", page.content())
    scratch = _AXE_SCRATCH.get(page.context)
    if scratch is None:
        scratch = _AXE_SCRATCH[page.context] = page.context.browser.new_context().new_page()
    scratch.unroute_all()
    scratch.route(
        lambda requested: requested == url,
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
    )
    scratch.goto(url)
    return _run_axe(scratch)

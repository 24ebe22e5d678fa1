"""The LTI launch in a real browser: inside the LMS's iframe and in a new window, JavaScript on and off where
the flow allows (an LMS's own pages post the launch with a script; without one, its Continue button), the
"Open in a new window" fallback when the frame gets no cookies, and the demo LMS at /dev-lms."""
from __future__ import annotations

import pytest
from axe_playwright_python.base import AxeResults
from playwright.sync_api import expect

from orders.domain.lti import connections
from orders.extensions import db
from tests.e2e.conftest import _axe, assert_axe_clean
from tests.lti_platform import FakePlatform

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def platform(live_server):
    lms = FakePlatform()
    lms.tool_launch_url, lms.tool_login_url, lms.tool_jwks_url = (
        f"{live_server}/lti/launch", f"{live_server}/lti/login", f"{live_server}/lti/jwks")
    lms.start()
    yield lms
    lms.stop()


@pytest.fixture
def registered(app, demo_data, platform):
    with app.app_context():
        connections.register(platform.registration_fields(), actor=None, now=demo_data.now, allow_http=True)
        db.session.commit()
    return platform


def _axe_at_both_widths(page) -> None:
    """axe-clean at desktop width and at 320 CSS px, with nothing scrolling sideways."""
    assert_axe_clean(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_axe_clean(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_instructor_orders_from_inside_the_lms_iframe(registered, context):
    page = context.new_page()
    page.goto(f"{registered.url}/course?as=ada")
    frame = page.frame_locator("#tool")
    expect(frame.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    expect(frame.get_by_text("From your LMS course")).to_contain_text("Calculus I (Spring 2027)")
    expect(frame.get_by_text("CS 150")).to_have_count(0)  # narrowed to the LMS course's sections
    frame.get_by_role("link", name="Order #1001").first.click()  # the session's cookie works inside the frame
    expect(frame.get_by_role("heading", level=1)).to_contain_text("1001")
    expect(frame.get_by_role("link", name="Cancel Order")).to_be_visible()
    tool_page = context.new_page()  # the same pages, checked by axe as the frame shows them
    tool_page.goto(page.frames[1].url)
    _axe_at_both_widths(tool_page)


@pytest.mark.parametrize("js", [pytest.param(True, id="js"), pytest.param(False, id="no-js")])
def test_a_student_launches_in_a_new_window(registered, page_for, js):
    page = page_for(js)
    page.goto(f"{registered.url}/course?as=mary")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Course materials (new window)").click()
    tool = opened.value
    if not js:  # the LMS's page posts the launch with a script; without JavaScript its button does
        tool.get_by_role("button", name="Continue to the tool").click()
    expect(tool.get_by_role("heading", level=1, name="Course materials")).to_be_visible()
    expect(tool.get_by_text("Showing the sections of your LMS course")).to_be_visible()
    expect(tool.get_by_role("heading", name="MATH 221 Calculus I")).to_be_visible()
    expect(tool.get_by_role("heading", name="CS 310 Theory of Computation")).to_have_count(0)
    _axe_at_both_widths(tool)


def test_a_frame_without_cookies_offers_a_new_window(registered, context):
    """Safari blocks cookies in the LMS's iframe: the framed launch arrives without our state cookie."""
    page = context.new_page()

    def lose_cookies_in_frames(route):
        """The LMS's post back arrives with no cookie of ours (routes see no redirects: this is the first
        request of the framed flow that is not one)."""
        if route.request.frame.parent_frame is not None:
            context.clear_cookies()
        route.continue_()

    page.route("**/lti/launch", lose_cookies_in_frames)
    page.goto(f"{registered.url}/course?as=ada")
    frame = page.frame_locator("#tool")
    expect(frame.get_by_role("heading", level=1, name="Open Course materials in a new window")).to_be_visible()
    with context.expect_page() as opened:
        frame.get_by_role("link", name="Open in a new window").click()
    expect(opened.value.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    _axe_frame(page)  # the fallback page answers a POST: checked where it is, in its frame


def _axe_frame(page) -> None:
    """axe on the framed tool page itself (its document, inside the LMS's)."""
    frame = page.frames[1]
    frame.evaluate(_axe.axe_script)
    results = AxeResults(frame.evaluate("() => axe.run(document, {resultTypes: ['violations']})"))
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def demo_lms(app, demo_data, live_server):
    from devtools.lms import register_demo_platform

    with app.app_context():
        register_demo_platform(live_server, demo_data.now)
        db.session.commit()


def test_the_demo_lms_launches_ada_in_its_iframe_and_adds_the_tool_by_deep_linking(demo_lms, context, base_url):
    page = context.new_page()
    page.goto(f"{base_url}/dev-lms")
    assert_axe_clean(page)
    page.get_by_role("link", name="in the course page as Ada Lovelace").click()
    frame = page.frame_locator("iframe[title='Course materials']")
    expect(frame.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    frame.get_by_role("link", name="Roster check").click()
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Roster check")
    expect(frame.get_by_text("Vera Visitor")).to_be_visible()  # only in the LMS
    _axe_frame(page)
    page.goto(f"{base_url}/dev-lms/course?as=ada&message=deep-link")
    expect(frame.get_by_role("heading", level=1)).to_have_text("The demo LMS added 1 item")
    expect(frame.get_by_text("Course materials (ltiResourceLink)")).to_be_visible()


def test_the_demo_lms_opens_mary_in_a_new_window(demo_lms, context, base_url):
    page = context.new_page()
    page.goto(f"{base_url}/dev-lms")
    with context.expect_page() as opened:
        page.get_by_role("link", name="in a new window as Mary Somerville").click()
    expect(opened.value.get_by_role("heading", level=1, name="Course materials")).to_be_visible()


@pytest.mark.parametrize("js", [pytest.param(True, id="js"), pytest.param(False, id="no-js")])
def test_a_program_administrator_adds_an_lms_connection(demo_data, page_for, base_url, js):
    from tests.e2e.conftest import sign_in

    page = page_for(js)
    sign_in(page, base_url, "katherine")
    page.goto(f"{base_url}/admin/lms")
    expect(page.get_by_text(f"{base_url}/lti/login")).to_be_visible()
    page.get_by_role("link", name="Add an LMS connection").click()
    page.get_by_label("Issuer").fill("https://moodle.example.edu")
    page.get_by_label("Client id").fill("abc")
    page.get_by_label("Deployment ids (one per line)").fill("1")
    page.get_by_label("OIDC authorization URL").fill("https://moodle.example.edu/mod/lti/auth.php")
    page.get_by_label("Access token URL").fill("https://moodle.example.edu/mod/lti/token.php")
    page.get_by_label("Key set URL").fill("https://moodle.example.edu/mod/lti/certs.php")
    _axe_at_both_widths(page)
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_text("https://moodle.example.edu can now launch the tool.")).to_be_visible()
    expect(page.get_by_role("cell", name="https://moodle.example.edu", exact=True)).to_be_visible()
    page.get_by_role("button", name="Make a registration link").click()
    expect(page.get_by_text(f"{base_url}/lti/register?code=")).to_be_visible()
    _axe_at_both_widths(page)

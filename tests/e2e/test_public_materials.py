"""The public course materials lookup in a browser with JavaScript off, on a phone: from the sign-in page to
a section, searching, its own URL; axe-clean, nothing scrolls sideways at 320 px (issue 25)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_axe_clean
from tests.e2e.test_reflow import _LAYOUT_PROBLEMS

pytestmark = pytest.mark.e2e


def _fits(page: Page) -> None:
    assert page.evaluate(_LAYOUT_PROBLEMS) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert_axe_clean(page)


def test_a_visitor_without_javascript_looks_up_a_section_at_320px(no_js_page: Page, base_url, demo_data):
    page = no_js_page
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{base_url}/sign-in")
    page.get_by_role("link", name="look up course materials").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Course materials for Spring 2027")
    _fits(page)

    page.get_by_label("Term").select_option(label="Spring 2027")
    page.get_by_label("Course or section").fill("theory")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("1 section matches “theory”")
    table = page.get_by_role("table", name="Course materials for Spring 2027, by section")  # one table per listing
    expect(table.get_by_role("rowheader", name="CS 310 Theory of Computation, section 001")).to_be_visible()
    expect(table).to_contain_text("Introduction to the Theory of Computation")
    expect(table).to_contain_text("Recommended")
    expect(table).to_contain_text("$199.95")
    _fits(page)

    page.get_by_role("link", name="CS 310 Theory of Computation, section 001").click()
    assert page.url.endswith("/course-materials/202710/202710-CS-310-001")
    expect(page.get_by_role("heading", level=1)).to_contain_text("CS 310 Theory of Computation, section 001")
    expect(page.locator("main")).not_to_contain_text("Alan Turing")
    _fits(page)

    page.goto(f"{base_url}/course-materials/?term=202710&q=MATH+340")
    expect(page.locator("main")).to_contain_text("To be determined")
    _fits(page)

"""The instructor type-ahead never puts its fragment URL in the address bar; reload shows the full
Courses page (issue 27, item 1)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_typing_an_instructor_name_keeps_the_courses_url(page: Page, base_url, demo_data):
    sign_in(page, base_url, "katherine")
    page.get_by_role("searchbox", name="Course").fill("math")
    expect(page).to_have_url(f"{base_url}/?q=math")
    page.get_by_role("searchbox", name="Instructor name").fill("ada")
    expect(page.locator("#instructor-matches")).to_contain_text("Ada Lovelace")
    assert "/instructors" not in page.url
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    expect(page.locator(".site-header")).to_be_visible()

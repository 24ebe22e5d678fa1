"""The back office's billing feed page in a real browser: reachable from the tab bar, accessible, downloads."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("js", [pytest.param(True, id="js"), pytest.param(False, id="no-js")])
def test_a_program_administrator_downloads_the_billing_feed(page_for, live_server, demo_data, js):
    page = page_for(js)
    sign_in(page, live_server, "katherine")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Billing feed").click()
    expect(page.get_by_role("heading", level=1, name="Billing feed")).to_be_visible()
    expect(page.get_by_label("Term")).to_have_value("202710")
    assert_axe_clean(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert_axe_clean(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-202710-student-billing.csv")
    lines = open(download.path(), encoding="utf-8").read().splitlines()
    assert lines[0] == ("student_sis_id,student_email,sis_section_id,order_id,content_id,ci_title,ci_searchable_isbn,"
                        "ci_student_price,choice,billable,decided_at,decided_by,final")
    assert len(lines) == 29 and lines[1].startswith("910001,mary@demo.edu,202710-CS-310-001,1002,")

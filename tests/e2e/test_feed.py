"""The back office's order feed page in a real browser: reachable from the header, accessible, downloads."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("js", [pytest.param(True, id="js"), pytest.param(False, id="no-js")])
def test_a_program_administrator_downloads_the_full_feed(page_for, live_server, demo_data, js):
    page = page_for(js)
    sign_in(page, live_server, "katherine")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Order feed").click()
    expect(page.get_by_role("heading", level=1, name="Order feed")).to_be_visible()
    expect(page.get_by_label("Term")).to_have_value("202710")
    assert_axe_clean(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 800})

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download full feed").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-202710-order-feed-full.csv")
    lines = open(download.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("order_id,order_created,order_updated,sis_section_id,is_deleted,")
    assert sorted({line.split(",")[0] for line in lines[1:]}) == ["1001", "1002"]

    page.get_by_label("Changes since").fill("2030-01-01")
    page.get_by_role("button", name="Download changes since date").click()
    expect(page.get_by_role("status")).to_have_text(
        "No order of Spring 2027 changed since 2030-01-01: there is nothing to download."
    )
    assert_axe_clean(page)

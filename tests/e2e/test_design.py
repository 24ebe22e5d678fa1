"""The design (issue 37, docs/design.md) measured in the browser on the key pages at 320 px and 1280 px.

Each test opens a page at both widths, checks what the design promises from bounding boxes and computed
styles (no sideways scroll, the institution's brand on one line in its accent, aligned filters, even cards,
one secondary button, one-line column headers, one table per term, a grouped admin menu), runs axe, and
saves a full-page screenshot under test-screenshots/ (gitignored: fonts differ between machines,
so the pictures are for people to look at, never compared pixel by pixel).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devtools.demo import DEMO_ACCENT
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e

SHOTS = (
    Path(__file__).resolve().parents[2] / "test-screenshots"
)  # a folder of its own: pytest-playwright empties test-results/
PHONE, DESKTOP = (320, 640), (1280, 900)
WIDTHS = pytest.mark.parametrize("width,height", [PHONE, DESKTOP], ids=["320", "1280"])


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


# How many lines an element's text takes: its text's line boxes, grouped by their top (a px of slack).
_LINES = """el => {
  const range = document.createRange(); range.selectNodeContents(el);
  const tops = [...range.getClientRects()].filter(r => r.width > 1 && r.height > 1).map(r => r.top)
    .sort((a, b) => a - b);
  return tops.filter((t, i) => i === 0 || t - tops[i - 1] > 4).length;
}"""


def lines(page: Page, selector: str) -> list[int]:
    return page.locator(selector).evaluate_all(f"els => els.map({_LINES})")


def check_page(page: Page, name: str, width: int) -> None:
    """What every page must do: no sideways scroll, the brand on one line in the accent, axe-clean; then its picture."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width} px"
    header = page.locator(".site-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(DEMO_ACCENT)
    assert lines(page, ".site-header .brand-name") == [1]
    logo = page.locator(".site-header .brand-logo")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 96  # the demo's badge, loaded
    assert_axe_clean(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@WIDTHS
def test_sign_in_shows_the_institution(page: Page, base_url, demo_data, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base_url}/sign-in")
    band = page.locator(".sign-in-brand")
    expect(band).to_contain_text("Demo State University")
    assert band.locator("img").evaluate("img => img.naturalWidth") == 96
    assert band.evaluate("e => getComputedStyle(e).borderBottomColor") == _rgb(DEMO_ACCENT)
    check_page(page, "sign-in", width)


@WIDTHS
def test_courses(page: Page, base_url, demo_data, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base_url, "katherine")
    # The filter panel: every control on one line, at 1280 in one row (the Course field sat 2-3 px higher).
    controls = page.locator(
        ".filters > .field:not(.instructor-field) > input, .filters > .field > select"
    ).evaluate_all(
        "els => els.filter(e => e.offsetParent)"
        ".map(e => { const r = e.getBoundingClientRect(); return [r.top, r.height]; })"
    )
    assert len(controls) >= 3
    if width == DESKTOP[0]:
        assert max(t for t, _ in controls) - min(t for t, _ in controls) < 1, controls
    assert len({round(h) for _, h in controls}) == 1, controls
    show = page.locator(".filters > button").bounding_box()
    if width == DESKTOP[0]:
        first = controls[0]
        assert abs((show["y"] + show["height"]) - (first[0] + first[1])) < 1, (show, controls)  # level with the fields
    # One secondary button: "Start order", "Reorder" and "No materials needed" look alike.
    looks = page.locator(".offering-actions .button").evaluate_all("""els => [...new Set(els.map(e => {
      const s = getComputedStyle(e);
      return [
        s.color, s.backgroundColor, s.borderTopColor, s.fontWeight, s.fontSize,
        Math.round(e.getBoundingClientRect().height),
      ].join(' ');
    }))]""")
    names = set(page.locator(".offering-actions .button").all_inner_texts())
    assert {"Start order", "No materials needed"} <= {n.split("\n")[0] for n in names}
    assert len(looks) == 1, looks
    # Phones: the open menu keeps the brand on its line.
    if width == PHONE[0]:
        page.get_by_text("Menu", exact=True).click()
        expect(page.get_by_role("link", name="Administration")).to_be_visible()
        assert lines(page, ".site-header .brand-name") == [1]
        brand, toggle = page.locator(".site-header .brand").bounding_box(), page.locator(".menu-toggle").bounding_box()
        assert abs((brand["y"] + brand["height"] / 2) - (toggle["y"] + toggle["height"] / 2)) < 4, (brand, toggle)
        page.screenshot(path=str(SHOTS / "courses-menu-320.png"))
        page.get_by_text("Menu", exact=True).click()
    check_page(page, "courses", width)


@WIDTHS
def test_progress(page: Page, base_url, demo_data, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base_url, "katherine")
    page.goto(f"{base_url}/progress/")
    cards = page.locator(
        "dl.headline"
    ).evaluate_all("""lists => lists.map(dl => [...dl.children].map(c => {
      const r = c.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.width), Math.round(r.height)];
    }))""")
    assert [len(row) for row in cards] == [6, 5], cards  # the sections, then the deadline and the students
    assert len({w for row in cards for _, w, _ in row}) == 1, cards  # an even grid: one width for every card
    for row in cards:
        assert len({h for _, _, h in row}) == 1, row
        if width == DESKTOP[0]:
            assert len({t for t, _, _ in row}) == 1, row  # each list in one row
        else:
            assert len({t for t, _, _ in row}) == 3, row  # two a row on a phone
    # A linked number and a plain one look the same.
    numbers = page.locator(
        "dl.headline dd"
    ).evaluate_all("""els => [...new Set(els.map(dd => {
      const t = dd.querySelector('a') || dd; const s = getComputedStyle(t);
      return [s.color, s.fontSize, s.fontWeight].join(' ');
    }))]""")
    assert len(numbers) == 1, numbers
    # Each "Download CSV" is level with its table's heading.
    heads = page.locator(".section-head").evaluate_all("""els => els.map(e => {
      const h = e.querySelector('h2').getBoundingClientRect(), b = e.querySelector('.button').getBoundingClientRect();
      return [(h.top + h.bottom) / 2, (b.top + b.bottom) / 2, b.right]; })""")
    assert len(heads) >= 3
    if width == DESKTOP[0]:
        assert all(abs(h - b) < 2 for h, b, _ in heads), heads
        assert len({round(right) for _, _, right in heads}) == 1, heads  # all at the right edge
        assert set(lines(page, "table.progress thead th")) == {1}  # short column headers, one line each
        edge = page.locator("main").evaluate(
            "m => m.getBoundingClientRect().right - parseFloat(getComputedStyle(m).paddingRight)"
        )
        rights = page.locator("table.data").evaluate_all("els => els.map(t => t.getBoundingClientRect().right)")
        assert max(rights) <= edge + 0.5, (rights, edge)  # every table within the page's width
    check_page(page, "progress", width)


@WIDTHS
def test_public_lookup(page: Page, base_url, demo_data, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base_url}/course-materials/?term=202710")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.locator("table.lookup").count() == 1  # one table for the term's listing
    assert page.locator("table.lookup thead").count() == 1  # its header once, not per section
    groups = page.locator("table.lookup tbody.lookup-section")
    assert groups.count() >= 3
    # "To be determined": one look wherever it appears.
    tbd = page.locator(".tag-tbd").evaluate_all("""els => [...new Set(els.map(e => { const s = getComputedStyle(e);
      return [s.backgroundColor, s.color, s.borderTopStyle, s.fontSize, s.fontWeight].join(' '); }))]""")
    assert page.locator(".tag-tbd").count() >= 1 and len(tbd) == 1, tbd
    if width == DESKTOP[0]:
        # Columns aligned down the page: every price cell's right edge, every ISBN cell's left edge.
        prices = page.locator("table.lookup td[data-label='Student price']").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().right))"
        )
        isbns = page.locator("table.lookup td[data-label='ISBN-13']").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
        )
        assert len(prices) >= 3 and len(set(prices)) == 1 and len(set(isbns)) == 1, (prices, isbns)
        # The search row stays level although the course field has a hint under it.
        tops = page.locator(".filters > .field > input, .filters > .field > select").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
        )
        assert len(tops) >= 2 and len(set(tops)) == 1, tops
    else:
        # Stacked rows: the labels are quiet (not bold), the titles are.
        weights = page.locator("table.lookup td[data-label]").first.evaluate(
            "e => getComputedStyle(e, '::before').fontWeight"
        )
        assert weights == "400"
    page.get_by_role("link", name="Sign in").first.wait_for()
    check_page(page, "public-lookup", width)


@WIDTHS
def test_admin_overview(page: Page, base_url, demo_data, width, height):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base_url, "katherine")
    page.goto(f"{base_url}/admin/")
    nav = page.get_by_role("navigation", name="Administration")
    links = nav.get_by_role("link")
    if width == DESKTOP[0]:
        # A sidebar: every link on one line, one above the other, none wrapping; the groups headed.
        expect(links.first).to_be_visible()
        boxes = links.evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [Math.round(r.left), r.top]; })"
        )
        assert len(boxes) >= 14 and len({left for left, _ in boxes}) == 1, boxes
        assert set(lines(page, ".admin-nav a")) == {1}
        main = page.locator(".admin-main").bounding_box()
        assert main["x"] > max(left for left, _ in boxes) and main["width"] > 700
        assert page.locator(".admin-nav-heading").count() >= 5
    else:
        # A phone: one "Administration menu" line, not a wall of links; opened, the grouped list.
        summary = page.get_by_text("Administration menu", exact=True)
        expect(summary).to_be_visible()
        expect(links.first).to_be_hidden()
        assert page.locator(".admin-menu").bounding_box()["height"] < 60
        summary.click()
        expect(links.last).to_be_visible()
        summary.click()
    # The overview's table of contents: the same five groups, each area described.
    groups = page.locator(".admin-group")
    assert groups.count() == page.locator(".admin-nav-heading").count() >= 5
    assert (
        page.locator(".admin-group li p").count() == page.locator(".admin-nav a").count() - 1
    )  # every area but the Overview
    check_page(page, "admin-overview", width)


@WIDTHS
def test_order_history_filters_line_up(page: Page, base_url, demo_data, width, height):
    """The third filter panel the issue names: its fields and Show button level at 1280, stacked full width at 320."""
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base_url, "katherine")
    page.goto(f"{base_url}/orders")
    boxes = page.locator("#history-filters > .field > :is(input, select), #history-filters > button").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.bottom, r.width]; })"
    )
    assert len(boxes) == 4
    if width == DESKTOP[0]:
        assert max(b for _, b, _ in boxes) - min(b for _, b, _ in boxes) < 1, boxes  # one row, bottoms level
    else:
        assert len({round(left) for left, _, _ in boxes}) == 1, boxes  # one column
        assert len({round(w) for _, _, w in boxes[:3]}) == 1, boxes  # the fields full width
    check_page(page, "order-history", width)


@WIDTHS
def test_approvals_and_the_review_panel(page: Page, base_url, demo_data, width, height):
    """Issue 33's screens in the same components.

    The Approvals filter panel and table, the order summary's review panel.
    """
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, base_url, "emmy")
    page.goto(f"{base_url}/approvals")
    expect(page.get_by_role("heading", level=1, name="Approvals")).to_be_visible()
    selects = page.locator(".filters > .field > select").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert len(selects) == 3 and (len(set(selects)) == 1) == (width == DESKTOP[0]), selects
    check_page(page, "approvals", width)
    page.locator("table.data tbody a").first.click()
    panel = page.locator(".review-panel")
    expect(panel).to_contain_text("Awaiting approval")
    buttons = panel.locator(".review-actions .button").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; })"
    )
    (left1, right1, top1, bottom1), (left2, _, top2, _) = buttons
    # Approve and Return to placer apart: side by side, or one under the other on a narrow phone.
    assert (left2 - right1 >= 8) if top1 == top2 else (top2 - bottom1 >= 8), buttons
    check_page(page, "review-panel", width)

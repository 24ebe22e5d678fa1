"""Every page of every demo user on a phone (WCAG 2.1 1.4.10 reflow): at 320×640 and 390×844 nothing
scrolls sideways, the page is axe-clean, and no id repeats (a repeated id trips htmx's settle step and
the CSP). The header and footer span the width, "Sign out" stays on one line, banners keep their
focus ring clear of the header.

Fast by design: one browser context per demo user, one page load per URL; the viewport is resized
between the two widths (a re-layout is what a rotated phone does) so each page is fetched once.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from orders import clock
from orders.domain.models import CatalogItem, Course, Order, Term, User
from orders.domain.ordering.content_requests import TitleRequest, new_request
from orders.domain.ordering.drafts import add_item, start_draft
from orders.extensions import db
from tests.e2e.conftest import TIMEOUT_MS, _collect_errors, assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e

WIDTHS = [(320, 640), (390, 844)]
LONG_WORD = (
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3 + "Floccinaucinihilipilification" + "x" * 6
)  # 170 characters
assert len(LONG_WORD) == 170

# What each page must not do at a phone width, measured in the browser.
_LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = window.innerWidth;
  const root = document.documentElement;
  if (root.scrollWidth > width) {
    const wide = [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > width + 0.5 && getComputedStyle(e).position !== 'absolute')
      .slice(0, 5).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}`);
    problems.push(`scrollWidth ${root.scrollWidth} > ${width}: ${wide.join(', ')}`);
  }
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (repeated.length) problems.push(`repeated ids: ${repeated.join(', ')}`);
  for (const selector of ['.site-header', '.site-footer']) {
    const box = document.querySelector(selector)?.getBoundingClientRect();
    if (box && Math.round(box.width) < root.scrollWidth) {
      problems.push(`${selector} is ${box.width}px of ${root.scrollWidth}px`);
    }
  }
  const signOut = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Sign out');
  if (signOut) {
    const lineHeight = parseFloat(getComputedStyle(signOut).lineHeight) || 24;
    if (signOut.getBoundingClientRect().height > lineHeight * 1.9) problems.push('"Sign out" wraps');
  }
  for (const field of document.querySelectorAll('input[placeholder]')) {
    const style = getComputedStyle(field);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${style.fontSize} ${style.fontFamily}`;
    const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    // 15% slack: another machine's fonts run wider than this one's (the report saw "Subject, number or titl").
    if (field.offsetParent && ctx.measureText(field.placeholder).width * 1.15 > room)
      problems.push(`placeholder of #${field.id} is cut`);
  }
  const header = document.querySelector('.site-header')?.getBoundingClientRect();
  const banner = document.querySelector('.banner');
  if (header && banner && banner.getBoundingClientRect().top - header.bottom < 8)
    problems.push('a banner touches the header');
  return problems;
}"""


def _seed_pages(app) -> dict[str, list[str]]:
    """A draft of Ada's with a catalog item and a content request, a request on a placed order; the
    URLs each demo user can reach (links on the Courses screen are added while visiting)."""
    with app.app_context():
        user = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        ada = user["ada"]
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        summer = db.session.scalars(select(Term).where(Term.code == "202750")).one()
        cs150 = db.session.scalars(select(Course).where(Course.subject == "CS", Course.number == "150")).one()
        now = clock.utcnow()
        draft, _ = start_draft(ada, cs150, spring, now=now, request_id=None)
        first_item = db.session.scalars(select(CatalogItem).where(CatalogItem.active).order_by(CatalogItem.id)).first()
        add_item(draft, first_item.id, now)
        # One long unbroken word (issue 27: a 170-character title made the materials page 1,318 px wide).
        long_item = CatalogItem(
            title=LONG_WORD,
            authors=LONG_WORD[:90],
            isbn13="9780306406157",
            publisher="P" * 60,
            edition="1st",
            delivery=first_item.delivery,
            student_price=first_item.student_price,
            active=True,
        )
        db.session.add(long_item)
        db.session.flush()
        add_item(draft, long_item.id, now)
        wanted = TitleRequest(
            "A rather long title of a requested book that wraps " + LONG_WORD,
            "9780262033848",
            "A. Writer",
            None,
            "Week 1 " + LONG_WORD,
        )
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        placed_request = new_request(order, wanted, actor=ada, now=now, position=0)
        db.session.add(placed_request)
        db.session.commit()
        draft_id, request_id, term_id, item_id = draft.id, placed_request.id, spring.id, first_item.id
        ids = {name: u.id for name, u in user.items()}
        summer_code = summer.code
        db.session.remove()

    common = ["/", "/orders", "/requests"]
    ordering = [f"/ordering/drafts/{draft_id}/{step}" for step in ("sections", "materials", "review", "cancel")]
    ordering += [
        f"/ordering/drafts/{draft_id}/materials?q=calculus",
        f"/ordering/drafts/{draft_id}/request-title",
        f"/ordering/drafts/{draft_id}/materials?q=Pneumono",
    ]

    def order_pages(n):
        return [f"/orders/{n}", f"/orders/{n}/cancel", f"/orders/{n}/edit", f"/orders/{n}/add-sections"]

    admin = [
        "/admin/",
        "/admin/periods",
        f"/admin/periods/{term_id}",
        "/admin/users",
        f"/admin/users/{ids['emmy']}",
        "/admin/catalog",
        "/admin/catalog/new",
        f"/admin/catalog/{item_id}",
        "/admin/catalog/import",
        "/admin/institution",
        "/admin/imports",
        "/admin/audit",
        "/admin/feed/",
        "/admin/billing/",
        "/admin/reminders/",
    ]
    return {
        "ada": common
        + ["/nowhere-at-all"]
        + ordering
        + order_pages(1001)
        + order_pages(1003)
        + ["/orders/1001/edit?q=calculus", "/orders/1001/edit/request-title", f"/requests/{request_id}"],
        "alan": common + order_pages(1002),
        "emmy": common
        + order_pages(1001)
        + [f"/requests/{request_id}", f"/?instructor={ids['ada']}&term={summer_code}"],
        "grace": common + order_pages(1002) + ["/?instructor=unassigned"],
        "katherine": common + admin + order_pages(1001) + order_pages(1002) + [f"/requests/{request_id}"],
    }


def _courses_links(page: Page) -> list[str]:
    """The GET pages the Courses screen links to (Start order, Reorder, No materials needed...)."""
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
    return [h for h in hrefs if h.startswith("/") and not h.endswith(".csv")]


def _check(page: Page, url: str, width: int, height: int, failures: list[str]) -> None:
    page.set_viewport_size({"width": width, "height": height})
    for problem in page.evaluate(_LAYOUT_PROBLEMS):
        failures.append(f"{width}px {url}: {problem}")
    try:
        assert_axe_clean(page)
    except pytest.fail.Exception as failed:  # collect every page's findings, fail once at the end
        failures.append(f"{width}px {url}: {str(failed)[:1500]}")


def test_every_page_of_every_demo_user_reflows_at_320_and_390(browser, base_url, app, demo_data, browser_errors):
    pages = _seed_pages(app)
    failures: list[str] = []
    visited = 0
    linked: set[str] = set()
    for name, urls in pages.items():
        context = browser.new_context(base_url=base_url, viewport={"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
        context.set_default_timeout(TIMEOUT_MS)
        _collect_errors(context, browser_errors)
        page = context.new_page()
        sign_in(page, base_url, name)
        # The seed pages for this user, then the pages their Courses screen links to (Start order,
        # Reorder, No materials needed), each kind once across users: they share one template.
        queue = [(url, True) for url in urls] + [(url, False) for url in _courses_links(page)]
        seen: set[str] = set()
        for url, own in queue:
            parts = urlsplit(url)
            key = url if own else parts.path + ("?" + parts.query if parts.path == "/" else "")
            if key in seen or (not own and key in linked):
                continue
            seen.add(key)
            if not own:
                linked.add(key)
            page.goto(url)
            visited += 1
            for width, height in WIDTHS:
                _check(page, url, width, height, failures)
        context.close()
    # Signed out: the sign-in page.
    context = browser.new_context(base_url=base_url)
    _collect_errors(context, browser_errors)
    page = context.new_page()
    page.goto("/sign-in")
    for width, height in WIDTHS:
        _check(page, "/sign-in", width, height, failures)
    context.close()
    assert visited > 40
    assert failures == [], "\n".join(failures)


def test_a_banner_keeps_its_focus_ring_clear_of_the_header(page_for, base_url, demo_data):
    """After a cancel the focused status banner's outline is below the header, not clipped by it."""
    page = page_for(True)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base_url, "ada")
    page.goto("/orders/1001/cancel")
    page.get_by_role("button", name="Confirm cancellation").click()
    banner = page.get_by_role("status").filter(has_text="canceled")
    expect(banner.first).to_be_visible()
    gap = page.evaluate(
        "() => document.querySelector('.banner').getBoundingClientRect().top"
        " - document.querySelector('.site-header').getBoundingClientRect().bottom"
    )
    assert gap >= 8  # the 3px outline with its 2px offset and 5px shadow fits


def test_the_order_summary_prints_without_chrome_and_with_the_number_large(page_for, base_url, demo_data):
    page = page_for(True)
    sign_in(page, base_url, "ada")
    page.goto("/orders/1001")
    screen_size = page.get_by_role("heading", level=1).evaluate("h => parseFloat(getComputedStyle(h).fontSize)")
    page.emulate_media(media="print")
    for chrome in (
        page.locator(".site-header"),
        page.locator(".site-footer"),
        page.get_by_role("link", name="Edit order"),
        page.get_by_role("link", name="Cancel Order"),
    ):
        expect(chrome).to_be_hidden()
    heading = page.get_by_role("heading", level=1, name="Order #1001")
    expect(heading).to_be_visible()
    assert heading.evaluate("h => parseFloat(getComputedStyle(h).fontSize)") > screen_size * 1.2
    for detail in ("Calculus: Early Transcendentals", "MATH 221 001", "MATH 221 002", "Placed by", "History"):
        expect(page.locator("main")).to_contain_text(detail)


@pytest.mark.parametrize("width", [800, 1280])
def test_wider_screens_keep_placeholders_whole_and_ids_unique(page_for, base_url, demo_data, width):
    """The course search's placeholder was cut at desktop widths ("Subject, number or titl")."""
    page = page_for(True)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, base_url, "katherine")
    assert page.evaluate(_LAYOUT_PROBLEMS) == []
    page.get_by_label("Term").select_option(label="Summer 2027")  # an htmx swap: ids stay unique after it
    expect(page.locator("#course-results")).to_contain_text("Summer 2027")
    assert page.evaluate(_LAYOUT_PROBLEMS) == []

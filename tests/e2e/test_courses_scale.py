"""A Program Administrator filters and pages through a large term, with and without JavaScript."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from orders.config import Config
from orders.domain.models import Term, User
from orders.extensions import db
from tests import factories as f
from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e

BIO_SECTIONS = 60  # BIO 300-309, six sections each; every other one ordered
OTHER_SECTIONS = 90
PAGE = Config.COURSES_PAGE_SIZE  # 25: the ordered half of BIO (30) still spans two pages


@pytest.fixture
def large_term(app, demo_data):
    """Spring 2027 grows by 150 sections, each with its own instructor; half the BIO ones are ordered."""
    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one()
        for i in range(BIO_SECTIONS + OTHER_SECTIONS):
            teacher = f.user(f"Bulk{i:03d} Teacher{i:03d}")
            if i < BIO_SECTIONS:
                section = f.section(
                    spring, subject="BIO", number=f"30{i % 10}", label=f"{100 + i}", instructors=(teacher,)
                )
                if i % 2:
                    f.placed_order([section], grace, demo_data.now)
            else:
                f.section(spring, subject="HIST", number=f"1{i % 50:02d}", label=f"{100 + i}", instructors=(teacher,))
        db.session.commit()


def shown(first, last, total) -> re.Pattern:
    """The count line: course offerings shown, then which sections of how many (paged) or how many."""
    if first == 1 and str(last) == str(total):
        return re.compile(rf"Showing \d+ course offerings? \({total} sections?\)")
    return re.compile(rf"Showing \d+ course offerings? \(sections {first}–{last} of {total}\)")


def count_line(page: Page):
    return page.locator("#course-results .count")


def test_admin_filters_and_pages_a_large_term_with_htmx(page: Page, live_server, large_term):
    sign_in(page, live_server, "katherine")
    expect(count_line(page)).to_have_text(shown(1, PAGE, "1[0-9]{2}"))
    page.evaluate("window.__e2eSamePage = true")

    page.get_by_label("Term").select_option(label="Spring 2027")
    expect(page).to_have_url(re.compile(r"[?&]term=202710"))
    spring_total = 8 + BIO_SECTIONS + OTHER_SECTIONS  # the demo's eight Spring 2027 sections (with MATH 110) plus ours
    expect(count_line(page)).to_have_text(shown(1, PAGE, spring_total))

    page.get_by_label("Course", exact=True).fill("bio 30")  # debounced: one request after typing stops
    expect(count_line(page)).to_have_text(shown(1, PAGE, BIO_SECTIONS))
    expect(page).to_have_url(re.compile(r"q=bio\+30(&|$)"))
    assert_axe_clean(page)

    page.get_by_role("link", name="Next page").click()
    expect(count_line(page)).to_have_text(shown(PAGE + 1, 2 * PAGE, BIO_SECTIONS))
    expect(page).to_have_url(re.compile(r"page=2"))

    page.get_by_label("Order state").select_option(label="Ordered")
    expect(count_line(page)).to_have_text(shown(1, PAGE, BIO_SECTIONS // 2))
    expect(page).not_to_have_url(re.compile(r"page=2"))  # a new filter starts from the first page
    assert page.evaluate("window.__e2eSamePage") is True  # every step swapped in place
    assert_axe_clean(page)

    page.go_back()
    expect(count_line(page)).to_have_text(shown(PAGE + 1, 2 * PAGE, BIO_SECTIONS))
    page.reload()  # the URL alone restores the same view
    expect(count_line(page)).to_have_text(shown(PAGE + 1, 2 * PAGE, BIO_SECTIONS))
    expect(page.get_by_label("Course", exact=True)).to_have_value("bio 30")


def test_admin_filters_a_large_term_without_javascript(no_js_page: Page, live_server, large_term):
    page = no_js_page
    sign_in(page, live_server, "katherine")
    page.get_by_label("Term").select_option(label="Spring 2027")
    page.get_by_label("Course", exact=True).fill("bio 30")
    page.get_by_label("Order state").select_option(label="Not ordered")
    page.get_by_role("button", name="Show").click()
    expect(count_line(page)).to_have_text(shown(1, PAGE, BIO_SECTIONS // 2))
    expect(page).to_have_url(re.compile(r"term=202710.*q=bio\+30.*state=not_ordered|state=not_ordered.*q=bio"))
    assert_axe_clean(page)

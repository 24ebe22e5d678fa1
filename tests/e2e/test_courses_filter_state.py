"""Filters never hide their own state, in a real browser with JavaScript on and off: the Instructor
options follow the chosen term, an applied instructor with no section there stays selected and
says so, "Unassigned sections" appears when the term has one, and every filter can be cleared."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e


def options(page: Page) -> list[str]:
    return page.get_by_label("Instructor").locator("option").all_inner_texts()


def choose(page: Page, label: str, option: str, js: bool) -> None:
    """Pick an option; with JavaScript the list (and the select) swap in place, without it "Show"."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    field.select_option(label=option)
    if js:
        expect(page.locator("#course-results")).not_to_have_class(re.compile("htmx-request"))
    else:
        page.get_by_role("button", name="Show").click()


def results(page: Page):
    return page.locator("#course-results")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_an_applied_instructor_stays_visible_after_a_term_change(page_for, live_server, demo_data, app, js):
    with app.app_context():
        ada_id = demo_data.user("ada").id
    page = page_for(js)
    sign_in(page, live_server, "emmy")
    if js:
        page.evaluate("window.__e2eSamePage = true")

    choose(page, "Instructor", "Ada Lovelace", js)
    expect(page).to_have_url(re.compile(rf"[?&]instructor={ada_id}(&|$)"))
    expect(results(page)).to_contain_text("MATH 221 Calculus I")

    choose(page, "Term", "Summer 2027", js)
    expect(page).to_have_url(re.compile(r"[?&]term=202750(&|$)"))
    stale = "Ada Lovelace (no sections in Summer 2027)"
    expect(page.get_by_label("Instructor")).to_have_value(str(ada_id))
    expect(page.get_by_label("Instructor").locator("option:checked")).to_have_text(stale)
    assert options(page) == ["All instructors", stale, "Unassigned sections"]
    expect(results(page)).to_contain_text("No sections match these filters.")
    if js:
        expect(page.get_by_label("Term")).to_be_focused()  # the swap keeps a keyboard user's place
        assert page.evaluate("window.__e2eSamePage") is True
    assert page.locator("[id=filter-instructor]").count() == 1
    assert_axe_clean(page)

    choose(page, "Instructor", "Unassigned sections", js)
    expect(results(page)).to_contain_text("MATH 221 Calculus I")
    if js:  # only its options were swapped (out of band): the select keeps focus
        expect(page.get_by_label("Instructor")).to_be_focused()
    expect(results(page)).to_contain_text("Summer 2027")
    assert options(page) == ["All instructors", "Unassigned sections"]  # the stale option went with its filter

    page.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_label("Instructor")).to_have_value("")
    expect(page.get_by_label("Term")).to_have_value("current")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_instructor_options_belong_to_the_chosen_term(page_for, live_server, demo_data, app, js):
    with app.app_context():
        alan_id = demo_data.user("alan").id
    page = page_for(js)
    sign_in(page, live_server, "katherine")
    choose(page, "Instructor", "Alan Turing", js)
    expect(page).to_have_url(re.compile(rf"[?&]instructor={alan_id}(&|$)"))

    choose(page, "Term", "Fall 2026", js)
    expect(page.get_by_label("Instructor").locator("option:checked")).to_have_text("Alan Turing (no sections in Fall 2026)")
    assert options(page) == ["All instructors", "Ada Lovelace", "Alan Turing (no sections in Fall 2026)"]

    page.reload()  # the URL alone gives the same, visible state
    expect(page.get_by_label("Instructor").locator("option:checked")).to_have_text("Alan Turing (no sections in Fall 2026)")

    choose(page, "Instructor", "Ada Lovelace", js)
    expect(results(page)).to_contain_text("MATH 221 Calculus I")
    expect(results(page)).to_contain_text("Showing 2 course offerings (2 sections)")
    assert options(page) == ["All instructors", "Ada Lovelace"]

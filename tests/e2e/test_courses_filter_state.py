"""Filters never hide their own state, in a real browser with JavaScript on and off: the Instructor
status line follows the chosen term, an applied instructor with no section there stays named and
says so, "Unassigned sections" is offered when the term has some, the type-ahead only offers
instructors of the chosen term, and every filter can be cleared."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_axe_clean, sign_in

pytestmark = pytest.mark.e2e


def settle(page: Page) -> None:
    expect(page.locator("#course-results")).not_to_have_class(re.compile("htmx-request"))


def choose_term(page: Page, term: str, js: bool) -> None:
    """Pick a term; with JavaScript the list (and the status line) swap in place, without it "Show"."""
    field = page.get_by_label("Term", exact=True)
    field.focus()
    field.select_option(label=term)
    if js:
        settle(page)
    else:
        page.get_by_role("button", name="Show").click()


def pick_instructor(page: Page, typed: str, name: str, js: bool) -> list[str]:
    """Type part of a name and follow the match called `name`; returns every match offered."""
    page.get_by_label("Instructor name").fill(typed)
    if not js:
        page.get_by_role("button", name="Show").click()
    matches = page.locator("#instructor-matches").get_by_role("link")
    expect(matches.filter(has_text=name)).to_have_count(1)
    offered = matches.all_inner_texts()
    matches.filter(has_text=name).click()
    return offered


def status(page: Page):
    return page.locator("#instructor-chosen")


def results(page: Page):
    return page.locator("#course-results")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_an_applied_instructor_stays_visible_after_a_term_change(page_for, live_server, demo_data, app, js):
    with app.app_context():
        ada_id = demo_data.user("ada").id
    page = page_for(js)
    sign_in(page, live_server, "emmy")

    pick_instructor(page, "ada", "Ada Lovelace", js)
    expect(page).to_have_url(re.compile(rf"[?&]instructor={ada_id}(&|$)"))
    expect(results(page)).to_contain_text("MATH 221 Calculus I")
    if js:
        page.evaluate("window.__e2eSamePage = true")

    choose_term(page, "Summer 2027", js)
    expect(page).to_have_url(re.compile(r"[?&]term=202750(&|$)"))
    expect(page).to_have_url(re.compile(rf"[?&]instructor={ada_id}(&|$)"))
    expect(status(page)).to_have_text(re.compile(
        r"Listing instructor: Ada Lovelace \(no sections in Summer 2027\)\s*· All instructors\s*· Unassigned sections"
    ))
    expect(results(page)).to_contain_text("No sections match these filters.")
    if js:
        expect(page.get_by_label("Term")).to_be_focused()  # the swap keeps a keyboard user's place
        assert page.evaluate("window.__e2eSamePage") is True
    assert page.locator("[id=instructor-chosen]").count() == 1
    assert_axe_clean(page)

    status(page).get_by_role("link", name="Unassigned sections").click()
    expect(results(page)).to_contain_text("MATH 221 Calculus I")
    expect(results(page)).to_contain_text("Summer 2027")
    expect(status(page)).to_have_text(re.compile(r"Listing: unassigned sections\s*· All instructors"))

    page.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(status(page)).to_have_text(re.compile(r"^\s*Listing: all instructors"))
    expect(page.get_by_label("Term")).to_have_value("current")


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_instructor_matches_belong_to_the_chosen_term(page_for, live_server, demo_data, app, js):
    with app.app_context():
        alan_id = demo_data.user("alan").id
    page = page_for(js)
    sign_in(page, live_server, "katherine")
    # Sophie Germain (the demo's MATH 110 instructor, docs/spec.md §5) sorts first by family name
    assert pick_instructor(page, "a", "Alan Turing", js) == ["Sophie Germain", "Ada Lovelace", "Alan Turing"]
    expect(page).to_have_url(re.compile(rf"[?&]instructor={alan_id}(&|$)"))

    choose_term(page, "Fall 2026", js)
    expect(status(page)).to_contain_text("Listing instructor: Alan Turing (no sections in Fall 2026)")

    page.reload()  # the URL alone gives the same, visible state
    expect(status(page)).to_contain_text("Listing instructor: Alan Turing (no sections in Fall 2026)")

    assert pick_instructor(page, "a", "Ada Lovelace", js) == ["Ada Lovelace"]  # only Ada teaches in Fall 2026
    expect(results(page)).to_contain_text("MATH 221 Calculus I")
    expect(results(page)).to_contain_text("Showing 2 course offerings (2 sections)")
    expect(status(page)).to_contain_text("Listing instructor: Ada Lovelace")
    expect(page.get_by_label("Term")).to_have_value("202630")
    if js:  # typed matches follow a Term change too
        matches = page.locator("#instructor-matches").get_by_role("link")
        page.get_by_label("Instructor name").fill("a")
        expect(matches).to_have_text(["Ada Lovelace"])
        choose_term(page, "Spring 2027", js)
        expect(matches).to_have_text(["Sophie Germain", "Ada Lovelace", "Alan Turing"])
        assert_axe_clean(page)

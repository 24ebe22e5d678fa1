"""Filters never hide their own state: every applied filter is visible and clearable, and the
Instructor options always belong to the chosen term (issue 18). The count says what is shown."""
from __future__ import annotations

import re

from tests.web.test_courses_filters import ids, options
from tests.web.test_screens import text_of

HX = {"HX-Request": "true"}


def selected(html: str) -> list[str]:
    block = html.split('id="filter-instructor"', 1)[1].split("</select>", 1)[0]
    return [re.sub(r"\s+", " ", o).strip() for o in re.findall(r" selected>([^<]+)</option>", block)]


def test_an_instructor_with_no_section_in_the_term_stays_applied_and_visible(app, demo_data, login_as):
    ada_id, = ids(app, demo_data, "ada")
    html = login_as("emmy").get(f"/?instructor={ada_id}&term=202750").get_data(as_text=True)
    assert options(html, "filter-instructor") == [
        "All instructors", "Ada Lovelace (no sections in Summer 2027)", "Unassigned sections",
    ]
    assert selected(html) == ["Ada Lovelace (no sections in Summer 2027)"]
    assert "No sections match these filters." in html
    assert '<a href="/">Clear all filters</a>' in html


def test_the_options_belong_to_the_chosen_term(app, demo_data, login_as):
    alan_id, = ids(app, demo_data, "alan")
    client = login_as("katherine")
    fall = client.get(f"/?term=202630&instructor={alan_id}").get_data(as_text=True)
    assert options(fall, "filter-instructor") == ["All instructors", "Ada Lovelace", "Alan Turing (no sections in Fall 2026)"]
    spring = client.get("/?term=202710").get_data(as_text=True)
    assert options(spring, "filter-instructor") == ["All instructors", "Ada Lovelace", "Emmy Noether", "Alan Turing"]


def test_unassigned_appears_whenever_the_term_has_an_unassigned_section(login_as):
    client = login_as("emmy")
    summer = client.get("/?term=202750").get_data(as_text=True)
    assert options(summer, "filter-instructor") == ["All instructors", "Unassigned sections"]  # no one teaches there yet
    spring = client.get("/?term=202710&instructor=unassigned").get_data(as_text=True)
    assert selected(spring) == ["Unassigned sections (none in Spring 2027)"]  # applied, so still shown
    assert "Unassigned sections" not in options(client.get("/?term=202710").get_data(as_text=True), "filter-instructor")


def test_the_htmx_list_carries_the_select_for_the_new_term(app, demo_data, login_as):
    ada_id, = ids(app, demo_data, "ada")
    body = login_as("emmy").get(f"/?instructor={ada_id}&term=202750", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith('<section id="course-results"')
    oob = body.split('<select id="filter-instructor" hx-swap-oob="innerHTML">', 1)[1]
    assert "Ada Lovelace (no sections in Summer 2027)</option>" in oob and "Unassigned sections</option>" in oob
    assert body.count('id="filter-instructor"') == 1


def test_an_instructor_filter_nobody_could_pick_is_dropped(app, demo_data, login_as):
    alan_id, grace_id = ids(app, demo_data, "alan", "grace")
    ada = login_as("ada").get(f"/?instructor={alan_id}")  # no select for an instructor: nothing hidden applies
    assert "MATH 221 Calculus I" in text_of(ada) and 'id="filter-instructor"' not in ada.get_data(as_text=True)
    emmy = login_as("emmy").get(f"/?instructor={grace_id}").get_data(as_text=True)  # Grace teaches nothing
    assert selected(emmy) == [] and "MATH 340 Abstract Algebra" in emmy
    assert "Grace" not in options(emmy, "filter-instructor")


def test_no_clear_link_without_filters(login_as):
    assert "Clear all filters" not in login_as("katherine").get("/").get_data(as_text=True)


def test_the_count_counts_the_rows_shown(login_as):
    response = login_as("katherine").get("/")
    shown = response.get_data(as_text=True).count('<li class="offering">')
    assert shown == 6  # MATH 221 Spring 2027 shows its three sections in one row
    assert "Showing 6 course offerings (8 sections)" in text_of(response)

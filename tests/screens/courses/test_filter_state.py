"""Filters never hide their own state: every applied filter is visible and clearable, and the
Instructor filter always speaks of the chosen term (issue 18). The count says what is shown."""
from __future__ import annotations

import re

from tests.helpers import text_of
from tests.screens.courses.test_filters import ids, matches

HX = {"HX-Request": "true"}


def status(html: str) -> str:
    """The Instructor status line's text (who the list shows, and the links to change it)."""
    block = html.split('<p id="instructor-chosen"', 1)[1].split("</p>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block.split(">", 1)[1])).replace(" ·", "·").strip()


def applied(html: str) -> str:
    """The instructor filter the next Show submits."""
    return re.search(r'name="instructor" value="([^"]*)"', html).group(1)


def test_an_instructor_with_no_section_in_the_term_stays_applied_and_visible(app, demo_data, login_as):
    ada_id, = ids(app, demo_data, "ada")
    html = login_as("emmy").get(f"/?instructor={ada_id}&term=202750").get_data(as_text=True)
    assert status(html) == (
        "Listing instructor: Ada Lovelace (no sections in Summer 2027)· All instructors· Unassigned sections"
    )
    assert applied(html) == str(ada_id)
    assert "No sections match these filters." in html
    assert '<a href="/">Clear all filters</a>' in html
    assert 'href="/?term=202750"' in html.split('<p id="instructor-chosen"', 1)[1]  # All instructors keeps the term


def test_the_type_ahead_matches_belong_to_the_chosen_term(app, demo_data, login_as):
    alan_id, = ids(app, demo_data, "alan")
    client = login_as("katherine")
    fall = client.get(f"/?term=202630&instructor={alan_id}").get_data(as_text=True)
    assert status(fall) == "Listing instructor: Alan Turing (no sections in Fall 2026)· All instructors"
    assert matches(
        client.get("/instructors?term=202630&instructor_name=a", headers={"HX-Request": "true"}).get_data(as_text=True)
    ) == ["Ada Lovelace"]
    spring = client.get("/instructors?term=202710&instructor_name=a", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert matches(spring) == [
        "Sophie Germain",
        "Ada Lovelace",
        "Alan Turing",
    ]  # Alan teaches in Spring 2027, not Fall 2026


def test_unassigned_appears_whenever_the_term_has_an_unassigned_section(login_as):
    client = login_as("emmy")
    summer = client.get("/?term=202750").get_data(as_text=True)
    assert status(summer) == "Listing: all instructors· Unassigned sections"  # no one teaches there yet
    spring = client.get("/?term=202710&instructor=unassigned").get_data(as_text=True)
    assert status(spring) == "Listing: unassigned sections (none in Spring 2027)· All instructors"  # applied, so shown
    assert status(client.get("/?term=202710").get_data(as_text=True)) == "Listing: all instructors"


def test_the_htmx_list_carries_the_status_for_the_new_term(app, demo_data, login_as):
    (ada_id,) = ids(app, demo_data, "ada")
    body = login_as("emmy").get(f"/?instructor={ada_id}&term=202750", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith('<section id="course-results"')
    assert '<p id="instructor-chosen" class="meta" hx-swap-oob="true">' in body
    assert (
        status(body)
        == "Listing instructor: Ada Lovelace (no sections in Summer 2027)· All instructors· Unassigned sections"
    )
    assert body.count('id="instructor-chosen"') == 1 and 'id="filter-instructor-name"' not in body


def test_an_instructor_filter_nobody_could_pick_is_dropped(app, demo_data, login_as):
    alan_id, grace_id = ids(app, demo_data, "alan", "grace")
    ada = login_as("ada").get(
        f"/?instructor={alan_id}"
    )  # no Instructor filter for an instructor: nothing hidden applies
    assert "MATH 221 Calculus I" in text_of(ada) and 'id="filter-instructor"' not in ada.get_data(as_text=True)
    emmy = login_as("emmy").get(f"/?instructor={grace_id}").get_data(as_text=True)  # Grace teaches nothing
    assert applied(emmy) == "" and "MATH 340 Abstract Algebra" in emmy
    assert status(emmy).startswith("Listing: all instructors") and "Grace" not in status(emmy)


def test_no_clear_link_without_filters(login_as):
    assert "Clear all filters" not in login_as("katherine").get("/").get_data(as_text=True)


def test_the_count_counts_the_rows_shown(login_as):
    response = login_as("katherine").get("/")
    shown = response.get_data(as_text=True).count('<li class="offering">')
    assert shown == 7  # MATH 221 Spring 2027 shows its three sections in one row; MATH 110 is Sophie's (demo)
    assert "Showing 7 course offerings (9 sections)" in text_of(response)

"""The Courses screen's filters, select, pagination and htmx fragment, all driven by the query string."""
from __future__ import annotations

import re

import pytest

from orders.config import Config
from orders.domain.models import CourseLevel
from orders.extensions import db
from tests import factories as f
from tests.helpers import text_of
from tests.screens.requests.test_content_requests import seeded  # noqa: F401 (a fixture)


def ids(app, demo_data, *names):
    with app.app_context():
        return [demo_data.user(n).id for n in names]


def matches(html: str) -> list[str]:
    """The instructor names the type-ahead (or its no-JavaScript list) offers."""
    block = html.split('id="instructor-matches"', 1)[1] if 'id="instructor-matches"' in html else html
    block = block.split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", name).strip() for name in re.findall(r"<li><a href=\"[^\"]*\">([^<]+)</a></li>", block)]


def test_instructor_field_lists_only_reachable_instructors_by_family_name(login_as):
    grace = login_as("grace")
    page = grace.get("/?instructor_name=a").get_data(as_text=True)  # no JavaScript: Show lists the matches
    assert '<label for="filter-instructor-name">Instructor name</label>' in page
    assert matches(page) == ["Ada Lovelace", "Alan Turing"]  # Emmy Noether teaches MATH 340: not Grace's reach
    assert "2 instructors match “a”" in text_of(grace.get("/?instructor_name=a"))


def test_admin_matches_every_instructor_case_insensitively(login_as):
    client = login_as("katherine")
    # Sophie Germain (the demo's MATH 110 instructor) sorts first by family name
    assert matches(
        client.get("/instructors?instructor_name=A", headers={"HX-Request": "true"}).get_data(as_text=True)
    ) == ["Sophie Germain", "Ada Lovelace", "Alan Turing"]
    assert matches(
        client.get("/instructors?instructor_name=E", headers={"HX-Request": "true"}).get_data(as_text=True)
    ) == ["Sophie Germain", "Ada Lovelace", "Emmy Noether"]
    assert matches(
        client.get("/instructors?instructor_name=noe", headers={"HX-Request": "true"}).get_data(as_text=True)
    ) == ["Emmy Noether"]
    none = text_of(client.get("/instructors?instructor_name=%25_zz", headers={"HX-Request": "true"}))
    assert "No instructor matches “%_zz”." in none  # LIKE wildcards are taken literally


def test_match_links_keep_the_other_filters_and_put_the_instructor_in_the_url(app, demo_data, login_as):
    (alan_id,) = ids(app, demo_data, "alan")
    html = (
        login_as("grace")
        .get("/instructors?instructor_name=turing&q=310&term=202710&page=3", headers={"HX-Request": "true"})
        .get_data(as_text=True)
    )
    assert f'<a href="/?term=202710&amp;instructor={alan_id}&amp;q=310">Alan Turing</a>' in html
    page = login_as("grace").get(f"/?instructor={alan_id}&q=310")
    assert "Listing instructor: Alan Turing" in text_of(page)
    assert f'name="instructor" value="{alan_id}"' in page.get_data(as_text=True)  # kept by the next Show


def test_many_matches_are_capped_with_a_hint(app, login_as, now):
    from orders.web.screens.courses.queries import MATCH_LIMIT

    with app.app_context():
        term = db.session.execute(db.text("select id from term where code = '202710'")).scalar()
        from orders.domain.models import Term

        spring = db.session.get(Term, term)
        for i in range(MATCH_LIMIT + 3):
            f.section(
                spring, subject="CS", number="499", label=f"{500 + i}", instructors=(f.user(f"Many{i:02d} Smith"),)
            )
        db.session.commit()
    html = (
        login_as("katherine")
        .get("/instructors?instructor_name=smith", headers={"HX-Request": "true"})
        .get_data(as_text=True)
    )
    assert len(matches(html)) == MATCH_LIMIT
    assert f"More than {MATCH_LIMIT} instructors match “smith”; type more of the name" in text_of_html(html)


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_instructor_field_is_for_coordinators_and_admins_only(login_as):
    assert 'id="filter-instructor-name"' not in login_as("ada").get("/").get_data(as_text=True)
    assert (
        matches(
            login_as("ada").get("/instructors?instructor_name=a", headers={"HX-Request": "true"}).get_data(as_text=True)
        )
        == []
    )


def test_instructor_matches_need_sign_in(client):
    assert client.get("/instructors?instructor_name=a", headers={"HX-Request": "true"}).status_code in (302, 401)


def test_large_counts_are_capped(app, login_as, monkeypatch):
    """Past COUNT_CAP rows the count is a lower bound: "of N+" and Page N with a next link, no last page."""
    from orders.web.screens.courses import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    app.config["COURSES_PAGE_SIZE"] = 2
    try:
        client = login_as("katherine")
        first = text_of(client.get("/"))
        assert "(sections 1–2 of 3+)" in first and "Page 1 Next page" in first
        assert "of 5" not in first
        last = text_of(client.get("/?page=5"))
        assert re.search(r"\(sections 9–9 of 9\) .*Page 5 of 5", last)
        assert "Next page" not in last
    finally:
        app.config["COURSES_PAGE_SIZE"] = Config.COURSES_PAGE_SIZE


@pytest.mark.parametrize(
    "query,present,absent",
    [
        ("q=calc", ["MATH 221 Calculus I"], ["MATH 340", "CS 150", "CS 310"]),
        ("q=cs+310", ["CS 310 Theory of Computation"], ["CS 150", "MATH 221"]),
        ("q=ALGEBRA", ["MATH 340 Abstract Algebra"], ["MATH 221", "CS 150"]),
        ("state=ordered", ["MATH 221 Calculus I", "CS 310"], ["CS 150", "MATH 340"]),
        (
            "state=not_ordered",
            ["CS 150", "MATH 340"],
            ["CS 310", "Spring 2027 (Jan 19, 2027 – May 14, 2027) · Sections 001, 002"],
        ),
        (
            "term=202630",
            [
                "MATH 221 Calculus I Fall 2026",
                "Order #1003",
                "CS 150 Introduction to Programming Fall 2026",
                "Order #1004",
            ],
            ["Spring 2027", "CS 310"],
        ),
        (
            "term=202750",
            ["MATH 221 Calculus I Summer 2027", "Unassigned sections", "Ordering not yet open"],
            ["Spring 2027 ("],
        ),
        ("instructor=unassigned", ["Unassigned sections", "Summer 2027"], ["Ada Lovelace", "CS 310"]),
        ("term=bogus&state=bogus&page=-3&instructor=x", ["No sections match these filters."], ["Traceback"]),
    ],
)
def test_filters(login_as, query, present, absent):
    page = text_of(login_as("katherine").get("/?" + query))
    results = page.split("Show", 1)[1]
    for text in present:
        assert text in results, text
    for text in absent:
        assert text not in results, text


def test_canceled_state_filter(login_as):
    client = login_as("katherine")
    client.post("/orders/1002/cancel", data={"version": "1"})
    results = text_of(client.get("/?state=canceled")).split("Show", 1)[1]
    assert "CS 310 Theory of Computation" in results and "Order #1002 (canceled)" in results
    assert "MATH 221" not in results
    assert "CS 310" in text_of(client.get("/?state=not_ordered"))  # its section is orderable again


def test_htmx_gets_the_list_fragment_and_plain_gets_the_page(app, demo_data, login_as):
    (alan_id,) = ids(app, demo_data, "alan")
    client = login_as("grace")
    fragment = client.get(f"/?instructor={alan_id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="course-results"') and "<html" not in body
    results, oob = body.split('<p id="instructor-chosen" class="meta" hx-swap-oob="true">')
    assert "Alan Turing" in results and "Ada Lovelace" not in results
    assert "Listing instructor: Alan Turing" in text_of_html(oob)  # the status line travels with the list
    assert "HX-Request" in fragment.headers["Vary"]
    full = client.get(f"/?instructor={alan_id}").get_data(as_text=True)
    assert "<html" in full and f'name="instructor" value="{alan_id}"' in full
    restore = client.get(
        f"/?instructor={alan_id}", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)  # history restore wants the whole page


def test_shared_section_appears_under_each_instructor(app, login_as, demo_data):
    with app.app_context():
        from orders.domain.models import Section, TeachingAssignment

        section = db.session.query(Section).join(Section.course).filter_by(subject="CS", number="310").one()
        db.session.add(TeachingAssignment(user_id=demo_data.user("ada").id, section_id=section.id))
        db.session.commit()
    page = text_of(login_as("grace").get("/"))
    assert page.count("CS 310 Theory of Computation") == 2


def test_pagination_counts_and_clamps(app, login_as, demo_data):
    app.config["COURSES_PAGE_SIZE"] = 3
    try:
        client = login_as("katherine")
        first = client.get("/")
        assert "Showing 3 course offerings (sections 1–3 of 9)" in text_of(first)
        assert 'href="/?page=2"' in first.get_data(as_text=True)
        third = text_of(client.get("/?page=3"))
        assert "(sections 7–9 of 9)" in third and "Page 3 of 3" in third
        assert "(sections 7–9 of 9)" in text_of(client.get("/?page=99"))
    finally:
        app.config["COURSES_PAGE_SIZE"] = Config.COURSES_PAGE_SIZE


def test_order_pages_keep_the_coordinators_context(app, demo_data, login_as):
    (alan_id,) = ids(app, demo_data, "alan")
    client = login_as("grace")
    listing = client.get(f"/?instructor={alan_id}&q=310").get_data(as_text=True)
    link = re.search(r'href="(/orders/1002[^"]*)"', listing).group(1).replace("&amp;", "&")
    assert "back=" in link
    summary = client.get(link)
    html = summary.get_data(as_text=True)
    assert "Back to Alan Turing's courses" in text_of(summary)
    assert f'href="/?instructor={alan_id}&amp;q=310"' in html
    prompt = client.get(link.replace("/orders/1002", "/orders/1002/cancel"))
    assert "Back to Alan Turing's courses" in text_of(prompt)
    done = client.post(link.replace("/orders/1002", "/orders/1002/cancel"), data={"version": "1"})
    assert "back=" in done.headers["Location"]


def test_back_parameter_is_rebuilt_not_echoed(login_as):
    page = login_as("ada").get('/orders/1001?back=instructor%3D"><script>x</script>%26q%3Djavascript:')
    html = page.get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert 'href="/?q=javascript:"' in html  # only known filters survive, URL-encoded by url_for


def test_coordinator_reach_follows_grants(app, login_as, now):
    with app.app_context():
        f.institution()
        term = f.term(now)
        coordinator = f.user("Cora Grant")
        teacher = f.user("Tea Cher")
        f.section(term, subject="BIO", number="101", level=CourseLevel.GRADUATE, instructors=(teacher,))
        f.section(term, subject="BIO", number="102", instructors=(teacher,))
        f.section(term, subject="CHEM", number="101", instructors=(teacher,))
        f.grant(coordinator, subject="BIO", level=CourseLevel.GRADUATE)
        f.grant(coordinator, subject="CHEM")
        db.session.commit()
        email = coordinator.email
    client = app.test_client()
    client.post("/sign-in", data={"email": email, "password": "orders-demo"})
    results = text_of(client.get("/")).split("Show", 1)[1]
    assert "BIO 101" in results and "CHEM 101" in results and "BIO 102" not in results
    assert "You coordinate subject BIO, Graduate" in results and "You coordinate subject CHEM" in results


def test_a_started_draft_is_resumed_from_the_courses_screen(login_as, count_queries):
    client = login_as("ada")
    listing = client.get("/").get_data(as_text=True)
    start = re.search(r'href="(/ordering/start/[^"]+)"', listing).group(1).replace("&amp;", "&")
    created = client.post(start.split("?")[0])
    assert created.status_code == 303
    draft_url = created.headers["Location"]
    with count_queries() as counter:
        listing = client.get("/").get_data(as_text=True)
    assert "Resume draft" in listing and f'href="{draft_url}"' in listing
    assert counter.count <= 6


def test_htmx_answers_carry_the_canonical_url_for_history(login_as):
    response = login_as("katherine").get("/?instructor=&term=202710&q=bio%2030&state=", headers={"HX-Request": "true"})
    assert response.headers["HX-Push-Url"] == "/?term=202710&q=bio+30"


@pytest.mark.parametrize("typed", ["%", "_", "math_221", "%221"])
def test_course_search_takes_like_wildcards_literally(login_as, typed):
    """Typing % or _ in the Courses search finds courses containing those characters (none), not every course."""
    client = login_as("katherine")
    assert "MATH 221" in text_of(client.get("/", query_string={"q": "math 221"}))
    found = text_of(client.get("/", query_string={"q": typed}))
    assert "MATH 221" not in found and "CS 310" not in found


def test_a_term_without_sections_says_so_rather_than_blaming_filters(login_as):
    """Item 9: "No sections match these filters" with no filter set."""
    from tests.helpers import text_of

    ada = login_as("ada")
    page = text_of(ada.get("/?term=202750"))
    assert "You teach no sections in Summer 2027." in page and "match these filters" not in page
    assert "No sections match these filters." in text_of(ada.get("/?term=202750&q=zzz"))
    fragment = text_of(ada.get("/?term=202750", headers={"HX-Request": "true"}))
    assert "You teach no sections in Summer 2027." in fragment

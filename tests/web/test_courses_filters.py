"""The Courses screen's filters, select, pagination and htmx fragment, all driven by the query string."""
from __future__ import annotations

import re

import pytest

from orders.extensions import db
from orders.models import CourseLevel
from tests import factories as f
from tests.helpers import text_of


def ids(app, demo_data, *names):
    with app.app_context():
        return [demo_data.user(n).id for n in names]


def options(html: str, select_id: str) -> list[str]:
    block = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [re.sub(r"\s+", " ", o).strip() for o in re.findall(r">([^<]+)</option>", block)]


def test_instructor_select_lists_only_reachable_instructors_by_family_name(login_as):
    grace = login_as("grace").get("/").get_data(as_text=True)
    # Grace coordinates CS: the only unassigned section (MATH 221, Summer 2027) is not hers to see.
    assert options(grace, "filter-instructor") == ["All instructors", "Ada Lovelace", "Alan Turing"]


def test_admin_select_lists_every_instructor(login_as):
    html = login_as("katherine").get("/").get_data(as_text=True)
    assert options(html, "filter-instructor") == [
        "All instructors", "Ada Lovelace", "Emmy Noether", "Alan Turing", "Unassigned sections",
    ]


def test_instructor_without_grants_has_no_instructor_select(login_as):
    assert 'id="filter-instructor"' not in login_as("ada").get("/").get_data(as_text=True)


@pytest.mark.parametrize("query,present,absent", [
    ("q=calc", ["MATH 221 Calculus I"], ["MATH 340", "CS 150", "CS 310"]),
    ("q=cs+310", ["CS 310 Theory of Computation"], ["CS 150", "MATH 221"]),
    ("q=ALGEBRA", ["MATH 340 Abstract Algebra"], ["MATH 221", "CS 150"]),
    ("state=ordered", ["MATH 221 Calculus I", "CS 310"], ["CS 150", "MATH 340"]),
    ("state=not_ordered", ["CS 150", "MATH 340"], ["CS 310", "Spring 2027 (Jan 19, 2027 – May 14, 2027) · Sections 001, 002"]),
    ("term=202630", ["MATH 221 Calculus I Fall 2026", "Order #1003", "CS 150 Introduction to Programming Fall 2026", "Order #1004"], ["Spring 2027", "CS 310"]),
    ("term=202750", ["MATH 221 Calculus I Summer 2027", "Unassigned sections", "Ordering not yet open"], ["Spring 2027 ("]),
    ("instructor=unassigned", ["Unassigned sections", "Summer 2027"], ["Ada Lovelace", "CS 310"]),
    ("term=bogus&state=bogus&page=-3&instructor=x", ["No sections match these filters."], ["Traceback"]),
])
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
    alan_id, = ids(app, demo_data, "alan")
    client = login_as("grace")
    fragment = client.get(f"/?instructor={alan_id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="course-results"') and "<html" not in body
    results, oob = body.split('<select id="filter-instructor" hx-swap-oob="innerHTML">')
    assert "Alan Turing" in results and "Ada Lovelace" not in results
    assert f'<option value="{alan_id}" selected>Alan Turing' in oob  # the select travels with the list
    assert "HX-Request" in fragment.headers["Vary"]
    full = client.get(f"/?instructor={alan_id}").get_data(as_text=True)
    assert "<html" in full and f'<option value="{alan_id}" selected>' in full
    restore = client.get(f"/?instructor={alan_id}", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)  # history restore wants the whole page


def test_shared_section_appears_under_each_instructor(app, login_as, demo_data):
    with app.app_context():
        from orders.models import Section, TeachingAssignment

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
        assert "Showing 2 course offerings (sections 1–3 of 8)" in text_of(first)
        assert 'href="/?page=2"' in first.get_data(as_text=True)
        third = text_of(client.get("/?page=3"))
        assert "(sections 7–8 of 8)" in third and "Page 3 of 3" in third
        assert "(sections 7–8 of 8)" in text_of(client.get("/?page=99"))
    finally:
        app.config["COURSES_PAGE_SIZE"] = 50


def test_order_pages_keep_the_coordinators_context(app, demo_data, login_as):
    alan_id, = ids(app, demo_data, "alan")
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
    assert "Coordinator: subject BIO, Graduate" in results and "Coordinator: subject CHEM" in results


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

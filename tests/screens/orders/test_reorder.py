"""Reorder through the test client: where the button shows, the candidate page, the POST, and every refusal."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orders import clock
from orders.domain.models import Order, OrderStatus, Term, User
from orders.extensions import db
from tests.screens.orders.test_history import numbers, offering_ids, start_draft


def numbers_in(html: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="Order">\s*<a href="/orders/(\d+)"', html)


def reorder_links(html: str) -> list[str]:
    return re.findall(r'href="(/orders/reorder/\d+/\d+[^"]*)"', html)


def drafts(app) -> list[Order]:
    with app.app_context():
        found = list(db.session.scalars(select(Order).where(Order.status == OrderStatus.DRAFT)))
        db.session.expunge_all()
        return found


def order_id(app, number: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Order.id).where(Order.number == number))


@pytest.fixture
def cs150(app, demo_data) -> str:
    """URL of the Reorder page for CS 150 in Spring 2027 (no order yet; #1004 in Fall 2026)."""
    course_id, term_id = offering_ids(app, "CS", "150", "202710")
    return f"/orders/reorder/{course_id}/{term_id}"


# --- Where "Reorder" shows -------------------------------------------------------------------------


@pytest.mark.parametrize("user,expected", [
    ("ada", 1),  # CS 150 (her section 001); MATH 221 is ordered, MATH 340 has no earlier order
    ("alan", 1),  # CS 150 section 002, same campus as #1004
    ("grace", 2),  # CS 150 for Ada and for Alan
    ("emmy", 0),  # MATH 340 has no earlier order; MATH 221 Spring is ordered
    ("katherine", 3),  # CS 150 for Ada and Alan, and MATH 221 in Summer 2027 (no period binds her)
])
def test_courses_screen_offers_reorder_beside_start_order(login_as, user, expected, cs150):
    html = login_as(user).get("/").get_data(as_text=True)
    links = reorder_links(html)
    assert len(links) == expected, links
    for link in links:
        row = html.split(link, 1)[0].rsplit('<li class="offering">', 1)[1]
        assert "Start order" in row


def test_courses_reorder_link_names_the_instructor_for_coordinators(app, login_as, demo_data, cs150):
    with app.app_context():
        ada, alan = demo_data.user("ada").id, demo_data.user("alan").id
    links = reorder_links(login_as("grace").get("/").get_data(as_text=True))
    assert sorted(links) == sorted([f"{cs150}?instructor={ada}", f"{cs150}?instructor={alan}"])


def test_no_reorder_while_the_user_has_a_draft(app, client, login_as, cs150):
    login_as("ada")
    start_draft(app, client, "CS", "150", "202710")
    html = client.get("/").get_data(as_text=True)
    assert reorder_links(html) == [] and "Resume draft" in html


def test_history_rows_offer_reorder_for_the_open_term(login_as, cs150):
    html = login_as("ada").get("/orders").get_data(as_text=True)
    assert reorder_links(html) == [cs150]
    row = html.split(cs150, 1)[0].rsplit("<tr>", 1)[1]
    assert 'href="/orders/1004"' in row
    assert "for Spring 2027</a>" in html.split(cs150, 1)[1].split("</td>", 1)[0]


def test_history_offers_no_reorder_once_there_is_a_draft_or_an_order(app, client, login_as, cs150):
    client = login_as("ada")
    materials = client.post(cs150, data={"source": "1004"}).headers["Location"]
    assert reorder_links(client.get("/orders").get_data(as_text=True)) == []
    review = materials.replace("/materials", "/review")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(review).get_data(as_text=True)).group(
        1
    )
    assert (
        client.post(materials.replace("/materials", "/place"), data={"version": version, "royalty": "no"}).status_code
        == 303
    )
    html = client.get("/orders").get_data(as_text=True)
    assert numbers_in(html)[:2] == ["1006", "1001"] and reorder_links(html) == []  # #1005 is Sophie's (demo)


# --- The page and the POST -------------------------------------------------------------------------


def test_reorder_page_lists_the_earlier_orders(login_as, cs150):
    response = login_as("ada").get(cs150)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Reorder: CS 150 Introduction to Programming</h1>" in html
    assert '<a href="/orders/1004">Order #1004</a>' in html and "Fall 2026" in html
    assert "Python Crash Course" in html and "$29.99" in html
    assert '<input type="hidden" name="source" value="1004">' in html
    assert "section 001 chosen" in html


def test_an_order_the_user_may_not_view_is_listed_without_a_link(login_as, cs150):
    html = login_as("alan").get(cs150).get_data(as_text=True)
    assert "Order #1004" in html and 'href="/orders/1004"' not in html
    assert "section 002 chosen" in html


def test_post_creates_the_draft_and_goes_to_its_materials(app, client, login_as, cs150):
    client = login_as("ada")
    response = client.post(cs150, data={"source": "1004"})
    assert response.status_code == 303
    (draft,) = drafts(app)
    assert response.headers["Location"] == f"/ordering/drafts/{draft.id}/materials"
    assert draft.reordered_from_id == order_id(app, 1004)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Copied 1 item from order #1004 (Fall 2026) into a new draft for CS 150, Spring 2027." in page
    assert "Python Crash Course" in page
    assert "Draft" in numbers(client.get("/orders"))


def test_price_change_is_shown_on_the_next_page(app, client, login_as, cs150):
    from orders.domain.models import CatalogItem

    with app.app_context():
        item = db.session.scalars(select(CatalogItem).where(CatalogItem.title == "Python Crash Course")).one()
        item.student_price = item.student_price + 3
        db.session.commit()
    client = login_as("ada")
    page = client.get(client.post(cs150, data={"source": "1004"}).headers["Location"]).get_data(as_text=True)
    assert "Prices changed since order #1004: Python Crash Course: was $29.99, now $32.99." in page


def test_coordinator_reorders_for_one_instructor(app, client, login_as, demo_data, cs150):
    with app.app_context():
        alan = demo_data.user("alan").id
    client = login_as("grace")
    page = client.get(f"{cs150}?instructor={alan}").get_data(as_text=True)
    assert "section 002 chosen" in page and f'name="instructor" value="{alan}"' in page
    assert client.post(cs150, data={"source": "1004", "instructor": str(alan)}).status_code == 303
    with app.app_context():
        (draft,) = db.session.scalars(select(Order).where(Order.status == OrderStatus.DRAFT)).all()
        assert [s.label for s in draft.sections] == ["002"]


# --- Refusals --------------------------------------------------------------------------------------


def test_user_without_sections_is_refused(login_as, cs150):
    client = login_as("emmy")
    for response in (client.get(cs150), client.post(cs150, data={"source": "1004"})):
        assert response.status_code == 403
        assert "You do not teach or coordinate any section of CS 150 in Spring 2027." in response.get_data(as_text=True)


def test_course_with_an_order_is_refused(app, login_as):
    course_id, term_id = offering_ids(app, "MATH", "221", "202710")
    client = login_as("ada")
    for response in (
        client.get(f"/orders/reorder/{course_id}/{term_id}"),
        client.post(f"/orders/reorder/{course_id}/{term_id}", data={"source": "1003"}),
    ):
        assert response.status_code == 409
        assert "MATH 221 in Spring 2027 already has order #1001" in response.get_data(as_text=True)
    assert drafts(app) == []


def test_closed_period_refuses_instructors_but_not_program_administrators(
    app, client, login_as, cs150, monkeypatch, now
):
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=31))  # Spring 2027 closed a day ago
    login_as("ada")
    for response in (client.get(cs150), client.post(cs150, data={"source": "1004"})):
        assert response.status_code == 403
        assert "The ordering period for Spring 2027 closed on" in response.get_data(as_text=True)
    assert drafts(app) == []
    client.post("/sign-out")
    login_as("katherine")
    assert client.get(cs150).status_code == 200
    assert client.post(cs150, data={"source": "1004"}).status_code == 303
    (draft,) = drafts(app)
    with app.app_context():
        assert [s.label for s in db.session.get(Order, draft.id).sections] == ["001", "002"]


@pytest.mark.parametrize("form", [{"source": "1001"}, {"source": "abc"}, {"source": "99999999999"}, {}])
def test_an_order_that_is_no_candidate_is_refused(app, login_as, cs150, form):
    client = login_as("ada")
    response = client.post(cs150, data=form)
    assert response.status_code == 303 and response.headers["Location"] == cs150
    assert drafts(app) == []
    page = client.get(cs150).get_data(as_text=True)
    assert 'class="banner banner-error"' in page


def test_an_existing_draft_is_refused_with_a_link_to_it(app, client, login_as, cs150):
    login_as("ada")
    start_draft(app, client, "CS", "150", "202710")
    (draft,) = drafts(app)
    response = client.post(cs150, data={"source": "1004"})
    assert response.status_code == 303 and response.headers["Location"] == cs150
    page = client.get(cs150).get_data(as_text=True)
    assert "You already have a draft order for CS 150 in Spring 2027." in page
    assert f'href="/ordering/drafts/{draft.id}/sections">Continue your draft for CS 150</a>' in page
    assert "Copy order #1004" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == OrderStatus.DRAFT)) == 1


@pytest.mark.parametrize(
    "url", ["/orders/reorder/999/1", "/orders/reorder/1/999", "/orders/reorder/99999999999999999999/1"]
)
def test_unknown_offering_is_not_found(login_as, url):
    for response in (login_as("ada").get(url), login_as("ada").post(url, data={"source": "1004"})):
        assert response.status_code == 404


def test_no_earlier_order_says_so(app, login_as):
    course_id, term_id = offering_ids(app, "MATH", "340", "202710")
    html = login_as("emmy").get(f"/orders/reorder/{course_id}/{term_id}").get_data(as_text=True)
    assert "There is no earlier order of MATH 340" in html
    assert f'href="/ordering/start/{course_id}/{term_id}">Start an order for MATH 340</a>' in html


def test_post_needs_its_csrf_token(app, client, login_as, cs150, monkeypatch):
    login_as("ada")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(cs150, data={"source": "1004"})
    assert response.status_code == 400 and "Your form expired" in response.get_data(as_text=True)
    assert drafts(app) == []
    page = client.get(cs150).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(cs150, data={"source": "1004", "csrf_token": token}).status_code == 303
    assert len(drafts(app)) == 1


def test_get_changes_nothing(app, login_as, cs150):
    login_as("ada").get(cs150)
    assert drafts(app) == []


def test_reorder_needs_an_earlier_term_not_a_later_one(app, login_as):
    """CS 310 in Fall 2026 has no order; its only order (#1002) is in the later Spring 2027."""
    from tests import factories as f

    with app.app_context():
        fall = db.session.scalars(select(Term).where(Term.code == "202630")).one()
        alan = db.session.scalars(select(User).where(User.email == "alan@demo.edu")).one()
        f.section(fall, subject="CS", number="310", label="001", campus_code="MAIN", instructors=(alan,))
        db.session.commit()
    client = login_as("katherine")
    html = client.get("/?term=202630").get_data(as_text=True)
    assert "CS 310 Theory of Computation" in html and 'Start order<span class="visually-hidden"> for CS 310' in html
    assert reorder_links(html) == []

"""The ordering workflow through the test client: plain forms and htmx, refusals, CSRF, query counts."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orders.domain.models import (
    CatalogItem,
    Course,
    EventKind,
    Order,
    OrderEvent,
    OrderNumberCounter,
    OrderStatus,
    OutboundEmail,
    Section,
    Term,
)
from orders.extensions import db
from orders.web.guards import GUARD_ATTRIBUTE
from orders.worker.delivery import render as render_email
from tests.helpers import sign_in, text_of

HX = {"HX-Request": "true"}


# --- Helpers ---------------------------------------------------------------------------------------


def ids(app, subject: str, number: str, term_name: str = "Spring 2027") -> tuple[int, int]:
    with app.app_context():
        course = db.session.scalars(select(Course).where(Course.subject == subject, Course.number == number)).one()
        term = db.session.scalars(select(Term).where(Term.name == term_name)).one()
        return course.id, term.id


def section_id(app, subject: str, number: str, label: str) -> int:
    course_id, term_id = ids(app, subject, number)
    with app.app_context():
        return db.session.scalars(
            select(Section.id).where(Section.course_id == course_id, Section.term_id == term_id, Section.label == label)
        ).one()


def item_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalars(select(CatalogItem.id).where(CatalogItem.title == title)).one()


def user_id(app, demo_data, first_name: str) -> int:
    with app.app_context():
        return demo_data.user(first_name).id


def state(app) -> dict:
    """Everything the workflow could change, to prove a refused request changed nothing."""
    with app.app_context():
        orders = db.session.execute(
            select(Order.id, Order.status, Order.number, Order.version).order_by(Order.id)
        ).all()
        drafts = {
            o.id: (
                tuple(sorted(s.section_id for s in o.order_sections)),
                tuple(line.catalog_item_id for line in o.lines),
            )
            for o in db.session.scalars(select(Order))
        }
        return dict(
            orders=orders,
            drafts=drafts,
            events=db.session.scalar(select(func.count()).select_from(OrderEvent)),
            emails=db.session.scalar(select(func.count()).select_from(OutboundEmail)),
            counter=db.session.scalar(select(OrderNumberCounter.last_number)),
        )


def draft_row(app, draft_id: int) -> Order:
    with app.app_context():
        order = db.session.get(Order, draft_id)
        _ = (order.sections, order.lines)  # load before the context closes
        db.session.expunge(order)
        return order


def start(client, app, subject="CS", number="150", instructor: int | None = None) -> int:
    """Start (or resume) a draft through the POST form; returns its id."""
    course_id, term_id = ids(app, subject, number)
    data = {"instructor": str(instructor)} if instructor else {}
    response = client.post(f"/ordering/start/{course_id}/{term_id}", data=data)
    assert response.status_code == 303, text_of(response)
    match = re.fullmatch(r"/ordering/drafts/(\d+)/sections", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def add(client, draft_id: int, item: int, q: str = "", headers=None):
    return client.post(f"/ordering/drafts/{draft_id}/items", data={"item_id": str(item), "q": q}, headers=headers or {})


def review_version(client, draft_id: int) -> str:
    html = client.get(f"/ordering/drafts/{draft_id}/review").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def place(client, draft_id: int, headers=None):
    return client.post(
        f"/ordering/drafts/{draft_id}/place",
        data={"version": review_version(client, draft_id), "royalty": "no"},
        headers=headers or {},
    )


def ready_draft(client, app, title="Python Crash Course", **kwargs) -> int:
    draft_id = start(client, app, **kwargs)
    assert add(client, draft_id, item_id(app, title)).status_code == 303
    return draft_id


# --- The whole workflow ----------------------------------------------------------------------------


def test_instructor_orders_without_javascript(login_as, app):
    client = login_as("ada")
    courses = client.get("/").get_data(as_text=True)
    course_id, term_id = ids(app, "CS", "150")
    start_url = f"/ordering/start/{course_id}/{term_id}"
    assert f'href="{start_url}' in courses

    before = state(app)
    page = client.get(start_url)  # a GET shows the form and changes nothing
    assert page.status_code == 200 and state(app) == before
    html = page.get_data(as_text=True)
    assert f'<form method="post" action="{start_url}">' in html and "Start order" in text_of(page)
    assert "CS 150 001 First Eight Weeks Ada Lovelace Can be ordered" in text_of(page)
    assert "CS 150 002" not in text_of(page)  # Alan's section is not Ada's to order

    draft_id = start(client, app)
    sections = client.get(f"/ordering/drafts/{draft_id}/sections")
    text = text_of(sections)
    assert "Step 1 of 3: Sections" in text and "Section 001 · First Eight Weeks · Ada Lovelace" in text
    assert re.search(r'name="section" value="\d+" checked', sections.get_data(as_text=True))
    saved = client.post(
        f"/ordering/drafts/{draft_id}/sections", data={"section": [str(section_id(app, "CS", "150", "001"))]}
    )
    assert saved.status_code == 303 and saved.headers["Location"] == f"/ordering/drafts/{draft_id}/materials"

    search = client.get(f"/ordering/drafts/{draft_id}/materials?q=978-1-7185")
    text = text_of(search)
    assert "1 item matches “978-1-7185”." in text
    for fact in [
        "Python Crash Course",
        "Eric Matthes",
        "9781718502703",
        "No Starch Press",
        "3rd edition",
        "eText",
        "$29.99",
        "Add",
    ]:
        assert fact in text, fact
    assert 'method="get"' in search.get_data(as_text=True)

    added = add(client, draft_id, item_id(app, "Python Crash Course"), q="978-1-7185")
    assert added.status_code == 303
    assert added.headers["Location"] == f"/ordering/drafts/{draft_id}/materials?q=978-1-7185"
    after_add = text_of(client.get(added.headers["Location"]))
    assert "Added Python Crash Course." in after_add and "On this order (1 item)" in after_add

    review = text_of(client.get(f"/ordering/drafts/{draft_id}/review"))
    for fact in [
        "Step 3 of 3: Review",
        "CS 150 001",
        "First Eight Weeks",
        "Python Crash Course",
        "Total per student $29.99",
        "Place order",
    ]:
        assert fact in review, fact

    placed = place(client, draft_id)
    assert placed.status_code == 303
    number = int(placed.headers["Location"].rsplit("/", 1)[1])
    summary = client.get(placed.headers["Location"])
    assert f'role="status" tabindex="-1" autofocus>Order #{number} placed.</div>' in summary.get_data(as_text=True)
    assert "Placed by Ada Lovelace" in text_of(summary)
    assert f"Order #{number} placed." not in text_of(client.get(placed.headers["Location"]))  # flashed once
    with app.app_context():
        emails = list(db.session.scalars(select(OutboundEmail)))
        assert [e.recipient for e in emails] == ["ada@demo.edu"]
        assert emails[0].subject == f"Order #{number} placed — CS 150 Introduction to Programming, Spring 2027"
        for fact in [
            "Course: CS 150",
            "Term: Spring 2027",
            "Section(s): 001",
            "Session: First Eight Weeks",
            "Python Crash Course",
        ]:
            assert fact in render_email(emails[0]).text
    courses = text_of(client.get("/"))
    assert f"Order #{number}" in courses


def test_htmx_search_add_remove_and_place(login_as, app):
    client = login_as("ada")
    draft_id = start(client, app)
    url = f"/ordering/drafts/{draft_id}/materials"
    page = client.get(url).get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms from:#catalog-q, submit"' in page
    assert (
        '<p id="catalog-count" class="count" role="status">' in page and '<p id="draft-status" role="status">' in page
    )

    live = client.get(url + "?q=pyth", headers=HX)
    html = live.get_data(as_text=True)
    assert live.status_code == 200 and "<html" not in html and html.startswith('<div id="materials-work">')
    assert '<p id="catalog-count" class="count" role="status" hx-swap-oob="innerHTML">3 items match “pyth”.</p>' in html
    assert "HX-Request" in live.headers["Vary"]
    assert "Type at least 3 characters" in client.get(url + "?q=py", headers=HX).get_data(as_text=True)

    book = item_id(app, "Think Python")
    added = add(client, draft_id, book, q="pyth", headers=HX)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "<html" not in html
    assert 'hx-swap-oob="innerHTML"><span class="banner banner-status">Added Think Python.</span>' in html
    assert "On this order (1 item)" in html and f'id="toggle-item-{book}">Remove' in html  # focus stays on the same id
    again = add(client, draft_id, book, q="pyth", headers=HX)
    assert "Think Python is already on this order." in again.get_data(as_text=True)
    assert len(draft_row(app, draft_id).lines) == 1

    removed = client.post(f"/ordering/drafts/{draft_id}/items/{book}/remove", data={"q": "pyth"}, headers=HX)
    assert "Removed Think Python." in removed.get_data(as_text=True) and draft_row(app, draft_id).lines == []
    bad = add(client, draft_id, 999999, headers=HX)
    assert bad.status_code == 422 and "not in the catalog" in bad.get_data(as_text=True)

    add(client, draft_id, book, headers=HX)
    placed = place(client, draft_id, headers=HX)
    assert placed.status_code == 204 and re.fullmatch(r"/orders/\d+", placed.headers["HX-Redirect"])
    assert "placed." in text_of(client.get(placed.headers["HX-Redirect"]))


def test_coordinator_orders_on_behalf_of_an_instructor(login_as, app, demo_data):
    client = login_as("grace")
    alan = user_id(app, demo_data, "alan")
    course_id, term_id = ids(app, "CS", "150")
    courses = client.get(f"/?instructor={alan}").get_data(as_text=True)
    assert f"/ordering/start/{course_id}/{term_id}?instructor={alan}" in courses
    start_page = client.get(f"/ordering/start/{course_id}/{term_id}?instructor={alan}").get_data(as_text=True)
    assert f'name="instructor" value="{alan}"' in start_page
    draft_id = start(client, app, instructor=alan)
    assert [s.label for s in draft_row(app, draft_id).sections] == ["002"]
    assert "Ordering on behalf of Alan Turing" in text_of(client.get(f"/ordering/drafts/{draft_id}/sections"))
    add(client, draft_id, item_id(app, "Think Python"))
    assert "an email receipt goes to you and to Alan Turing" in text_of(
        client.get(f"/ordering/drafts/{draft_id}/review")
    )
    placed = place(client, draft_id)
    summary = text_of(client.get(placed.headers["Location"]))
    assert "Placed by Grace Hopper" in summary and "On behalf of Alan Turing" in summary
    with app.app_context():
        assert sorted(e.recipient for e in db.session.scalars(select(OutboundEmail))) == [
            "alan@demo.edu",
            "grace@demo.edu",
        ]


def test_start_order_resumes_the_same_draft(login_as, app):
    client = login_as("ada")
    draft_id = start(client, app)
    assert start(client, app) == draft_id
    course_id, term_id = ids(app, "CS", "150")
    courses = client.get("/").get_data(as_text=True)
    assert f'href="/ordering/drafts/{draft_id}/sections">Resume draft' in courses
    assert f'href="/ordering/start/{course_id}/{term_id}' not in courses
    resumed = client.get(f"/ordering/start/{course_id}/{term_id}")
    assert resumed.status_code == 303 and resumed.headers["Location"] == f"/ordering/drafts/{draft_id}/sections"
    assert "You already have a draft order for CS 150 in Spring 2027" in text_of(
        client.get(resumed.headers["Location"])
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.status == OrderStatus.DRAFT)) == 1


# --- Cancel (discard) the draft --------------------------------------------------------------------


@pytest.mark.parametrize("step", ["sections", "materials", "review"])
def test_cancel_a_draft_from_any_step(login_as, app, step):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    step_page = client.get(f"/ordering/drafts/{draft_id}/{step}").get_data(as_text=True)
    prompt_url = f"/ordering/drafts/{draft_id}/cancel?step={step}"
    assert f'hx-get="{prompt_url}" hx-target="#cancel-prompt"' in step_page and ">Cancel order</a>" in step_page
    before = state(app)

    inline = client.get(prompt_url, headers=HX)
    html = inline.get_data(as_text=True)
    assert "<html" not in html and 'role="alertdialog"' in html and "window.confirm" not in html
    assert (
        "Discard draft</button>" in html
        and f'href="/ordering/drafts/{draft_id}/{step}" data-keep-order>Keep draft' in html
    )
    own_page = client.get(prompt_url)
    assert "<html" in own_page.get_data(as_text=True) and "Discard this draft?" in text_of(own_page)
    assert state(app) == before  # asking changes nothing

    done = client.post(f"/ordering/drafts/{draft_id}/cancel")
    assert done.status_code == 303 and done.headers["Location"] == "/"
    banner = client.get("/").get_data(as_text=True)
    assert (
        'role="status" tabindex="-1" autofocus>Your draft order for CS 150 Introduction to Programming, '
        "Spring 2027 was canceled. Nothing was ordered.</div>"
    ) in banner
    after = state(app)
    assert draft_row(app, draft_id).status is OrderStatus.DISCARDED and draft_row(app, draft_id).number is None
    assert (after["emails"], after["counter"], after["events"]) == (0, before["counter"], before["events"] + 1)
    with app.app_context():
        last = db.session.scalars(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
        assert (last.order_id, last.kind) == (draft_id, EventKind.DRAFT_DISCARDED)

    repeat = client.post(f"/ordering/drafts/{draft_id}/cancel")
    assert repeat.status_code == 303 and state(app) == after
    assert "was canceled, so it can no longer be changed" in text_of(client.get("/"))
    assert client.get(f"/ordering/drafts/{draft_id}/review").status_code == 303
    assert "Start order" in text_of(client.get("/"))


def test_htmx_discard_redirects_the_browser(login_as, app):
    client = login_as("ada")
    draft_id = start(client, app)
    response = client.post(f"/ordering/drafts/{draft_id}/cancel", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"


# --- Refusals --------------------------------------------------------------------------------------


def draft_routes(draft_id: int, item: int) -> list[tuple[str, str, dict]]:
    base = f"/ordering/drafts/{draft_id}"
    return [
        ("GET", f"{base}/sections", {}),
        ("POST", f"{base}/sections", {"section": "1"}),
        ("GET", f"{base}/materials?q=python", {}),
        ("POST", f"{base}/items", {"item_id": str(item)}),
        ("POST", f"{base}/items/{item}/remove", {}),
        ("GET", f"{base}/review", {}),
        ("POST", f"{base}/place", {"version": "1", "royalty": "no"}),
        ("GET", f"{base}/cancel", {}),
        ("POST", f"{base}/cancel", {}),
    ]


def test_another_users_draft_is_refused_on_every_route(client, demo_data, app):
    sign_in(client, "ada")
    draft_id = ready_draft(client, app)
    book = item_id(app, "Python Crash Course")
    client.post("/sign-out")
    sign_in(client, "katherine")  # even a Program Administrator: drafts belong to whoever started them
    before = state(app)
    for method, url, data in draft_routes(draft_id, book):
        for headers in ({}, HX):
            response = client.open(url, method=method, data=data, headers=headers)
            assert response.status_code == 403, (method, url)
            assert "belongs to another user" in text_of(response)
    assert state(app) == before
    for method, url, data in draft_routes(999999, book):
        assert client.open(url, method=method, data=data).status_code == 404
    client.post("/sign-out")
    for method, url, data in draft_routes(draft_id, book):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert state(app) == before


def test_sections_not_permitted_or_already_ordered_are_refused(login_as, app):
    client = login_as("ada")
    draft_id = start(client, app)
    before = state(app)
    for bad in [section_id(app, "CS", "150", "002"), section_id(app, "CS", "310", "001"), "abc", ""]:
        response = client.post(
            f"/ordering/drafts/{draft_id}/sections", data={"section": [str(bad)]} if bad != "" else {}
        )
        assert response.status_code == 303 and response.headers["Location"] == f"/ordering/drafts/{draft_id}/sections"
        message = text_of(client.get(response.headers["Location"]))
        assert "you may order for" in message or "Choose at least one section" in message
    assert state(app) == before

    math_course, spring = ids(app, "MATH", "221")  # 001 and 002 are on order #1001; 003 is not
    page = client.get(f"/ordering/start/{math_course}/{spring}")
    assert "Already on order #1001" in text_of(page)
    assert '<button type="submit" class="button primary">Start order</button>' in page.get_data(as_text=True)

    other_course, _ = ids(app, "CS", "310")  # its only section is on order #1002
    alan = login_as("alan")
    page = alan.get(f"/ordering/start/{other_course}/{spring}")
    assert "Already on order #1002" in text_of(page) and "already on an order" in text_of(page)
    assert '<button type="submit" class="button primary">Start order</button>' not in page.get_data(as_text=True)
    refused = alan.post(f"/ordering/start/{other_course}/{spring}")
    assert refused.status_code == 303 and state(app) == before
    assert "already on an order" in text_of(alan.get(refused.headers["Location"]))
    client = login_as("ada")

    assert client.get(f"/ordering/start/{other_course}/{spring}").status_code == 403
    assert client.post(f"/ordering/start/{other_course}/{spring}").status_code == 403
    assert client.get(f"/ordering/start/999999/{spring}").status_code == 404
    assert state(app) == before


def test_section_ordered_meanwhile_keeps_the_draft_with_a_clear_message(client, demo_data, app):
    sign_in(client, "ada")
    ada_draft = ready_draft(client, app)
    version = review_version(client, ada_draft)
    client.post("/sign-out")
    sign_in(client, "grace")
    grace_draft = ready_draft(client, app, instructor=user_id(app, demo_data, "ada"))
    winner = place(client, grace_draft)
    number = int(winner.headers["Location"].rsplit("/", 1)[1])
    client.post("/sign-out")
    sign_in(client, "ada")
    before = state(app)
    lost = client.post(f"/ordering/drafts/{ada_draft}/place", data={"version": version, "royalty": "no"})
    assert lost.headers["Location"] == f"/ordering/drafts/{ada_draft}/review" and state(app) == before
    review = text_of(client.get(lost.headers["Location"]))
    assert f"Section 001 is already on order #{number}. Remove it from this order." in review
    assert "Place order" not in review.split("Change materials", 1)[1]
    assert draft_row(app, ada_draft).status is OrderStatus.DRAFT


@pytest.mark.parametrize("who,allowed", [("ada", False), ("katherine", True)])
def test_closed_period_refuses_an_instructor_but_not_an_administrator(client, demo_data, app, who, allowed):
    sign_in(client, who)
    draft_id = start(client, app)
    if who == "katherine":
        client.post(
            f"/ordering/drafts/{draft_id}/sections", data={"section": [str(section_id(app, "CS", "150", "001"))]}
        )
    add(client, draft_id, item_id(app, "Think Python"))
    version = review_version(client, draft_id)
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.name == "Spring 2027")).one()
        term.period.closes_at = demo_data.now - timedelta(minutes=1)
        db.session.commit()
    before = state(app)
    response = client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    assert response.status_code == 303
    if allowed:
        assert re.fullmatch(r"/orders/\d+", response.headers["Location"])
        assert draft_row(app, draft_id).status is OrderStatus.PLACED
    else:
        assert state(app) == before
        review = text_of(client.get(response.headers["Location"]))
        assert "The ordering period for Spring 2027 closed on" in review


def test_no_items_means_no_place_button_and_a_refusal(login_as, app):
    client = login_as("ada")
    draft_id = start(client, app)
    review = client.get(f"/ordering/drafts/{draft_id}/review")
    assert "Add at least one course material." in text_of(review)
    assert "Place order</button>" not in review.get_data(as_text=True)
    before = state(app)
    refused = client.post(
        f"/ordering/drafts/{draft_id}/place", data={"version": str(draft_row(app, draft_id).version), "royalty": "no"}
    )
    assert refused.headers["Location"] == f"/ordering/drafts/{draft_id}/review" and state(app) == before
    assert "Add at least one course material." in text_of(client.get(refused.headers["Location"]))


def test_double_submit_and_stale_review_place_once(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    version = review_version(client, draft_id)
    add(client, draft_id, item_id(app, "Think Python"))  # another tab changed the draft after review
    before = state(app)
    stale = client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    assert stale.headers["Location"].endswith("/review") and state(app) == before
    assert "changed since you reviewed it" in text_of(client.get(stale.headers["Location"]))
    version = review_version(client, draft_id)
    first = client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    second = client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    assert first.headers["Location"] == second.headers["Location"]
    page = text_of(client.get(second.headers["Location"]))
    assert "This draft was already placed as order #" in page
    after = state(app)
    assert after["emails"] == 1 and after["counter"] == before["counter"] + 1


def test_csrf_is_enforced_on_workflow_posts(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    course_id, term_id = ids(app, "CS", "310")
    before = state(app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for url, data in [
            (f"/ordering/start/{course_id}/{term_id}", {}),
            (f"/ordering/drafts/{draft_id}/items", {"item_id": str(item_id(app, "Think Python"))}),
            (f"/ordering/drafts/{draft_id}/place", {"version": "1", "royalty": "no"}),
            (f"/ordering/drafts/{draft_id}/cancel", {}),
        ]:
            response = client.post(url, data=data)
            assert response.status_code == 400 and "Your form expired" in text_of(response), url
        assert state(app) == before
        form = client.get(f"/ordering/drafts/{draft_id}/cancel").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        assert client.post(f"/ordering/drafts/{draft_id}/cancel", data={"csrf_token": token}).status_code == 303
        assert draft_row(app, draft_id).status is OrderStatus.DISCARDED
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_every_workflow_route_declares_a_guard(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("ordering.")]
    assert {r.endpoint for r in rules} >= {
        "ordering.start",
        "ordering.create",
        "ordering.sections",
        "ordering.save_sections",
        "ordering.materials",
        "ordering.add_item",
        "ordering.remove_item",
        "ordering.review",
        "ordering.place",
        "ordering.confirm_discard",
        "ordering.discard",
    }
    for rule in rules:
        assert getattr(app.view_functions[rule.endpoint], GUARD_ATTRIBUTE, None), rule.endpoint


# --- Query counts ----------------------------------------------------------------------------------


@contextmanager
def counting(count_queries, results: dict, name: str):
    with count_queries() as counter:
        yield
    results[name] = counter.count


def test_queries_per_step_do_not_grow_with_the_draft(login_as, app, count_queries):
    client = login_as("ada")
    draft_id = start(client, app)
    section = str(section_id(app, "CS", "150", "001"))
    books = [item_id(app, t) for t in ["Python Crash Course", "Think Python", "zyBooks Programming in Python 3"]]
    measured: list[dict] = []
    for n in (1, 3):
        for book in books[:n]:
            add(client, draft_id, book)
        counts: dict[str, int] = {}
        base = f"/ordering/drafts/{draft_id}"
        with counting(count_queries, counts, "courses"):
            client.get("/")
        with counting(count_queries, counts, "sections"):
            client.get(f"{base}/sections")
        with counting(count_queries, counts, "save_sections"):
            client.post(f"{base}/sections", data={"section": [section]})
        with counting(count_queries, counts, "materials"):
            client.get(f"{base}/materials?q=python")
        with counting(count_queries, counts, "search_htmx"):
            client.get(f"{base}/materials?q=python", headers=HX)
        with counting(count_queries, counts, "add_htmx"):
            add(client, draft_id, books[0], q="python", headers=HX)
        with counting(count_queries, counts, "review"):
            client.get(f"{base}/review")
        with counting(count_queries, counts, "confirm_cancel"):
            client.get(f"{base}/cancel", headers=HX)
        measured.append(counts)
    print("queries per step:", measured[-1])
    assert measured[0] == measured[1]
    version = review_version(client, draft_id)
    counts = {}
    with counting(count_queries, counts, "place"):
        client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    print("place:", counts)
    assert counts["place"] <= 25


def test_the_draft_prompt_says_discard(client, login_as, app, demo_data):
    with app.app_context():  # ids differ between databases: look CS 150 and Spring 2027 up
        course_id = db.session.scalar(select(Course.id).where(Course.subject == "CS", Course.number == "150"))
        term_id = db.session.scalar(select(Term.id).where(Term.code == "202710"))
    client = login_as("ada")
    started = client.post(f"/ordering/start/{course_id}/{term_id}", data={})
    assert started.status_code == 303, started.get_data(as_text=True)[:300]
    draft_url = started.headers["Location"].split("?")[0].rsplit("/", 1)[0]
    page = client.get(draft_url + "/sections")
    assert ">Cancel order</a>" in page.get_data(as_text=True)  # the draft's button keeps the reference's words
    prompt = text_of(client.get(draft_url + "/cancel?step=sections"))
    assert "Discard this draft?" in prompt and "Discard draft" in prompt and "Keep draft" in prompt
    assert "Confirm cancellation" not in prompt and "Keep order" not in prompt

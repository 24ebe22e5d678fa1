"""Content requests through HTTP: requesting a title on a draft or an edit, the list and its filters
for every role, the detail page, comments and their emails, staff status changes and their refusals,
bad input, query budgets and CSRF."""
from __future__ import annotations

import html as htmllib
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestComment,
    Course,
    EventKind,
    Order,
    OrderEvent,
    OrderSection,
    OrderStatus,
    OutboundEmail,
    PendingEdit,
    Section,
    Term,
    User,
)
from orders.domain.models import ContentRequestStatus as Status
from orders.domain.ordering import content_requests as services
from orders.domain.ordering.content_requests import TitleRequest
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests import factories as f
from tests.helpers import open_every_organization, sign_in, text_of


@pytest.fixture
def demo_data(demo_data, app):
    """The demo with every organization `open`: these tests are about editing and ordering itself; with the demo's
    Mathematics under `approval` its edits would wait for an approver (that is tested in tests/screens/approvals)."""
    open_every_organization(app)
    return demo_data

ISBN = "9780306406157"  # also 0-306-40615-2
OTHER_ISBN = "9780804429573"  # also 0-8044-2957-X
THIRD_ISBN = "9780262033848"
NOW = datetime.now(timezone.utc)
HTML = '<script>alert("x")</script><b>bold</b>'


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(app) -> dict:
    """Everything a request change could touch, to prove a refusal changed nothing."""
    with app.app_context():
        return dict(
            requests=db.session.execute(
                select(ContentRequest.id, ContentRequest.status, ContentRequest.version, ContentRequest.fulfilled_by_id,
                       ContentRequest.updated_at, ContentRequest.removed_at).order_by(ContentRequest.id)
            ).all(),
            orders=db.session.execute(select(Order.id, Order.status, Order.version).order_by(Order.id)).all(),
            comments=db.session.scalar(select(func.count()).select_from(ContentRequestComment)),
            events=db.session.scalar(select(func.count()).select_from(OrderEvent)),
            emails=db.session.scalar(select(func.count()).select_from(OutboundEmail)),
            items=db.session.scalar(select(func.count()).select_from(CatalogItem)),
            pending=db.session.scalar(select(func.count()).select_from(PendingEdit)),
        )


def seed(app, number: int, requester: str, title: str, isbn13: str = ISBN, *, status: Status = Status.SUBMITTED,
         created_days_ago: float = 1, updated_days_ago: float = 1) -> int:
    """A request on placed order `number`, straight into the database; returns its id."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        user = db.session.scalars(select(User).where(User.email == f"{requester}@demo.edu")).one()
        now = NOW
        request = services.new_request(
            order, TitleRequest(title, isbn13), actor=user, now=now, position=services.next_position(order)
        )
        request.status = status
        request.created_at = now - timedelta(days=created_days_ago)
        request.updated_at = now - timedelta(days=updated_days_ago)
        order.content_requests.append(request)
        db.session.commit()
        return request.id


def request_row(app, request_id: int) -> ContentRequest:
    with app.app_context():
        row = db.session.get(ContentRequest, request_id)
        db.session.expunge(row)
        return row


def ids(app, subject: str, number: str, term_name: str = "Spring 2027") -> tuple[int, int]:
    with app.app_context():
        course = db.session.scalars(select(Course).where(Course.subject == subject, Course.number == number)).one()
        term = db.session.scalars(select(Term).where(Term.name == term_name)).one()
        return course.id, term.id


def item_of(app, title: str) -> CatalogItem:
    with app.app_context():
        found = db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()
        db.session.expunge(found)
        return found


def start_draft(client, app, subject="CS", number="150") -> int:
    """Start a draft through the POST form (the user's sections preselected); returns its id."""
    course_id, term_id = ids(app, subject, number)
    response = client.post(f"/ordering/start/{course_id}/{term_id}")
    assert response.status_code == 303, text_of(response)
    return int(re.fullmatch(r"/ordering/drafts/(\d+)/sections", response.headers["Location"]).group(1))


def request_form(title="The Missing Book", isbn="0-306-40615-2", **extra) -> dict:
    return dict({"title": title, "isbn": isbn, "author": "", "edition": "", "note": ""}, **extra)


def version_on(client, request_id: int) -> str:
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def edit_version(client, number: int) -> str:
    page = client.get(f"/orders/{number}/edit").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def materials_of(response) -> str:
    """The visible text of the order summary's materials table (the history below also names titles)."""
    page = response.get_data(as_text=True)
    table = re.search(
        r'<table class="data stacked">\s*<thead><tr><th scope="col">Title</th>.*?</table>', page, re.S
    ).group(0)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table)).strip())


def flashed_after(client, response) -> str:
    assert response.status_code == 303, text_of(response)
    return text_of(client.get(response.headers["Location"]))


# --- Requesting a title on a draft -----------------------------------------------------------------


def test_no_match_offers_request_a_title_prefilled_and_it_joins_the_draft(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    materials = client.get(f"/ordering/drafts/{draft_id}/materials?q=Obscure+Treatise")
    assert "No catalog item matches “Obscure Treatise”" in text_of(materials)
    link = f"/ordering/drafts/{draft_id}/request-title?q=Obscure%20Treatise"
    assert f'href="{link}"' in materials.get_data(as_text=True)
    form = client.get(link)
    assert form.status_code == 200 and 'value="Obscure Treatise"' in form.get_data(as_text=True)
    assert '="None"' not in form.get_data(as_text=True)  # no attribute rendered from a missing value
    assert 'name="author" type="text"' in form.get_data(as_text=True)  # optional fields are not "required"
    # An ISBN typed into the search goes into the ISBN field instead.
    assert 'id="isbn" maxlength="40" name="isbn" required type="text" value="0-306-40615-2"' in client.get(
        f"/ordering/drafts/{draft_id}/request-title?q=0-306-40615-2"
    ).get_data(as_text=True)
    response = client.post(
        f"/ordering/drafts/{draft_id}/request-title",
        data=request_form(
            "Obscure Treatise", "0 306 40615 2", author="A. Writer", edition="3rd", note="Chapter 2 only"
        ),
    )
    page = flashed_after(client, response)
    assert response.headers["Location"] == f"/ordering/drafts/{draft_id}/materials"
    assert "Requested “Obscure Treatise”. It is on this order as a content request (Submitted)." in page
    assert "Obscure Treatise ISBN 9780306406157 · Content request — Submitted" in page
    with app.app_context():
        row = db.session.scalars(select(ContentRequest)).one()
        assert (row.order_id, row.isbn13, row.author, row.edition, row.note, row.status) == (
            draft_id,
            ISBN,
            "A. Writer",
            "3rd",
            "Chapter 2 only",
            Status.SUBMITTED,
        )


def test_an_order_of_content_requests_only_can_be_placed(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form())
    review = client.get(f"/ordering/drafts/{draft_id}/review").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', review).group(1)
    placed = client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    summary = flashed_after(client, placed)
    assert "The Missing Book Content request — Submitted" in summary
    with app.app_context():
        order = db.session.get(Order, draft_id)
        assert order.status is OrderStatus.PLACED and order.current_lines == []
        assert [r.status for r in order.current_requests] == [Status.SUBMITTED]
    assert "The Missing Book" in text_of(client.get("/requests"))


def test_removing_a_request_from_a_draft_deletes_it(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form())
    request_id = request_row_id(app)
    page = flashed_after(client, client.post(f"/ordering/drafts/{draft_id}/requests/{request_id}/remove"))
    assert "Removed the request for “The Missing Book”." in page
    assert count(app, ContentRequest) == 0
    again = flashed_after(client, client.post(f"/ordering/drafts/{draft_id}/requests/{request_id}/remove"))
    assert "That request was not on this order." in again


def request_row_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(ContentRequest.id)).one()


def test_the_same_isbn_twice_on_a_draft_is_refused(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form())
    page = flashed_after(
        client, client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form("Other", ISBN))
    )
    assert f"A request for ISBN {ISBN} is already on this order." in page
    assert count(app, ContentRequest) == 1


def test_someone_elses_draft_is_refused(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    before = snapshot(app)
    client.post("/sign-out")
    sign_in(client, "katherine")
    assert client.get(f"/ordering/drafts/{draft_id}/request-title").status_code == 403
    assert client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form()).status_code == 403
    assert client.post(f"/ordering/drafts/{draft_id}/requests/1/remove").status_code == 403
    assert snapshot(app) == before


# --- Bad input on the request form -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields,message",
    [
        (
            request_form(isbn="0-306-40615-3"),
            "Enter a valid ISBN-10 or ISBN-13 (hyphens and spaces are fine); check the last digit.",
        ),
        (request_form(isbn="978-0-306-40615-8"), "check the last digit"),
        (request_form(isbn="97803064061"), "Enter a valid ISBN-10 or ISBN-13"),
        (request_form(isbn="٠٣٠٦٤٠٦١٥٢"), "Enter a valid ISBN-10 or ISBN-13"),
        (request_form(isbn="9" * 5000), "Field cannot be longer than 40 characters."),
        (request_form(isbn=""), "Enter the ISBN."),
        (request_form(title=""), "Enter the title."),
        (request_form(title="   "), "Enter the title."),
        (request_form(title="x" * 301), "Field cannot be longer than 300 characters."),
        (request_form(note="n" * 10_000), "Keep the note under 2,000 characters."),
        (request_form(edition="e" * 51), "Field cannot be longer than 50 characters."),
    ],
    ids=[
        "isbn10-check",
        "isbn13-check",
        "short",
        "arabic-digits",
        "huge",
        "no-isbn",
        "no-title",
        "blank-title",
        "long-title",
        "10k-note",
        "long-edition",
    ],
)
def test_bad_request_forms_are_refused_with_a_message(app, login_as, fields, message):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    before = snapshot(app)
    response = client.post(f"/ordering/drafts/{draft_id}/request-title", data=fields)
    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_nul_bytes_in_any_field_are_refused_and_nothing_is_saved(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    before = snapshot(app)
    for fields in (
        request_form("Nul\x00Title", ISBN),
        request_form(isbn="0306406152\x00"),
        request_form(ISBN, note="x\x00y"),
    ):
        assert client.post(f"/ordering/drafts/{draft_id}/request-title", data=fields).status_code == 400
    assert snapshot(app) == before


def test_an_isbn_in_the_catalog_offers_that_item_and_its_add_works(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    python = item_of(app, "Python Crash Course")
    hyphenated = f"{python.isbn13[:3]}-{python.isbn13[3:7]}-{python.isbn13[7:]}"
    response = client.post(
        f"/ordering/drafts/{draft_id}/request-title", data=request_form("My Python book", hyphenated)
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"ISBN {python.isbn13} is already in the catalog: Python Crash Course" in text_of(response)
    assert f'action="/ordering/drafts/{draft_id}/items"' in page and f'name="item_id" value="{python.id}"' in page
    assert count(app, ContentRequest) == 0
    added = client.post(f"/ordering/drafts/{draft_id}/items", data={"item_id": str(python.id)})
    assert "Added Python Crash Course." in flashed_after(client, added)
    with app.app_context():
        assert [line.catalog_item_id for line in db.session.get(Order, draft_id).lines] == [python.id]


def test_an_isbn_of_an_inactive_item_may_be_requested(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    retired = item_of(app, "Think Python (2nd edition)")
    response = client.post(
        f"/ordering/drafts/{draft_id}/request-title", data=request_form("Think Python 2e", retired.isbn13)
    )
    assert response.status_code == 303 and count(app, ContentRequest) == 1


def test_html_in_every_field_is_escaped_in_pages_and_the_html_email(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    fields = request_form(HTML[:300], ISBN, author=HTML, edition="<i>2</i>", note=HTML)
    assert client.post(f"/ordering/drafts/{draft_id}/request-title", data=fields).status_code == 303
    review = client.get(f"/ordering/drafts/{draft_id}/review").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', review).group(1)
    placed = client.post(f"/ordering/drafts/{draft_id}/place", data={"version": version, "royalty": "no"})
    number = int(placed.headers["Location"].rsplit("/", 1)[1])
    request_id = request_row_id(app)
    client.post("/sign-out")
    sign_in(client, "katherine")
    client.post(f"/requests/{request_id}/comments", data={"text": HTML})
    pages = {"summary": f"/orders/{number}", "list": "/requests", "detail": f"/requests/{request_id}"}
    for name, url in pages.items():
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<b>bold</b>" not in body, name
        assert "&lt;script&gt;alert(" in body, name
    detail = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert detail.count("&lt;script&gt;alert(") >= 4  # title (heading, facts), author, note, comment
    assert "&lt;i&gt;2&lt;/i&gt;" in detail
    with app.app_context():
        email = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "request_update")).first()
        assert "<script>alert" not in render_email(email).html and "&lt;script&gt;alert(" in render_email(email).html
        assert f"Comment: {HTML}" in render_email(email).text  # the text part is plain text: nothing to escape
        assert "&lt;" not in render_email(email).text and "\n" not in email.subject


# --- The list: who sees what -----------------------------------------------------------------------


@pytest.fixture
def seeded(app, demo_data):
    """R1 on #1001 (MATH 221 Spring, placed by Ada), R2 on #1002 (CS 310, placed by Grace for Alan,
    requested by Alan), R3 on #1003 (MATH 221 Fall 2026, denied), D1 on Grace's CS 150 draft that
    includes Ada's section, and D2 on Ada's own draft."""
    r1 = seed(app, 1001, "ada", "Alpha Calculus Notes", ISBN, created_days_ago=9, updated_days_ago=0.5)
    r2 = seed(
        app,
        1002,
        "alan",
        "Beta Automata",
        OTHER_ISBN,
        status=Status.RESEARCHING,
        created_days_ago=5,
        updated_days_ago=2,
    )
    r3 = seed(
        app, 1003, "ada", "Gamma Old Term", THIRD_ISBN, status=Status.DENIED, created_days_ago=7, updated_days_ago=3
    )
    with app.app_context():

        def user(name):
            return db.session.scalars(select(User).where(User.email == f"{name}@demo.edu")).one()

        cs150 = db.session.scalars(select(Course).where(Course.subject == "CS", Course.number == "150")).one()
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        ada_section = db.session.scalars(
            select(Section).where(Section.course_id == cs150.id, Section.term_id == spring.id, Section.label == "001")
        ).one()
        drafts = {}
        for owner, title in (("grace", "Delta Grace Draft"), ("ada", "Epsilon Ada Draft")):
            draft = Order(
                term_id=spring.id,
                course_id=cs150.id,
                status=OrderStatus.DRAFT,
                owner_id=user(owner).id,
                created_at=demo_data.now,
                version=1,
            )
            draft.order_sections = [OrderSection(section_id=ada_section.id, claimed=False)]
            db.session.add(draft)
            db.session.flush()
            drafts[owner] = services.add_to_draft(
                draft, TitleRequest(title, ISBN), actor=user(owner), now=demo_data.now
            ).id
        db.session.commit()
    return {"R1": r1, "R2": r2, "R3": r3, "D1": drafts["grace"], "D2": drafts["ada"]}


TITLES = {
    "R1": "Alpha Calculus Notes",
    "R2": "Beta Automata",
    "R3": "Gamma Old Term",
    "D1": "Delta Grace Draft",
    "D2": "Epsilon Ada Draft",
}

# role -> (demo user or None for a user with no profile, the requests they see in /requests)
ROLES = {
    "instructor placer": ("ada", {"R1", "R3", "D2"}),
    "instructor of record, not placer": ("alan", {"R2"}),
    "coordinator covering": ("grace", {"R2", "D1"}),
    "coordinator covering MATH": ("emmy", {"R1", "R3"}),
    "outsider": (None, set()),
    "program administrator": ("katherine", {"R1", "R2", "R3"}),
}


def login_role(app, client, who: str | None):
    if who is None:
        with app.app_context():
            outsider = f.user("Olive Outsider")
            db.session.commit()
            email = outsider.email
        response = client.post("/sign-in", data={"email": email, "password": "orders-demo"})
        assert response.status_code == 303
    else:
        sign_in(client, who)
    return client


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_sees_requests_on_orders_they_may_view_and_only_their_own_drafts(app, client, seeded, role):
    who, expected = ROLES[role]
    login_role(app, client, who)
    page = text_of(client.get("/requests"))
    shown = {key for key, title in TITLES.items() if title in page}
    assert shown == expected, page
    if not expected:
        assert "No content requests match these filters." in page


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_may_open_exactly_the_requests_it_may_view(app, client, seeded, role):
    who, expected = ROLES[role]
    login_role(app, client, who)
    for key, request_id in seeded.items():
        response = client.get(f"/requests/{request_id}")
        if key in expected:
            assert response.status_code == 200, (key, text_of(response))
            assert f"Content request: {TITLES[key]}" in text_of(response)
        else:
            assert response.status_code == 403, (key, response.status_code)
            assert TITLES[key] not in text_of(response)


@pytest.mark.parametrize("url", ["/requests/999999", "/requests/0"])
def test_unknown_request_ids_are_404(login_as, url):
    response = login_as("katherine").get(url)
    assert response.status_code == 404
    assert "There is no such content request" in text_of(response)


@pytest.mark.parametrize("url", [f"/requests/{2**31}", f"/requests/{2**63}"])
def test_out_of_range_request_ids_are_404_before_any_query(login_as, url):
    assert login_as("katherine").get(url).status_code == 404  # the URL converter refuses ids past int4


@pytest.mark.parametrize("number", [2**31, 2**63])
def test_request_a_title_on_unknown_huge_orders_and_drafts_is_404(login_as, number):
    client = login_as("katherine")
    for url in (f"/orders/{number}/edit/request-title", f"/ordering/drafts/{number}/request-title"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=request_form()).status_code == 404, url
    assert client.post(f"/orders/{number}/edit/requests/r1/remove").status_code == 404
    assert client.post(f"/ordering/drafts/{number}/requests/1/remove").status_code == 404
    assert client.post(f"/requests/{number}/comments", data={"text": "x"}).status_code == 404
    assert client.post(f"/requests/{number}/status", data={"status": "denied", "version": "1"}).status_code == 404


def test_signed_out_users_go_to_sign_in(client, seeded):
    for url in ("/requests", f"/requests/{seeded['R1']}"):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]
    assert client.post(f"/requests/{seeded['R1']}/comments", data={"text": "x"}).status_code in (302, 303)
    assert count(client.application, ContentRequestComment) == 0


@pytest.mark.parametrize(
    "query,expected",
    [
        ("status=denied", ["R3"]),
        ("status=researching", ["R2"]),
        ("status=approved", []),
        ("status=bogus", ["R1", "R2", "R3"]),  # an unknown status is ignored, not an error
        ("term=202630", ["R3"]),
        ("term=202710", ["R1", "R2"]),
        ("term=nope", []),
        ("q=beta", ["R2"]),
        ("q=CS+310", ["R2"]),
        ("q=calculus", ["R1", "R3"]),  # title and course title
        (f"q={OTHER_ISBN[3:9]}", ["R2"]),
        ("q=%25", []),  # a literal %, not a wildcard
        ("q=_", []),
        ("status=submitted&term=202710&q=alpha", ["R1"]),
        ("", ["R1", "R2", "R3"]),
    ],
)
def test_filters(login_as, seeded, query, expected):
    page = text_of(login_as("katherine").get(f"/requests?{query}"))
    shown = [key for key in ("R1", "R2", "R3") if TITLES[key] in page]
    assert shown == expected


def test_sort_by_last_change_or_by_age_and_the_form_keeps_the_filters(login_as, seeded):
    client = login_as("katherine")

    def order_of(url):
        page = text_of(client.get(url))
        return sorted(("R1", "R2", "R3"), key=lambda key: page.index(TITLES[key]))

    assert order_of("/requests") == ["R1", "R2", "R3"]  # last change, newest first
    assert order_of("/requests?sort=age") == ["R1", "R3", "R2"]  # oldest first
    assert order_of("/requests?sort=<script>") == ["R1", "R2", "R3"]
    page = client.get("/requests?status=denied&term=202630&q=gamma&sort=age").get_data(as_text=True)
    assert '<option value="denied" selected>' in page and '<option value="202630" selected>' in page
    assert 'value="gamma"' in page and '<option value="age" selected>' in page


def test_bad_list_arguments_never_fail(login_as, seeded):
    client = login_as("katherine")
    for query in ("page=0", "page=-1", f"page={10**30}", "page=abc", "q=" + "x" * 5000, "status=bogus", "sort=bogus"):
        response = client.get(f"/requests?{query}")
        assert response.status_code == 200, query
    for query in ("term=%00", "q=%00", "status=%00", "q=a%00b", "sort=%00"):
        assert client.get(f"/requests?{query}").status_code == 400, query  # NUL bytes are refused before any view


def test_the_list_paginates(app, login_as, seeded):
    for n in range(55):
        seed(app, 1002, "alan", f"Bulk title {n:02d}", OTHER_ISBN, updated_days_ago=10 + n)
    client = login_as("katherine")
    first = text_of(client.get("/requests"))
    assert "Showing 1–50 of 58 requests" in first and "Page 1 of 2" in first
    second = text_of(client.get("/requests?page=2"))
    assert "Showing 51–58 of 58 requests" in second and "Bulk title 54" in second
    assert "Showing 51–58" in text_of(client.get("/requests?page=999"))


def test_header_link_and_the_detail_page_show_the_order(login_as, seeded):
    client = login_as("ada")
    assert '<a href="/requests">Content requests</a>' in client.get("/").get_data(as_text=True)
    page = text_of(client.get(f"/requests/{seeded['R1']}"))
    assert "Submitted MATH 221 Calculus I · Spring 2027 · Order #1001" in page
    assert "Requested by Ada Lovelace" in page and "No comments yet." in page
    assert "Change status" not in page  # not a Program Administrator
    assert 'href="/orders/1001"' in client.get(f"/requests/{seeded['R1']}").get_data(as_text=True)


# --- Comments --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alan", "grace", "katherine"])
def test_anyone_who_may_view_the_order_comments_and_requester_and_placer_are_emailed(app, client, seeded, who):
    """R2 is on #1002, placed by Grace, requested by Alan: both are emailed, whoever comments."""
    login_role(app, client, who)
    response = client.post(f"/requests/{seeded['R2']}/comments", data={"text": f"Comment from {who}"})
    page = flashed_after(client, response)
    assert "Your comment was added." in page and f"Comment from {who}" in page
    with app.app_context():
        rows = list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.recipient)))
        assert [(r.recipient, r.kind, r.status.value) for r in rows] == [
            ("alan@demo.edu", "request_update", "pending"),
            ("grace@demo.edu", "request_update", "pending"),
        ]
        assert all(r.subject == "New comment on your content request — Beta Automata, order #1002" for r in rows)
        assert all(f"Comment: Comment from {who}" in render_email(r).text for r in rows)
        event = db.session.scalars(select(OrderEvent).where(OrderEvent.kind == EventKind.CONTENT_REQUEST_COMMENT)).one()
        assert event.details["comment"] == f"Comment from {who}" and rows[0].event_id == event.id
        assert db.session.get(ContentRequest, seeded["R2"]).version == 1  # a comment is not a status change


@pytest.mark.parametrize("who", ["emmy", None])
def test_users_who_may_not_view_the_order_cannot_comment(app, client, seeded, who):
    login_role(app, client, who)
    before = snapshot(app)
    response = client.post(f"/requests/{seeded['R2']}/comments", data={"text": "sneaky"})
    assert response.status_code == 403 and snapshot(app) == before


def test_a_comment_with_nul_bytes_is_refused(app, login_as, seeded):
    client = login_as("ada")
    before = snapshot(app)
    assert client.post(f"/requests/{seeded['R1']}/comments", data={"text": "he\x00llo"}).status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "Write a comment first."),
        ("   ", "Write a comment first."),
        ("c" * 10_000, "Keep the comment under 2,000 characters."),
    ],
)
def test_bad_comments_are_refused(app, login_as, seeded, text, message):
    client = login_as("ada")
    before = snapshot(app)
    response = client.post(f"/requests/{seeded['R1']}/comments", data={"text": text})
    assert response.status_code == 422 and message in text_of(response)
    assert snapshot(app) == before


def test_comments_on_a_draft_are_not_possible(app, login_as, seeded):
    """A draft's request has not reached anyone yet: no thread and no email until the order is placed."""
    client = login_as("ada")
    before = snapshot(app)
    page = client.get(f"/requests/{seeded['D2']}")
    assert page.status_code == 200 and "Add a comment" not in text_of(page)
    assert client.post(f"/requests/{seeded['D2']}/comments", data={"text": "hello"}).status_code == 403
    assert snapshot(app) == before


# --- Status changes --------------------------------------------------------------------------------


FORGED = {
    "status": "approved",
    "version": "1",
    "fulfil_with": "new",
    "publisher": "Forged",
    "delivery": "eText",
    "price": "1.00",
    "comment": "forged",
}


@pytest.mark.parametrize("who", ["ada", "alan", "grace", "emmy", None])
@pytest.mark.parametrize("key", ["R1", "R2"])
def test_status_changes_by_non_administrators_are_refused(app, client, seeded, who, key):
    login_role(app, client, who)
    before = snapshot(app)
    for data in (FORGED, {"status": "researching", "version": "1"}, {"status": "denied", "version": "1"}):
        response = client.post(f"/requests/{seeded[key]}/status", data=data)
        assert response.status_code == 403, (who, key, response.status_code)
    assert snapshot(app) == before


def test_administrator_researches_then_approves_with_an_existing_item(app, login_as, seeded):
    client = login_as("katherine")
    page = client.get(f"/requests/{seeded['R1']}").get_data(as_text=True)
    assert 'value="researching"' in page and 'value="approved"' in page and 'value="denied"' in page
    assert 'value="submitted"' not in page
    response = client.post(
        f"/requests/{seeded['R1']}/status",
        data={"status": "researching", "version": version_on(client, seeded["R1"]), "comment": "Asking the publisher"},
    )
    page = flashed_after(client, response)
    assert "The request is now Researching." in page and "Asking the publisher" in page
    linear = item_of(app, "Linear Algebra Done Right")
    response = client.post(
        f"/requests/{seeded['R1']}/status",
        data={
            "status": "approved",
            "version": version_on(client, seeded["R1"]),
            "fulfil_with": "existing",
            "item_isbn": f"{linear.isbn13[:3]}-{linear.isbn13[3:]}",
        },
    )
    assert "The request is now Approved." in flashed_after(client, response)
    summary = materials_of(client.get("/orders/1001"))
    assert "Linear Algebra Done Right Sheldon Axler" in summary and "Alpha Calculus Notes" not in summary
    assert "Content request" not in summary and "$39.99" in summary
    with app.app_context():
        row = db.session.get(ContentRequest, seeded["R1"])
        assert row.status is Status.APPROVED and row.fulfilled_by_id == linear.id and row.version == 3
        kinds = list(
            db.session.scalars(select(OrderEvent.kind).where(OrderEvent.kind == EventKind.CONTENT_REQUEST_STATUS))
        )
        assert len(kinds) == 2
        assert count(app, OutboundEmail) == 2  # Ada requested and placed #1001: one email per change


def test_approving_by_creating_the_catalog_item(app, login_as, seeded):
    client = login_as("katherine")
    before_items = count(app, CatalogItem)
    response = client.post(
        f"/requests/{seeded['R2']}/status",
        data={
            "status": "approved",
            "version": "1",
            "fulfil_with": "new",
            "publisher": "MIT Press",
            "item_edition": "1st",
            "delivery": "eText",
            "price": "42.50",
            "comment": "Added to the catalog",
        },
    )
    assert "The request is now Approved." in flashed_after(client, response)
    assert count(app, CatalogItem) == before_items + 1
    with app.app_context():
        created = db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == OTHER_ISBN)).one()
        assert (created.title, created.publisher, created.student_price, created.active) == (
            "Beta Automata",
            "MIT Press",
            Decimal("42.50"),
            True,
        )
        emails = list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.recipient)))
        assert [e.recipient for e in emails] == ["alan@demo.edu", "grace@demo.edu"]
        assert emails[0].subject == "Content request Approved — Beta Automata, order #1002"
        assert "Fulfilled by: Beta Automata (ISBN 9780804429573)" in render_email(emails[0]).text
    summary = materials_of(client.get("/orders/1002"))
    assert (
        "Beta Automata" in summary
        and "MIT Press" in summary
        and "$42.50" in summary
        and "Content request" not in summary
    )


@pytest.mark.parametrize(
    "data,message",
    [
        ({"fulfil_with": "existing"}, "No catalog item has that ISBN."),  # the requested ISBN is not in the catalog
        ({"fulfil_with": "existing", "item_isbn": "9780306406158"}, "No catalog item has that ISBN."),
        (
            {"fulfil_with": "existing", "item_isbn": "978-1491939369"},
            "Think Python (2nd edition) is no longer available to order.",
        ),
        ({"fulfil_with": "new", "delivery": "eText", "price": "10"}, "give its publisher, delivery and student price"),
        (
            {"fulfil_with": "new", "publisher": "P", "delivery": "eText"},
            "give its publisher, delivery and student price",
        ),
    ],
)
def test_approval_without_a_fulfilling_item_is_refused(app, login_as, seeded, data, message):
    client = login_as("katherine")
    before = snapshot(app)
    response = client.post(f"/requests/{seeded['R1']}/status", data=dict(data, status="approved", version="1"))
    assert message in flashed_after(client, response)
    assert snapshot(app) == before


@pytest.mark.parametrize("price", ["NaN", "sNaN", "Infinity", "-1", "1e9", "abc", "1" * 400])
def test_bad_prices_are_refused_with_a_message(app, login_as, seeded, price):
    client = login_as("katherine")
    before = snapshot(app)
    response = client.post(
        f"/requests/{seeded['R1']}/status",
        data={
            "status": "approved",
            "version": "1",
            "fulfil_with": "new",
            "publisher": "P",
            "delivery": "eText",
            "price": price,
        },
    )
    assert response.status_code in (303, 422), response.status_code
    assert snapshot(app) == before


def test_a_disallowed_transition_is_refused_with_a_clear_message(app, login_as, seeded):
    client = login_as("katherine")
    linear = item_of(app, "Linear Algebra Done Right")
    client.post(
        f"/requests/{seeded['R1']}/status", data={"status": "approved", "version": "1", "item_isbn": linear.isbn13}
    )
    before = snapshot(app)
    page = client.get(f"/requests/{seeded['R1']}")
    assert "Change status" not in text_of(page)  # nothing left to move to
    for status, message in (
        ("researching", "A request that is Approved can't become Researching."),
        ("denied", "A request that is Approved can't become Denied."),
    ):
        response = client.post(f"/requests/{seeded['R1']}/status", data={"status": status, "version": "2"})
        assert message in flashed_after(client, response)
    for status in ("submitted", "canceled", ""):  # not even offered: a forged form
        forged = client.post(f"/requests/{seeded['R1']}/status", data={"status": status, "version": "2"})
        assert "A request that is Approved can't change status any more." in flashed_after(client, forged)
    open_request = client.post(f"/requests/{seeded['R2']}/status", data={"status": "submitted", "version": "1"})
    assert open_request.status_code == 422 and "Not a valid choice" in text_of(open_request)
    assert snapshot(app) == before
    # A denied request reopens to Researching but cannot be approved straight away.
    assert "A request that is Denied can't become Approved." in flashed_after(
        client,
        client.post(
            f"/requests/{seeded['R3']}/status", data={"status": "approved", "version": "1", "item_isbn": linear.isbn13}
        ),
    )
    assert "The request is now Researching." in flashed_after(
        client, client.post(f"/requests/{seeded['R3']}/status", data={"status": "researching", "version": "1"})
    )


@pytest.mark.parametrize("version", ["", "0", "abc", str(2**31), "-1", "1.5"])
def test_bad_versions_are_refused(app, login_as, seeded, version):
    client = login_as("katherine")
    before = snapshot(app)
    response = client.post(f"/requests/{seeded['R1']}/status", data={"status": "researching", "version": version})
    assert response.status_code == 422 and snapshot(app) == before


def test_two_administrators_at_once_one_wins_the_other_gets_a_notice(app, seeded):
    with app.app_context():
        second = f.user("Second Admin", admin=True)
        db.session.commit()
        second_email = second.email
    first_client, second_client = app.test_client(), app.test_client()
    sign_in(first_client, "katherine")
    assert second_client.post("/sign-in", data={"email": second_email, "password": "orders-demo"}).status_code == 303
    seen_first, seen_second = version_on(first_client, seeded["R2"]), version_on(second_client, seeded["R2"])
    assert seen_first == seen_second == "1"
    won = first_client.post(
        f"/requests/{seeded['R2']}/status", data={"status": "denied", "version": seen_first, "comment": "No licence"}
    )
    assert "The request is now Denied." in flashed_after(first_client, won)
    after_win = snapshot(app)
    lost = second_client.post(
        f"/requests/{seeded['R2']}/status", data={"status": "researching", "version": seen_second, "comment": "On it"}
    )
    page = flashed_after(second_client, lost)
    assert "This request changed while you were looking at it (someone else updated it). Nothing was changed." in page
    assert "Denied" in page and "No licence" in page and "On it" not in page
    assert snapshot(app) == after_win


def test_status_change_moves_the_order_for_the_feed_but_a_comment_does_not(app, login_as, seeded):
    client = login_as("katherine")
    with app.app_context():
        before = db.session.scalars(select(Order.version).where(Order.number == 1002)).one()
    client.post(f"/requests/{seeded['R2']}/comments", data={"text": "hello"})
    with app.app_context():
        assert db.session.scalars(select(Order.version).where(Order.number == 1002)).one() == before
    client.post(f"/requests/{seeded['R2']}/status", data={"status": "denied", "version": "1"})
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1002)).one()
        assert order.version == before + 1 and order.last_changed_at is not None


def test_requests_on_a_canceled_order_are_canceled_and_final(app, login_as, seeded):
    client = login_as("ada")
    assert client.post("/orders/1001/cancel", data={"version": "1"}).status_code == 303
    assert request_row(app, seeded["R1"]).status is Status.CANCELED
    client.post("/sign-out")
    sign_in(client, "katherine")
    assert "Canceled" in text_of(client.get("/requests?status=canceled"))
    assert "Change status" not in text_of(client.get(f"/requests/{seeded['R1']}"))
    before = snapshot(app)
    response = client.post(f"/requests/{seeded['R1']}/status", data={"status": "researching", "version": "2"})
    assert "Only requests on placed orders can change status." in flashed_after(client, response)
    assert snapshot(app) == before


# --- Requests in an edit ---------------------------------------------------------------------------


def test_a_request_in_an_edit_is_pending_until_submit_then_a_row(app, login_as, demo_data):
    client = login_as("ada")
    form = client.get("/orders/1001/edit/request-title")
    assert form.status_code == 200 and "Request a title for order #1001" in text_of(form)
    response = client.post("/orders/1001/edit/request-title", data=request_form(note="For week 3"))
    assert response.headers["Location"] == "/orders/1001/edit"
    page = flashed_after(client, response)
    assert "Requested “The Missing Book” (not yet submitted)." in page
    assert "Content request — Submitted (not yet submitted)" in page
    assert count(app, ContentRequest) == 0
    summary = flashed_after(
        client, client.post("/orders/1001/edit/submit", data={"version": edit_version(client, 1001), "royalty": "no"})
    )
    assert "Order #1001 was updated." in summary and "The Missing Book Content request — Submitted" in summary
    with app.app_context():
        row = db.session.scalars(select(ContentRequest)).one()
        assert (row.status, row.note, row.requested_by.email) == (Status.SUBMITTED, "For week 3", "ada@demo.edu")
        assert row.order.number == 1001


def test_removing_a_request_in_an_edit_cancels_it_and_keeps_the_row(app, login_as, seeded):
    client = login_as("ada")
    response = client.post(f"/orders/1001/edit/requests/r{seeded['R1']}/remove")
    assert "Removed the request for “Alpha Calculus Notes” (not yet submitted)." in flashed_after(client, response)
    assert request_row(app, seeded["R1"]).status is Status.SUBMITTED
    assert "That request was not on this order." in flashed_after(
        client, client.post(f"/orders/1001/edit/requests/r{seeded['R2']}/remove")
    )  # on another order
    assert "That request was not on this order." in flashed_after(
        client, client.post(f"/orders/1001/edit/requests/{'x' * 5000}/remove")
    )
    client.post("/orders/1001/edit/submit", data={"version": edit_version(client, 1001), "royalty": "no"})
    row = request_row(app, seeded["R1"])
    assert row.status is Status.CANCELED and row.removed_at is not None
    assert "Alpha Calculus Notes" not in materials_of(client.get("/orders/1001"))
    assert "Canceled" in text_of(client.get(f"/requests/{seeded['R1']}"))


def test_a_new_request_can_be_taken_off_an_edit_before_submit(app, login_as, demo_data):
    client = login_as("ada")
    client.post("/orders/1001/edit/request-title", data=request_form())
    with app.app_context():
        key = db.session.scalars(select(PendingEdit)).one().changes["new_requests"][0]["key"]
    response = client.post(f"/orders/1001/edit/requests/{key}/remove")
    assert "Removed the request for “The Missing Book” (not yet submitted)." in flashed_after(client, response)


def test_edit_request_refusals(app, client, seeded):
    login_role(app, client, "emmy")  # covers MATH: may edit #1001, not #1002
    before = snapshot(app)
    assert client.get("/orders/1002/edit/request-title").status_code == 403
    assert client.post("/orders/1002/edit/request-title", data=request_form()).status_code == 403
    assert client.post(f"/orders/1002/edit/requests/r{seeded['R2']}/remove").status_code == 403
    assert client.post("/orders/999999/edit/request-title", data=request_form()).status_code == 404
    bad = client.post("/orders/1001/edit/request-title", data=request_form(isbn="123"))
    assert bad.status_code == 422 and "Enter a valid ISBN-10 or ISBN-13" in text_of(bad)
    linear = item_of(app, "Linear Algebra Done Right")
    offered = client.post("/orders/1001/edit/request-title", data=request_form(isbn=linear.isbn13))
    assert offered.status_code == 409 and 'action="/orders/1001/edit/items"' in offered.get_data(as_text=True)
    assert snapshot(app) == before


# --- Query budgets ---------------------------------------------------------------------------------


def grow(app, now, orders: int) -> None:
    """More placed orders, each with requests and comments, on sections every demo viewer reaches."""
    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        grace = db.session.scalars(select(User).where(User.email == "grace@demo.edu")).one()
        admin = db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one()
        for i in range(orders):
            teacher = f.user(f"Extra{i} Teacher{i}")
            section = f.section(spring, subject="CS", number=f"{500 + i}", instructors=(teacher,))
            order = f.placed_order([section], grace, now)
            for n in range(2):
                request = services.new_request(
                    order, TitleRequest(f"Grown {i}-{n}", ISBN), actor=teacher, now=now, position=n
                )
                order.content_requests.append(request)
                db.session.flush()
                db.session.add(
                    ContentRequestComment(request_id=request.id, author_id=admin.id, created_at=now, text="c")
                )
        db.session.commit()


def queries_for(client, count_queries, url) -> int:
    client.get(url)  # warm per-process caches
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


@pytest.mark.parametrize(
    "user,url,budget",
    [
        # Held at what they take today (user, count, rows, terms, institution; user, request+order, comments,
        # status history (issue 27), institution).
        ("katherine", "/requests", 5),
        ("grace", "/requests", 5),
        ("ada", "/requests", 5),
        ("katherine", "/requests?status=submitted&term=202710&q=o&sort=age", 5),
        ("katherine", "/requests/{R1}", 5),
        ("grace", "/requests/{R2}", 5),
    ],
)
def test_query_counts_do_not_grow(app, client, seeded, count_queries, demo_data, user, url, budget):
    sign_in(client, user)
    url = url.format(**seeded)
    for key in ("R1", "R2"):
        client.post(f"/requests/{seeded[key]}/comments", data={"text": "a comment"})  # refused (403) where not allowed
    small = queries_for(client, count_queries, url)
    grow(app, demo_data.now, 30)
    large = queries_for(client, count_queries, url)
    if user in ("katherine", "grace") and url.startswith("/requests?") or url == "/requests" and user != "ada":
        assert "Grown " in text_of(client.get(url))  # the grown data is on the page that was counted
    print(f"\nqueries {user} {url}: {small} -> {large}")
    assert small == large, f"{url} ran {small} queries before and {large} after growing the data"
    assert large <= budget, f"{url} ran {large} queries (budget {budget})"


# --- CSRF ------------------------------------------------------------------------------------------


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_csrf_is_required_on_every_content_request_post(app, client, seeded, csrf_on):
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    client.post(
        "/sign-in",
        data={"email": "katherine@demo.edu", "password": "orders-demo", "csrf_token": token_in(sign_in_page)},
    )
    with app.app_context():
        katherine = db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one()
        cs310 = db.session.scalars(select(Course).where(Course.subject == "CS", Course.number == "310")).one()
        draft = Order(
            term_id=db.session.scalars(select(Term.id).where(Term.code == "202710")).one(),
            course_id=cs310.id,
            status=OrderStatus.DRAFT,
            owner_id=katherine.id,
            created_at=seeded_now(),
            version=1,
        )
        db.session.add(draft)
        db.session.flush()
        draft_request = services.add_to_draft(
            draft, TitleRequest("Draft title", ISBN), actor=katherine, now=seeded_now()
        )
        db.session.commit()
        draft_id, draft_request_id = draft.id, draft_request.id
    before = snapshot(app)
    posts = [
        (f"/ordering/drafts/{draft_id}/request-title", request_form(isbn=OTHER_ISBN)),
        (f"/ordering/drafts/{draft_id}/requests/{draft_request_id}/remove", {}),
        ("/orders/1002/edit/request-title", request_form()),
        (f"/orders/1002/edit/requests/r{seeded['R2']}/remove", {}),
        (f"/requests/{seeded['R2']}/comments", {"text": "hello"}),
        (f"/requests/{seeded['R2']}/status", {"status": "denied", "version": "1"}),
    ]
    for url, data in posts:
        response = client.post(url, data=data)
        if response.status_code == 303:  # the remove routes answer a bad token with a banner, not a change
            assert "could not be checked" in text_of(client.get(response.headers["Location"])), url
        else:
            assert response.status_code in (400, 422), (url, response.status_code)
    assert snapshot(app) == before
    # With the token from the page, each works.
    detail = client.get(f"/requests/{seeded['R2']}").get_data(as_text=True)
    token = token_in(detail)
    assert (
        client.post(f"/requests/{seeded['R2']}/comments", data={"text": "hello", "csrf_token": token}).status_code
        == 303
    )
    assert (
        client.post(
            f"/requests/{seeded['R2']}/status", data={"status": "denied", "version": "1", "csrf_token": token}
        ).status_code
        == 303
    )
    form = client.get(f"/ordering/drafts/{draft_id}/request-title").get_data(as_text=True)
    assert (
        client.post(
            f"/ordering/drafts/{draft_id}/request-title",
            data=dict(request_form(isbn=OTHER_ISBN), csrf_token=token_in(form)),
        ).status_code
        == 303
    )
    assert request_row(app, seeded["R2"]).status is Status.DENIED
    assert count(app, ContentRequestComment) == 1  # the comment; the status change had none


def seeded_now():
    from orders import clock

    return clock.now()

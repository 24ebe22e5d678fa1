"""Order history (/orders) and its CSV through the test client: who sees which rows, filters,
pagination, the htmx fragment, and the CSV's format."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orders.domain import upkeep
from orders.domain.models import Course, Order, OrderStatus, Term, User
from orders.extensions import db


def numbers(response) -> list[str]:
    """Order cells of the history table, top to bottom ("1001", or "Draft")."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    cells = re.findall(r'<th scope="row" data-label="Order">\s*(.*?)\s*</th>', html, re.S)
    return ["Draft" if ">Draft<" in cell else re.search(r">#(\d+)<", cell).group(1) for cell in cells]


def count_line(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.search(r'<p class="count" role="status">(.*?)</p>', html, re.S).group(1)).strip()


def offering_ids(app, subject: str, number: str, term_code: str) -> tuple[int, int]:
    with app.app_context():
        course = db.session.scalars(select(Course).where(Course.subject == subject, Course.number == number)).one()
        term = db.session.scalars(select(Term).where(Term.code == term_code)).one()
        return course.id, term.id


def start_draft(app, client, subject: str, number: str, term_code: str) -> None:
    course_id, term_id = offering_ids(app, subject, number, term_code)
    assert client.post(f"/ordering/start/{course_id}/{term_id}").status_code == 303


def cancel_directly(app, number: int) -> None:
    """Mark a demo order canceled (by Katherine) straight in the database."""
    with app.app_context():
        katherine = db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one()
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        db.session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(
                status=OrderStatus.CANCELED,
                canceled_by_id=katherine.id,
                canceled_at=order.placed_at + timedelta(hours=1),
            )
        )
        upkeep.orders_changed(db.session, [order.id])  # a bulk write says what it touched (Progress's counts)
        db.session.commit()


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


# --- Who sees which rows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user,expected",
    [
        (
            "katherine",
            ["1005", "1002", "1001", "1003", "1004"],
        ),  # Program Administrator: every order (#1005 awaits approval)
        ("ada", ["1001", "1003", "1004"]),  # placed them, teaches their sections
        ("alan", ["1002"]),  # instructor of record of #1002, which Grace placed for him
        ("emmy", ["1005", "1001", "1003"]),  # coordinator by grant (subject MATH); #1005 awaits her approval
        ("grace", ["1002", "1004"]),  # placed #1002; #1004 by grant (subject CS)
    ],
)
def test_each_user_sees_the_orders_they_may_view_newest_first(login_as, user, expected):
    assert numbers(login_as(user).get("/orders")) == expected


def test_rows_match_the_view_rule_of_the_summary(login_as):
    """Every listed order opens; every other demo order is refused (the one rule, in SQL and in Python)."""
    client = login_as("alan")
    for number in ("1001", "1002", "1003", "1004"):
        listed = number in numbers(client.get("/orders"))
        assert (client.get(f"/orders/{number}").status_code == 200) is listed, number


def test_columns(login_as):
    html = login_as("ada").get("/orders").get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*>(?:<span class="visually-hidden">)?([^<]+)', html)
    assert headers == [
        "Order",
        "Term",
        "Course",
        "Sections",
        "Items",
        "Placed by",
        "Placed",
        "Last change",
        "Status",
        "Actions",
    ]
    row = html.split('href="/orders/1001"', 1)[1].split("</tr>", 1)[0]
    for text in ("Spring 2027", "MATH 221 Calculus I", "001, 002", ">1<", "Ada Lovelace", "Placed</span>"):
        assert text in row, text


def test_drafts_are_listed_only_for_their_owner(app, client, login_as):
    login_as("ada")
    start_draft(app, client, "CS", "150", "202710")
    assert numbers(client.get("/orders")) == ["Draft", "1001", "1003", "1004"]
    assert numbers(client.get("/orders?status=draft")) == ["Draft"]
    for other in ("katherine", "grace", "alan"):
        client.post("/sign-out")
        login_as(other)
        assert "Draft" not in numbers(client.get("/orders")), other
        assert numbers(client.get("/orders?status=draft")) == [], other


def test_canceled_orders_are_listed_with_their_status(app, login_as):
    cancel_directly(app, 1002)
    client = login_as("alan")
    assert numbers(client.get("/orders")) == ["1002"]
    assert numbers(client.get("/orders?status=canceled")) == ["1002"]
    assert numbers(client.get("/orders?status=placed")) == []
    assert 'status-canceled">Canceled<' in client.get("/orders").get_data(as_text=True)


def test_header_links_to_order_history(login_as):
    html = login_as("ada").get("/").get_data(as_text=True)
    assert '<li><a href="/orders">Order history</a></li>' in html


def test_signed_out_visitors_go_to_sign_in(client, demo_data):
    for url in ("/orders", "/orders.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


# --- Filters and pagination ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,expected",
    [
        ("term=202630", ["1003", "1004"]),
        ("term=202710", ["1005", "1002", "1001"]),
        ("q=calculus", ["1001", "1003"]),
        ("q=CS+150", ["1004"]),
        ("q=1004", ["1004"]),
        ("q=%231001", ["1001"]),
        ("q=theory&term=202710&status=placed", ["1002"]),
        ("status=canceled", []),
        ("term=bogus", []),
        ("q=100%25", []),  # a LIKE wildcard is matched literally
        ("status=bogus&page=-3&term=", ["1005", "1002", "1001", "1003", "1004"]),  # malformed filters fall back
        (
            "page=%C2%B2&q=",
            ["1005", "1002", "1001", "1003", "1004"],
        ),  # unicode digits: no error (NUL bytes get 400 before any view)
        ("page=99999999999999999999", ["1005", "1002", "1001", "1003", "1004"]),
    ],
)
def test_filters(login_as, query, expected):
    assert numbers(login_as("katherine").get("/orders?" + query)) == expected


def test_filter_form_keeps_its_values_and_works_without_javascript(login_as):
    html = login_as("katherine").get("/orders?term=202630&status=placed&q=calc").get_data(as_text=True)
    form = html.split('id="history-filters"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in html.split('id="history-filters"', 1)[0].rsplit("<form", 1)[1]
    assert '<option value="202630" selected>Fall 2026</option>' in form
    assert '<option value="placed" selected>Placed</option>' in form
    assert 'value="calc"' in form
    assert '<button type="submit" class="button">Show</button>' in form
    for label in ("Term", "Status", "Course or order number"):
        assert f">{label}</label>" in form


def test_pagination(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "HISTORY_PAGE_SIZE", 3)
    client = login_as("katherine")
    first = client.get("/orders")
    assert numbers(first) == ["1005", "1002", "1001"]  # #1005 (awaiting approval) is the newest
    assert count_line(first) == "Showing 1–3 of 5 orders"
    html = first.get_data(as_text=True)
    assert 'href="/orders?page=2"' in html and "Page 1 of 2" in html and "Previous page" not in html
    second = client.get("/orders?page=2")
    assert numbers(second) == ["1003", "1004"] and count_line(second) == "Showing 4–5 of 5 orders"
    past_the_end = client.get("/orders?page=9")
    assert numbers(past_the_end) == ["1003", "1004"] and "Page 2 of 2" in past_the_end.get_data(as_text=True)
    filtered = client.get("/orders?term=202630&page=2")
    assert numbers(filtered) == ["1003", "1004"] and count_line(filtered) == "Showing 1–2 of 2 orders"


def test_past_the_cap_a_program_administrators_count_is_a_lower_bound(app, login_as, monkeypatch):
    """Counting every order stops COUNT_CAP past the page: "of N+", Page N with a Next link, no last page."""
    from orders.web.screens.orders import history_queries as queries

    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    monkeypatch.setitem(app.config, "HISTORY_PAGE_SIZE", 1)
    client = login_as("katherine")
    first = client.get("/orders")
    assert count_line(first) == "Showing 1–1 of 1+ orders"
    html = first.get_data(as_text=True)
    assert "Page 1</span>" in html and 'href="/orders?page=2"' in html and " of 2<" not in html
    walked, page = [], 1
    while True:
        response = client.get(f"/orders?page={page}")
        walked += numbers(response)
        if "Next page" not in response.get_data(as_text=True):
            break
        page += 1
    expected = [row[0] for row in csv_rows(client.get("/orders.csv"))[1:]]  # the CSV counts nothing: all rows
    assert walked == expected and len(expected) >= 2
    last = client.get(f"/orders?page={page}")
    assert count_line(last) == f"Showing {page}–{page} of {page} orders"  # the last page knows the total
    assert count_line(login_as("grace").get("/orders")) == "Showing 1–1 of 2 orders"  # the rest: exact counts


def test_no_orders(login_as):
    response = login_as("ada").get("/orders?q=nothing-like-this")
    assert count_line(response) == "No orders match these filters."
    assert "Download CSV" not in response.get_data(as_text=True)


def test_htmx_gets_the_table_fragment_and_a_tidy_url(login_as):
    response = login_as("katherine").get("/orders?term=202630&status=&q=", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="history-results"') and "<html" not in html
    assert 'id="history-filters"' not in html
    assert response.headers["HX-Push-Url"] == "/orders?term=202630"
    assert "HX-Request" in response.headers["Vary"]
    assert numbers(response) == ["1003", "1004"]


def test_download_link_carries_the_filters(login_as):
    html = login_as("katherine").get("/orders?term=202630&q=calc&page=1").get_data(as_text=True)
    assert 'href="/orders.csv?term=202630&amp;q=calc"' in html


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_has_a_header_and_the_same_rows_as_the_page(login_as):
    client = login_as("katherine")
    response = client.get("/orders.csv")
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="order-history-')
    rows = csv_rows(response)
    assert rows[0] == [
        "Order",
        "Term",
        "Course",
        "Title",
        "Sections",
        "Items",
        "Placed by",
        "Placed",
        "Last change",
        "Status",
        "Student prices",
        "Total per student",
        "Other required costs",
    ]
    assert [r[0] for r in rows[1:]] == numbers(client.get("/orders"))
    assert rows[3][:7] == ["1001", "Spring 2027", "MATH 221", "Calculus I", "001, 002", "1", "Ada Lovelace"]
    assert rows[3][9] == "Placed"
    assert rows[3][10:] == ["$89.99", "$89.99", "Graphing calculator $15.00"]  # disclosed, never in the total
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d[-+]\d\d:\d\d", rows[3][7])
    assert rows[1][:7] == ["1005", "Spring 2027", "MATH 110", "College Algebra", "001", "1", "Sophie Germain"]
    assert rows[1][7] == "" and rows[1][9] == "Awaiting approval"  # not placed until an approver approves it


def test_csv_is_rfc_4180(app, login_as):
    with app.app_context():
        db.session.execute(update(Course).where(Course.number == "221").values(title='Calculus I, "Honors"\nlab'))
        db.session.commit()
    body = login_as("ada").get("/orders.csv").get_data()
    text = body.decode("utf-8")
    assert text.startswith(
        "Order,Term,Course,Title,Sections,Items,Placed by,Placed,Last change,Status,Student prices,Total per "
        "student,Other required costs\r\n"
    )
    assert '"Calculus I, ""Honors""\nlab","001, 002"' in text  # quotes doubled, commas and line breaks quoted
    assert text.endswith("\r\n") and "\r\n\r\n" not in text


@pytest.mark.parametrize(
    "query,expected",
    [
        ("term=202630", ["1003", "1004"]),
        ("q=calculus", ["1001", "1003"]),
        ("status=canceled", []),
        ("q=1002", ["1002"]),
    ],
)
def test_csv_follows_the_same_filters(login_as, query, expected):
    client = login_as("katherine")
    assert (
        [r[0] for r in csv_rows(client.get("/orders.csv?" + query))[1:]]
        == expected
        == numbers(client.get("/orders?" + query))
    )


def test_csv_only_has_orders_the_user_may_view(app, client, login_as):
    login_as("emmy")
    assert [r[0] for r in csv_rows(client.get("/orders.csv"))[1:]] == ["1005", "1001", "1003"]
    client.post("/sign-out")
    login_as("ada")
    start_draft(app, client, "CS", "150", "202710")
    rows = csv_rows(client.get("/orders.csv"))
    assert [r[0] for r in rows[1:]] == ["Draft", "1001", "1003", "1004"]
    assert rows[1][9] == "Draft" and rows[1][6] == "" and rows[1][4] == "001"


def test_csv_neutralises_formulas(app, login_as):
    with app.app_context():
        db.session.execute(update(Course).where(Course.number == "150").values(title='=HYPERLINK("http://x")'))
        db.session.commit()
    rows = csv_rows(login_as("ada").get("/orders.csv?q=cs+150"))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'


def test_csv_query_count_does_not_grow_with_rows(app, client, login_as, count_queries, now):
    from tests.web.test_query_counts import grow

    client = login_as("katherine")
    with count_queries() as small:
        small_rows = len(csv_rows(client.get("/orders.csv")))
    grow(app, now, 40)
    with count_queries() as large:
        large_rows = len(csv_rows(client.get("/orders.csv")))
    assert large_rows == small_rows + 20
    assert small.count == large.count <= 3

"""One id parser for every path and form value (issue 28, defect 4).

'²', '١٢', '+5', ' 5' and huge numbers are no id.
"""

from __future__ import annotations

import pytest

from orders.domain.formats import isbn
from orders.web.parsing import MAX_ID, parse_id, parse_page, parse_version

NOT_IDS = ["²", "r", "١٢", "+5", " 5", "5 ", "-1", "0", "5.0", "1_000", "", str(MAX_ID + 1), "9" * 5000, "0x10"]


@pytest.mark.parametrize("value", NOT_IDS)
def test_parse_id_refuses(value):
    assert parse_id(value) is None


@pytest.mark.parametrize("value,expected", [("1", 1), ("0042", 42), (str(MAX_ID), MAX_ID)])
def test_parse_id_accepts_ascii_digits_that_fit(value, expected):
    assert parse_id(value) == expected


def test_pages_and_versions_use_the_same_rule():
    assert [parse_page(v) for v in ("²", "١٢", "+5", " 5", "9" * 5000, "3")] == [1, 1, 1, 1, 1, 3]
    assert [parse_version(v) for v in ("0", "²", "+1", " 1")] == [0, None, None, None]


def test_isbn_digits_are_ascii():
    assert isbn.normalize("978-0²-13") == "978013"
    assert not isbn.is_valid("978013468599²") and isbn.to_isbn13("٩٧٨٠١٣٤٦٨٥٩٩١") is None


ODD = ["²", "١٢", "+5", " 5", str(2**31), "9" * 5000]


@pytest.mark.parametrize("value", ODD)
def test_request_keys_on_a_pending_edit(login_as, value):
    """The probe's POST /orders/1001/edit/requests/r²/remove: a calm "not on this order", never a 500."""
    client = login_as("ada")
    response = client.post(f"/orders/1001/edit/requests/r{value}/remove")
    assert response.status_code == 303
    assert "That request was not on this order." in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "who,method,url,field",
    [
        ("ada", "get", "/history", "instructor"),
        ("emmy", "get", "/no-materials/confirm", "course_id"),
        ("emmy", "get", "/no-materials/confirm", "instructor"),
        ("emmy", "post", "/no-materials/answer", "term_id"),
        ("katherine", "get", "/admin/audit", "user"),
        ("katherine", "get", "/admin/users", "page"),
        ("katherine", "get", "/admin/catalog", "page"),
    ],
)
def test_odd_ids_in_queries_and_forms_never_fail(app, login_as, demo_data, value, who, method, url, field):
    client = login_as(who)
    from tests.screens.no_materials.test_no_materials import row_form

    data = {**row_form(app, demo_data), field: value}
    response = client.get(url, query_string=data) if method == "get" else client.post(url, data=data)
    assert response.status_code in (200, 303, 403, 404), response.status_code  # 403: that row is not Emmy's alone


@pytest.mark.parametrize("version", ["١", "+1", " 1", "1 ", "¹"])
def test_an_order_version_is_parsed_like_an_id(app, login_as, version):
    """int() reads '١' and '+1' as 1; the version field does not, so the cancel is refused and nothing changes."""
    from sqlalchemy import select

    from orders.domain.models import Order, OrderStatus
    from orders.extensions import db

    client = login_as("ada")
    response = client.post("/orders/1001/cancel", data={"version": version})
    assert response.status_code == 303
    assert "Your confirmation could not be checked" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Order.status).where(Order.number == 1001)).one() is OrderStatus.PLACED
        db.session.remove()

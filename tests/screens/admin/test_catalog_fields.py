"""Back office catalog: copyright year, list price and "Zero cost (OER)" (issue 25).

In the item form and the CSV import.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from orders.domain.models import AdminAuditEntry, CatalogItem
from orders.extensions import db
from tests.helpers import text_of
from tests.screens.admin.test_back_office import _isbn

FORM = dict(
    title="Open Stats", authors="D. Diez", publisher="OpenIntro", edition="4th", delivery="eText", student_price="0"
)


def _item(isbn13: str) -> CatalogItem | None:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == isbn13)).first()


def test_add_and_edit_take_the_new_fields(app, login_as):
    client = login_as("katherine")
    code = _isbn(7001)
    added = client.post(
        "/admin/catalog/new", data=dict(FORM, isbn=code, copyright_year="2019", list_price="$49.50", zero_cost="y")
    )
    assert added.status_code == 303
    with app.app_context():
        item = _item(code)
        assert (item.copyright_year, item.list_price, item.zero_cost) == (2019, Decimal("49.50"), True)
        item_id = item.id
    form = client.get(f"/admin/catalog/{item_id}").get_data(as_text=True)
    assert 'value="2019"' in form and 'value="49.50"' in form and "checked" in form and "Zero cost (OER)" in form
    # Clearing the optional fields: unknown year and list price, no longer zero cost.
    assert (
        client.post(
            f"/admin/catalog/{item_id}", data=dict(FORM, isbn=code, copyright_year="", list_price="")
        ).status_code
        == 303
    )
    with app.app_context():
        item = _item(code)
        assert (item.copyright_year, item.list_price, item.zero_cost) == (None, None, False)
        entry = db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id.desc())).first()
        assert entry.kind == "catalog.item_updated"
        assert entry.before == {"copyright_year": 2019, "list_price": "49.50", "zero_cost": True}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("list_price", "-1", "List price must be a number of dollars"),
        ("list_price", "abc", "List price must be a number of dollars"),
        ("copyright_year", "20", "Copyright year must be a year like 2021"),
        ("copyright_year", "3000", "Copyright year must be a year like 2021"),
    ],
)
def test_bad_values_are_refused_and_nothing_saved(app, login_as, field, value, message):
    client = login_as("katherine")
    code = _isbn(7002)
    response = client.post("/admin/catalog/new", data=dict(FORM, isbn=code, **{field: value}))
    assert response.status_code == 422 and message in text_of(response)
    with app.app_context():
        assert _item(code) is None


def _upload(client, header: str, *rows: str):
    body = header + "\n" + "\n".join(rows) + "\n"
    return client.post(
        "/admin/catalog/import",
        data={"file": (io.BytesIO(body.encode()), "items.csv")},
        content_type="multipart/form-data",
    )


OLD = "title,authors,isbn,publisher,edition,delivery,student_price,active"


def test_import_takes_the_optional_columns_and_old_files_keep_them(app, login_as):
    client = login_as("katherine")
    code, other = _isbn(7003), _isbn(7004)
    response = _upload(
        client,
        OLD + ",copyright_year,list_price,zero_cost",
        f"Open Stats,D. Diez,{code},OpenIntro,4th,eText,0,true,2019,49.50,true",
        f"Paid Book,Someone,{other},Pub,1st,eText,19.99,true,,,",
    )
    assert response.status_code == 303
    with app.app_context():
        assert (_item(code).copyright_year, _item(code).list_price, _item(code).zero_cost) == (
            2019,
            Decimal("49.50"),
            True,
        )
        assert (_item(other).copyright_year, _item(other).list_price, _item(other).zero_cost) == (None, None, False)
    # A file in the old shape still imports, and leaves the new fields of existing items as they are.
    assert _upload(client, OLD, f"Open Stats,D. Diez,{code},OpenIntro,5th,eText,0,true").status_code == 303
    with app.app_context():
        item = _item(code)
        assert item.edition == "5th" and (item.copyright_year, item.list_price, item.zero_cost) == (
            2019,
            Decimal("49.50"),
            True,
        )


def test_import_lists_row_errors_of_the_new_columns(app, login_as):
    client = login_as("katherine")
    code = _isbn(7005)
    response = _upload(
        client, OLD + ",list_price,zero_cost", f"Open Stats,D. Diez,{code},OpenIntro,4th,eText,0,true,-5,maybe"
    )
    page = text_of(response)
    assert response.status_code != 303
    assert "Row 2: List price must be a number of dollars" in page and "Row 2: Zero cost must be true or false." in page
    unknown = _upload(client, OLD + ",colour", f"Open Stats,D. Diez,{code},OpenIntro,4th,eText,0,true,red")
    assert "unknown colour" in text_of(unknown)
    with app.app_context():
        assert _item(code) is None

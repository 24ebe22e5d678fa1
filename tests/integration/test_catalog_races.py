"""Issue 38 item 6: two changes adding the same new ISBN at once (two catalog imports, or an import and
"New item") end in one item and a 409 that says what happened, never a 500 or half an import.

Each change first reads that the ISBN is free. A barrier holds every INSERT INTO catalog_item until both
changes have read, so each run is the race, not a hope of one: on PostgreSQL the second INSERT waits on
the unique index for the first to commit, on SQLite for the write lock. Runs on the suite's database
(PostgreSQL under TEST_DATABASE_URL, as in CI).
"""
from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import event, func, select

from orders.domain.models import CatalogItem
from orders.extensions import db
from tests.helpers import sign_in, text_of
from tests.integration.test_order_races import run_together

SHARED, ONLY_A, ONLY_B = "9780306406157", "9781861972712", "9780262033848"
HEADER = "title,authors,isbn,publisher,edition,delivery,student_price,active\n"


def csv_file(*isbns: str) -> bytes:
    return (HEADER + "".join(f"Book {isbn},An Author,{isbn},A Press,,eText,19.99,true\n" for isbn in isbns)).encode()


def import_file(client, data: bytes):
    return client.post(
        "/admin/catalog/import", data={"file": (io.BytesIO(data), "items.csv")}, content_type="multipart/form-data"
    )


def new_item(client, isbn: str):
    return client.post(
        "/admin/catalog/new",
        data={
            "title": f"Book {isbn}",
            "authors": "An Author",
            "isbn": isbn,
            "publisher": "A Press",
            "edition": "",
            "delivery": "eText",
            "student_price": "19.99",
            "copyright_year": "",
            "list_price": "",
        },
    )


@pytest.fixture
def inserts_wait_for_each_other(app):
    """Each change's first INSERT INTO catalog_item waits until the other's is reached (both have read by then)."""
    barrier = threading.Barrier(2, timeout=30)
    started = threading.local()  # a change may insert row by row: only its first INSERT lines up

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO CATALOG_ITEM") and not getattr(started, "done", False):
            started.done = True
            barrier.wait()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hold)
    yield
    event.remove(engine, "before_cursor_execute", hold)


def admins(app, count: int):
    clients = [app.test_client() for _ in range(count)]
    for client in clients:
        sign_in(client, "katherine")
    return clients


def catalog_isbns(app) -> list[str]:
    with app.app_context():
        found = sorted(
            db.session.scalars(select(CatalogItem.isbn13).where(CatalogItem.isbn13.in_([SHARED, ONLY_A, ONLY_B])))
        )
        db.session.remove()
    return found


def test_two_imports_adding_one_new_isbn_at_once(app, demo_data, inserts_wait_for_each_other):
    a, b = admins(app, 2)
    files = [csv_file(SHARED, ONLY_A), csv_file(SHARED, ONLY_B)]
    responses = run_together(2, lambda i: import_file((a, b)[i], files[i]))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [303, 409], [r.status_code for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert f"Another change added ISBN {SHARED} to the catalog first" in text_of(loser)
    assert "The file was not imported; nothing changed" in text_of(loser)
    winner_only = ONLY_A if responses[0].status_code == 303 else ONLY_B
    assert catalog_isbns(app) == sorted([SHARED, winner_only])  # nothing of the losing file was applied
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CatalogItem).where(CatalogItem.isbn13 == SHARED)) == 1
        db.session.remove()


def test_an_import_racing_new_item_with_the_same_isbn(app, demo_data, inserts_wait_for_each_other):
    a, b = admins(app, 2)
    responses = run_together(2, lambda i: import_file(a, csv_file(SHARED, ONLY_B)) if i == 0 else new_item(b, SHARED))
    assert all(not isinstance(r, Exception) for r in responses), responses
    imported, added = responses
    assert {imported.status_code, added.status_code} <= {303, 409} and 409 in (imported.status_code, added.status_code)
    loser = imported if imported.status_code == 409 else added
    assert f"Another change added ISBN {SHARED} to the catalog first" in text_of(loser)
    assert catalog_isbns(app) == ([SHARED] if imported.status_code == 409 else sorted([SHARED, ONLY_B]))

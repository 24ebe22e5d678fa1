"""Receipts, change and cancel emails and the history CSV carry each price and the total per student,
the same numbers as the order summary's "Total per student" (issue 27, item 4)."""
from __future__ import annotations

import csv
import io
import re

import pytest

from orders.worker.delivery import render as render_email
from tests.helpers import open_every_organization, text_of
from tests.screens.ordering.test_ordering import place, ready_draft
from tests.screens.orders.test_edit import follow, item_id, outbox


@pytest.fixture
def demo_data(demo_data, app):
    """The demo with every organization `open`: these tests are about editing and ordering itself; with the demo's
    Mathematics under `approval` its edits would wait for an approver (that is tested in tests/screens/approvals)."""
    open_every_organization(app)
    return demo_data


def summary_total(client, number: int) -> str:
    return re.search(r"Total per student (\$[\d,.]+)", text_of(client.get(f"/orders/{number}"))).group(1)


def assert_priced(app, email, prices: list[str], total: str) -> None:
    rendered = render_email(email, app)
    for part in (rendered.text, rendered.html):
        for price in prices:
            assert price in part
        assert f"Total per student: {total}" in re.sub(r"<[^>]+>", "", part)


def test_cancel_receipt_lists_prices_and_the_summary_total(app, login_as):
    client = login_as("ada")
    total = summary_total(client, 1001)
    assert total == "$89.99"
    client.post("/orders/1001/cancel", data={"version": "1"})
    [receipt] = outbox(app)
    assert_priced(app, receipt, ["Calculus: Early Transcendentals (ISBN 9780357693544) — $89.99"], total)


def test_changed_email_lists_the_new_prices_and_total(app, login_as):
    client = login_as("ada")
    client.post("/orders/1001/edit/items", data={"item_id": str(item_id(app, "Thomas' Calculus"))})
    follow(client, client.post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"}))
    total = summary_total(client, 1001)
    assert total == "$164.98"
    [email] = outbox(app)
    assert_priced(app, email, ["$89.99", "$74.99"], total)


def test_order_receipt_lists_prices_and_total(app, login_as):
    client = login_as("ada")
    draft = ready_draft(client, app)
    response = place(client, draft)
    number = int(response.headers["Location"].rsplit("/", 1)[1])
    total = summary_total(client, number)
    [receipt] = outbox(app)
    assert_priced(app, receipt, ["Python Crash Course (ISBN 9781718502703) — $29.99"], total)


def test_history_csv_has_prices_and_the_summary_total(login_as):
    client = login_as("katherine")
    rows = list(csv.DictReader(io.StringIO(client.get("/orders.csv").get_data(as_text=True), newline="")))
    by_number = {row["Order"]: row for row in rows}
    for number in ("1001", "1002"):
        assert by_number[number]["Total per student"] == summary_total(client, int(number))
    prices = by_number["1002"]["Student prices"].split("; ")
    assert len(prices) == 2 and all(re.fullmatch(r"\$\d+\.\d\d", p) for p in prices)

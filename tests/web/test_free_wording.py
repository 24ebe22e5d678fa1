"""A material students pay nothing for reads "Free" on every screen, email and CSV written for people
(issue 37, item 7: it read "$0.00", "Free (OER)" or "Free" depending on the screen).

The demo's zero-cost item is OpenStax's Calculus Volume 1: Ada adds it to order #1001 (MATH 221), then
every place that shows a material's price is read. The files for machines keep their plain decimals.
"""
from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select

from orders.cli.reminders import run_once
from orders.domain.models import OutboundEmail
from orders.extensions import db
from orders.worker.delivery import render
from tests.helpers import open_every_organization, sign_in, text_of
from tests.screens.ordering.test_ordering import start
from tests.screens.orders.test_edit import follow, item_id

OER = "Calculus Volume 1"
WRONG = ("$0.00", "Free (OER)")


def near(text: str, title: str = OER, span: int = 160) -> str:
    """The words right after each mention of the title (its price is among them)."""
    found = [text[m.end():m.end() + span] for m in re.finditer(re.escape(title), text)]
    assert found, f"{title} is not on the page"
    return " | ".join(found)


def assert_free(where: str, text: str) -> None:
    assert "Free" in near(text), (where, near(text))
    for wrong in WRONG:
        assert wrong not in text, (where, wrong)


def test_a_free_material_reads_free_everywhere(app, client, demo_data):
    open_every_organization(app)  # the change applies at once (Mathematics orders under `approval` in the demo)
    sign_in(client, "ada")
    oer = item_id(app, OER)
    client.post("/orders/1001/edit/items", data={"item_id": str(oer)})
    assert_free("edit page", text_of(client.get("/orders/1001/edit")))
    follow(client, client.post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"}))
    assert_free("order summary", text_of(client.get("/orders/1001")))
    assert_free("cancel prompt", text_of(client.get("/orders/1001/cancel")))
    draft = start(client, app, "MATH", "221")
    assert_free(
        "catalog search while ordering", text_of(client.get(f"/ordering/drafts/{draft}/materials?q=calculus+volume"))
    )
    with app.app_context():
        [receipt] = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "changed_receipt"))
        text, html = render(receipt)
    assert f"{OER} (ISBN 9781938168024) — Free — Required" in text
    assert_free("changed email (HTML)", re.sub(r"<[^>]+>", "", html))
    client.post("/sign-out")

    sign_in(client, "katherine")
    assert_free("back-office catalog", text_of(client.get("/admin/catalog?q=calculus+volume")))
    history = list(csv.DictReader(io.StringIO(client.get("/orders.csv").get_data(as_text=True), newline="")))
    prices = next(row for row in history if row["Order"] == "1001")["Student prices"]
    assert sorted(prices.split("; ")) == ["$89.99", "Free"], prices
    client.post("/sign-out")

    sign_in(client, "mary")
    assert_free("student page", text_of(client.get("/student/materials")))
    client.post("/sign-out")
    assert_free("public lookup", text_of(client.get("/course-materials/202710/202710-MATH-221-001")))
    with app.app_context():
        run_once(demo_data.now)
        [email] = db.session.scalars(
            select(OutboundEmail).where(
                OutboundEmail.kind == "student_materials", OutboundEmail.recipient == "mary@demo.edu"
            )
        )
        assert f"{OER} (ISBN 9781938168024), required, Free\n" in render(email).text

    # Files for machines keep the plain decimal and the flag.
    [record] = [
        r
        for r in json.loads(client.get("/course-materials/202710.json").get_data(as_text=True))["records"]
        if r["section_sis_id"] == "202710-MATH-221-001" and r["title"] == OER
    ]
    assert record["student_price"] == "0.00" and record["zero_cost"] is True

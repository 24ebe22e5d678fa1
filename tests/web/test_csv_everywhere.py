"""Issue 38 items 2 and 3: every CSV the app writes parses back, and every CSV it serves runs no formula.

Hostile text sits in the catalog and in approved content requests (a formula title, a title with a bare
CR: a writer that quotes only LF leaves it unquoted and the reader fails), in a course title and in the
organizations' names, as data from before input was normalised would. One walk over
every GET route, as a Program Administrator, finds each CSV download: each must parse with Python's
strict reader into records of the header's width, no cell may start a formula, and the hostile values
come back whole behind the spreadsheet apostrophe. The commands' files are for importers: they parse
too, and carry the values exactly.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from orders import clock
from orders.domain.formats.spreadsheet import FORMULA_START
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Course,
    Delivery,
    Order,
    Organization,
)
from orders.domain.reminders.remind_now import DIMENSIONS
from orders.extensions import db
from tests.helpers import sign_in

SPRING = "202710"
FORMULA = '=HYPERLINK("http://x.test/","click")'
BARE_CR = "Linear Algebra\rDone Right"
COURSE_TITLE = "=2+3 Calculus"
ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture
def hostile(app, demo_data):
    """Two requests on #1001 approved into the catalog under their own titles (FORMULA, BARE_CR), a formula
    course title, organizations named "-… CR LF @"."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        now = clock.now()
        for position, (title, isbn13) in enumerate(((FORMULA, "9780306406157"), (BARE_CR, "9781861972712")), start=5):
            item = CatalogItem(title=title, authors="@Author", isbn13=isbn13, publisher="+Publisher", edition="-1st",
                               delivery=Delivery.ETEXT, student_price=Decimal("10.00"), active=True)
            db.session.add(item)
            db.session.flush()
            db.session.add(ContentRequest(
                order_id=order.id, position=position, title=title, isbn13=isbn13, requested_by_id=order.placed_by_id,
                created_at=now, updated_at=now, status=ContentRequestStatus.APPROVED, fulfilled_by_id=item.id))
        db.session.scalars(
            select(Course).where(Course.subject == "MATH", Course.number == "221")
        ).one().title = COURSE_TITLE
        for organization in db.session.scalars(select(Organization)):
            organization.name = f"-{organization.name}\r\n@"
        db.session.commit()


def csv_routes(app):
    """(endpoint, URL) for every GET route whose arguments the walk can fill: a term code and each Progress table."""
    fills = {"term_code": [SPRING], "dimension": list(DIMENSIONS)}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods or not set(rule.arguments) <= set(fills):
            continue
        urls = [rule.rule]
        for name in rule.arguments:
            urls = [
                ARGUMENT.sub(lambda m, v=value, n=name: v if m.group(1) == n else m.group(0), url)
                for url in urls
                for value in fills[name]
            ]
        for url in urls:
            yield rule.endpoint, url


def parsed(text: str) -> list[list[str]]:
    """The records, read strictly; every one as wide as the header."""
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert rows and {len(row) for row in rows} == {len(rows[0])}, rows[:3]
    return rows


def test_every_csv_the_app_serves_parses_and_runs_no_formula(app, client, hostile):
    sign_in(client, "katherine")
    served: dict[str, list[list[str]]] = {}
    for _endpoint, url in csv_routes(app):
        response = client.get(url, query_string={"term": SPRING, "kind": "full"})
        if response.mimetype != "text/csv":
            continue
        assert response.status_code == 200, url
        rows = parsed(response.get_data(as_text=True))
        formulas = [cell for row in rows[1:] for cell in row if cell.startswith(FORMULA_START)]
        assert formulas == [], f"{url} serves formulas: {formulas[:3]}"
        served[url] = rows
    downloads = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith((".csv", "/download"))}
    assert len(served) == len(downloads) + len(DIMENSIONS) - 1, sorted(served)  # /progress/<dimension>.csv thrice
    cells = {url: {cell for row in rows for cell in row} for url, rows in served.items()}
    for url in (f"/course-materials/{SPRING}.csv", "/admin/feed/download", "/admin/billing/download"):
        assert {"'" + FORMULA, BARE_CR} <= cells[url], url  # whole, the formula behind an apostrophe
    assert "'" + COURSE_TITLE in cells["/orders.csv"]
    assert any(cell.startswith("'-") and cell.endswith("\r\n@") for cell in cells["/progress/organization.csv"])


def test_the_public_csv_is_neutralised_for_anyone(client, hostile):
    rows = parsed(client.get(f"/course-materials/{SPRING}.csv").get_data(as_text=True))
    titles = [row[rows[0].index("title")] for row in rows[1:]]
    assert "'" + FORMULA in titles and FORMULA not in titles and BARE_CR in titles


@pytest.mark.parametrize(
    "command, name",
    [
        (["export-feed", "--term", SPRING, "--full"], "order-feed-full"),
        (["export-feed", "--term", SPRING, "--delta"], "order-feed-delta"),
        (["export-billing", "--term", SPRING], "student-billing"),
    ],
)
def test_every_csv_command_writes_hostile_text_back_exactly(app, hostile, tmp_path, command, name):
    result = app.test_cli_runner().invoke(args=[*command, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob(f"*-{name}.csv")
    rows = parsed(path.read_bytes().decode("utf-8"))
    title = rows[0].index("ci_title")
    assert {FORMULA, BARE_CR} <= {row[title] for row in rows[1:]}  # exact, for the importer: no apostrophe, no split

"""Every CSV a person downloads is safe to open in a spreadsheet (issue 28, defect 7); the machine feed stays exact."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from orders import clock
from orders.domain import upkeep
from orders.domain.models import Course, Section, Term, User
from orders.extensions import db
from tests import feed_story as story
from tests.feed_story import SPRING, at
from tests.helpers import sign_in

FORMULA = '=HYPERLINK("http://x","y")'


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_safe_cell(value, expected):
    from orders.domain.formats.spreadsheet import safe_cell

    assert safe_cell(value) == expected


def test_history_csv_neutralises_every_column(app, login_as):
    """Term, course, title, sections and the placer's name all come from the SIS: none may stay a formula."""
    with app.app_context():
        db.session.execute(update(Term).where(Term.code == "202710").values(name="=TERM()"))
        db.session.execute(update(Course).where(Course.number == "221").values(subject="+MATH", title=FORMULA))
        db.session.execute(update(Section).values(label="@" + Section.label))
        db.session.execute(update(User).where(User.email == "ada@demo.edu").values(name="-Ada"))
        upkeep.everything_changed(db.session)  # bulk writes say what they touched (reach rows carry the labels)
        db.session.commit()
    rows = rows_of(login_as("ada").get("/orders.csv").get_data(as_text=True))
    order = next(row for row in rows if row[0] == "1001")
    assert order[1:5] == ["'=TERM()", "'+MATH 221", "'" + FORMULA, "'@001, @002"]
    assert order[6] == "'-Ada"
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


@pytest.fixture
def frozen_with_formula(app, monkeypatch):
    """The frozen demo with a content request titled like a formula (any instructor can type one)."""
    with app.app_context():
        story.load_frozen_demo()
        story.request_title(1001, FORMULA, "9781633438538", at("2026-11-20T15:30"))
        db.session.commit()
        db.session.remove()
    monkeypatch.setattr(clock, "utcnow", lambda: at("2026-11-20T16:00"))


def test_back_office_feed_download_is_neutralised(app, client, frozen_with_formula):
    sign_in(client, "katherine")
    response = client.get(f"/admin/feed/download?term={SPRING}&kind=full")
    assert response.status_code == 200
    titles = {row[15] for row in rows_of(response.get_data(as_text=True))[1:] if row[5] == "content_request"}
    assert titles == {"'" + FORMULA}  # one row per section of #1001


def test_the_machine_feed_file_stays_exact(app, frozen_with_formula, tmp_path):
    """export-feed writes for the bookstore's importer, not a spreadsheet: the title as typed."""
    result = app.test_cli_runner().invoke(args=["export-feed", "--term", SPRING, "--full", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.iterdir()
    titles = {row[15] for row in rows_of(path.read_text(encoding="utf-8"))[1:] if row[5] == "content_request"}
    assert titles == {FORMULA}

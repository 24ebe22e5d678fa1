"""Issue 38 items 2 and 10: free text is normalised once, at input, and text with nothing visible is empty.

Every form's text fields (orders/web/forms.py) and the catalog and SIS imports run through
orders/domain/formats/text.py: line breaks and control characters never reach a one-line value (a title
typed with a carriage return split feed records), a text area keeps its lines as "\\n", and a value made
only of zero-width or other invisible characters counts as empty wherever something is required.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from orders.domain.formats.text import clean_line, clean_text, is_blank
from orders.domain.models import (
    CatalogItem,
    ChoiceEvent,
    ContentRequest,
    ContentRequestComment,
    Course,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.extensions import db
from tests.helpers import sign_in, text_of
from tests.screens.requests.test_content_requests import request_form, start_draft

INVISIBLE = ["\u200b", "\u200b \u2060\ufeff", "\u200c\u200d", "\u00a0\u3164\u2800", "\r\n\t\x07"]
DEMO_DUMP = Path(__file__).resolve().parents[2] / "examples" / "sis-demo"


@pytest.mark.parametrize("value", INVISIBLE + ["", None])
def test_invisible_text_is_blank_and_cleans_to_nothing(value):
    assert is_blank(value) and clean_line(value) == "" and clean_text(value) == ""


def test_visible_text_keeps_its_words_and_loses_its_control_characters():
    assert clean_line(" Linear\rAlgebra\r\nDone\tRight\x07\u2028! ") == "Linear Algebra Done Right !"
    assert clean_text("line one\r\nline two\rthree\x1b\u2029four") == "line one\nline two\nthree\nfour"
    assert clean_line("Gödel\u200bEscher") == "Gödel\u200bEscher" and not is_blank("é") and not is_blank("🙂")


def test_a_requested_title_typed_with_a_carriage_return_is_stored_on_one_line(app, login_as):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    response = client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form(
        "Linear\rAlgebra\r\nDone Right\x07", author="Sheldon\rAxler", note="Chapters 1–3\r\nand 5\r(the proofs)\x1b"))
    assert response.status_code == 303, text_of(response)
    with app.app_context():
        row = db.session.scalars(select(ContentRequest)).one()
        assert (row.title, row.author, row.note) == (
            "Linear Algebra Done Right",
            "Sheldon Axler",
            "Chapters 1–3\nand 5\n(the proofs)",
        )


@pytest.mark.parametrize("blank", INVISIBLE)
def test_a_title_of_invisible_characters_is_required(app, login_as, blank):
    client = login_as("ada")
    draft_id = start_draft(client, app)
    response = client.post(f"/ordering/drafts/{draft_id}/request-title", data=request_form(blank))
    assert response.status_code == 422 and "Enter the title." in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentRequest)) == 0


def test_comments_keep_their_lines_and_an_invisible_one_is_refused(app, client, demo_data):
    with app.app_context():
        order = demo_data.order(1001)
        request = ContentRequest(
            order_id=order.id,
            position=5,
            title="A Book",
            isbn13="9780306406157",
            requested_by_id=order.placed_by_id,
            created_at=demo_data.now,
            updated_at=demo_data.now,
        )
        db.session.add(request)
        db.session.commit()
        request_id = request.id
    sign_in(client, "ada")
    refused = client.post(f"/requests/{request_id}/comments", data={"text": "\u200b\u2060"})
    assert refused.status_code == 422 and "Write a comment first." in text_of(refused)
    assert (
        client.post(f"/requests/{request_id}/comments", data={"text": "first\r\nsecond\rthird\x1b"}).status_code == 303
    )
    with app.app_context():
        assert list(db.session.scalars(select(ContentRequestComment.text))) == ["first\nsecond\nthird"]


def test_a_reason_made_only_of_a_zero_width_space_is_no_reason(app, client, demo_data):
    """Item 10: a Program Administrator's change on a student's behalf needs a reason that shows."""
    sign_in(client, "katherine")
    with app.app_context():
        mary = db.session.scalars(select(User).where(User.email == "mary@demo.edu")).one()
        section = (
            db.session.scalars(
                select(Section)
                .join(Course)
                .join(Term, Term.id == Section.term_id)
                .where(Course.subject == "MATH", Course.number == "221", Section.label == "001", Term.code == "202710")
            )
            .unique()
            .one()
        )
        item = db.session.scalars(
            select(CatalogItem).where(CatalogItem.title == "Calculus: Early Transcendentals")
        ).one()
        url = f"/admin/students/{mary.id}/{section.id}/{item.id}/choice"
        student = mary.id
        before = db.session.scalar(select(func.count()).select_from(StudentChoice))
    for reason in INVISIBLE:
        refused = client.post(url, data={"student": student, "version": 0, "reason": reason})
        assert refused.status_code == 422 and "Enter a reason" in text_of(refused), repr(reason)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StudentChoice)) == before
        assert (
            db.session.scalar(select(func.count()).select_from(ChoiceEvent).where(ChoiceEvent.user_id == student)) == 0
        )


@pytest.mark.parametrize("title, message", [("\u200b", "Title is required."), ("A\x07Bell", None)])
def test_the_catalog_form_and_import_clean_titles_and_require_a_visible_one(app, client, demo_data, title, message):
    sign_in(client, "katherine")
    form = {
        "title": title,
        "authors": "An Author",
        "isbn": "9780306406157",
        "publisher": "P",
        "edition": "",
        "delivery": "eText",
        "student_price": "10.00",
        "copyright_year": "",
        "list_price": "",
    }
    response = client.post("/admin/catalog/new", data=form)
    header = "title,authors,isbn,publisher,edition,delivery,student_price,active\n"
    upload = f'"{title}","An Author",9781861972712,P,,eText,10.00,true\n'.encode()
    imported = client.post(
        "/admin/catalog/import",
        data={"file": (io.BytesIO(header.encode() + upload), "c.csv")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        titles = set(
            db.session.scalars(
                select(CatalogItem.title).where(CatalogItem.isbn13.in_(["9780306406157", "9781861972712"]))
            )
        )
    if message:
        assert response.status_code == 422 and message in text_of(response)
        assert imported.status_code == 422 and f"Row 2: {message}" in text_of(imported)
        assert titles == set()
    else:
        assert response.status_code == 303 and imported.status_code == 303
        assert titles == {"ABell"}


def test_the_sis_import_cleans_names_and_titles(app, demo_data, tmp_path):
    dump = tmp_path / "dump"
    shutil.copytree(DEMO_DUMP, dump)
    courses = dump / "courses.csv"
    courses.write_text(
        courses.read_text(encoding="utf-8").replace('"Calculus I"', '"Calculus\rI\x07"'), encoding="utf-8"
    )
    users = dump / "users.csv"
    users.write_text(users.read_text(encoding="utf-8").replace('"Ada Lovelace"', '"Ada\r\nLovelace"'), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-sis", str(dump)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (
            db.session.scalars(select(Course.title).where(Course.subject == "MATH", Course.number == "221")).one()
            == "Calculus I"
        )
        assert db.session.scalars(select(User.name).where(User.email == "ada@demo.edu")).one() == "Ada Lovelace"

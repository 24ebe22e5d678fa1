"""Back office for costs (issue 35, docs/spec.md §10).

The catalog's courseware flag and student-data terms (form and CSV), the cost disclosure settings and
each term's registration opening beside Student choice; refusals save nothing, every change is audited.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders.domain.models import AdminAuditEntry, CatalogItem, Institution, Term
from orders.extensions import db
from tests.helpers import text_of
from tests.screens.admin.test_back_office import _isbn

FORM = dict(
    title="WebWork Calculus", authors="MAA", publisher="MAA", edition="1st", delivery="Courseware", student_price="25"
)
BAD_URLS = [
    "javascript:alert(1)",
    "ftp://files.example.edu/terms",
    "www.example.com/terms",
    "https://",
    "data:text/html,hi",
    "https://exa mple.com",
    "//example.com/terms",
    "http://[::1",
    "https://example.com/\u200b",
]


def _item(isbn13: str) -> CatalogItem | None:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.isbn13 == isbn13)).first()


def _audit(kind: str) -> list[AdminAuditEntry]:
    return list(
        db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == kind).order_by(AdminAuditEntry.id))
    )


# --- Catalog: the courseware flag and the data-terms link ------------------------------------------


def test_the_item_form_takes_the_flag_and_the_terms_link(app, login_as):
    client = login_as("katherine")
    code = _isbn(7101)
    added = client.post(
        "/admin/catalog/new",
        data=dict(
            FORM, isbn=code, courseware_for_graded_work="y", data_terms_url=" https://www.example.com/privacy/students "
        ),
    )
    assert added.status_code == 303
    with app.app_context():
        item = _item(code)
        assert (item.courseware_for_graded_work, item.data_terms_url) == (
            True,
            "https://www.example.com/privacy/students",
        )
        item_id = item.id
    form = client.get(f"/admin/catalog/{item_id}").get_data(as_text=True)
    assert "Courseware needed for graded work" in form and 'value="https://www.example.com/privacy/students"' in form
    assert client.post(f"/admin/catalog/{item_id}", data=dict(FORM, isbn=code, data_terms_url="")).status_code == 303
    with app.app_context():
        item = _item(code)
        assert (item.courseware_for_graded_work, item.data_terms_url) == (False, None)
        [_, changed] = _audit("catalog.item_added") + _audit("catalog.item_updated")
        assert changed.before == {
            "courseware_for_graded_work": True,
            "data_terms_url": "https://www.example.com/privacy/students",
        }
    audit = text_of(client.get("/admin/audit"))
    assert "Courseware needed for graded work" in audit and "Student-data terms" in audit


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_terms_link_that_is_not_http_is_refused(app, login_as, url):
    client = login_as("katherine")
    code = _isbn(7102)
    response = client.post("/admin/catalog/new", data=dict(FORM, isbn=code, data_terms_url=url))
    assert response.status_code == 422
    assert "The student-data terms link must be a web address starting with https:// or http://" in text_of(response)
    with app.app_context():
        assert _item(code) is None


def _upload(client, header: str, *rows: str):
    body = header + "\n" + "\n".join(rows) + "\n"
    return client.post(
        "/admin/catalog/import",
        data={"file": (io.BytesIO(body.encode()), "items.csv")},
        content_type="multipart/form-data",
    )


def test_the_csv_import_takes_both_columns_and_an_old_file_keeps_them(app, login_as):
    client = login_as("katherine")
    a, b = _isbn(7103), _isbn(7104)
    header = (
        "title,authors,isbn,publisher,edition,delivery,student_price,active,courseware_for_graded_work,data_terms_url"
    )
    done = _upload(
        client,
        header,
        f"One,A,{a},P,1st,Courseware,10,true,true,https://www.example.com/t",
        f"Two,B,{b},P,1st,eText,10,true,,",
    )
    assert done.status_code == 303
    with app.app_context():
        assert (_item(a).courseware_for_graded_work, _item(a).data_terms_url) == (True, "https://www.example.com/t")
        assert (_item(b).courseware_for_graded_work, _item(b).data_terms_url) == (False, None)
    # A file without the new columns leaves them as they are.
    assert (
        _upload(
            client,
            "title,authors,isbn,publisher,edition,delivery,student_price,active",
            f"One renamed,A,{a},P,1st,Courseware,10,true",
        ).status_code
        == 303
    )
    with app.app_context():
        assert (_item(a).title, _item(a).courseware_for_graded_work, _item(a).data_terms_url) == (
            "One renamed",
            True,
            "https://www.example.com/t",
        )


def test_the_csv_import_refuses_bad_values_with_row_numbers(app, login_as):
    client = login_as("katherine")
    a, b = _isbn(7105), _isbn(7106)
    header = (
        "title,authors,isbn,publisher,edition,delivery,student_price,active,courseware_for_graded_work,data_terms_url"
    )
    response = _upload(
        client,
        header,
        f"One,A,{a},P,1st,Courseware,10,true,maybe,",
        f"Two,B,{b},P,1st,eText,10,true,false,javascript:x",
    )
    text = text_of(response)
    assert response.status_code == 422
    assert "Row 2: Courseware needed for graded work must be true or false." in text
    assert "Row 3: The student-data terms link must be a web address" in text
    with app.app_context():
        assert _item(a) is None and _item(b) is None


# --- Cost disclosure settings ----------------------------------------------------------------------


def test_student_choice_shows_the_settings_and_the_registration_openings(login_as):
    text = text_of(login_as("katherine").get("/admin/student-choice"))
    assert (
        "Cost disclosure “Low cost”: an estimated required cost above zero and at most $40.00 ( its criteria )" in text
    )
    assert "Coverage target: 55% of active sections" in text
    assert "Spring 2027" in text and "Edit registration opening for Spring 2027" in text


def test_saving_the_settings_is_audited_once_and_only_what_changed(app, login_as):
    client = login_as("katherine")
    form = client.get("/admin/student-choice/costs").get_data(as_text=True)
    assert 'value="40.00"' in form and 'value="55"' in form
    saved = client.post(
        "/admin/student-choice/costs",
        data={
            "low_cost_threshold": "$50",
            "coverage_target_percent": "65",
            "low_cost_criteria_url": "https://www.example.edu/course-materials/low-cost",
        },
    )
    assert saved.status_code == 303
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert (inst.low_cost_threshold, inst.coverage_target_percent) == (Decimal("50.00"), 65)
        [entry] = _audit("institution.cost_disclosure")
        assert entry.before == {"low_cost_threshold": "40.00", "coverage_target_percent": 55}
        assert entry.after == {"low_cost_threshold": "50.00", "coverage_target_percent": 65}
    again = client.post(
        "/admin/student-choice/costs",
        data={
            "low_cost_threshold": "50.00",
            "coverage_target_percent": "65",
            "low_cost_criteria_url": "https://www.example.edu/course-materials/low-cost",
        },
    )
    assert "Cost disclosure settings unchanged." in text_of(client.get(again.headers["Location"]))
    with app.app_context():
        assert len(_audit("institution.cost_disclosure")) == 1
    assert "Cost disclosure settings changed" in text_of(client.get("/admin/audit"))
    cleared = client.post(
        "/admin/student-choice/costs",
        data={"low_cost_threshold": "", "low_cost_criteria_url": "", "coverage_target_percent": "65"},
    )
    assert cleared.status_code == 303  # no threshold: no "Low cost" label, and no criteria needed
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert (inst.low_cost_threshold, inst.low_cost_criteria_url) == (None, None)


@pytest.mark.parametrize(
    "values,field_message",
    [
        ({"low_cost_threshold": "-1"}, "The amount can't be negative."),
        ({"low_cost_threshold": "40.001"}, "Enter at most two decimals"),
        ({"low_cost_threshold": "10000.01"}, "The low-cost threshold can be at most $10,000.00."),
        ({"low_cost_threshold": "forty"}, "Enter the amount as a number of dollars"),
        (
            {"low_cost_criteria_url": "javascript:alert(1)"},
            "The criteria link must be a web address starting with https://",
        ),
        ({"low_cost_criteria_url": ""}, "Link to the criteria of your “Low cost” label"),
        ({"coverage_target_percent": "101"}, "Enter a whole number from 0 to 100."),
        ({"coverage_target_percent": "-1"}, "Enter a whole number from 0 to 100."),
        ({"coverage_target_percent": "half"}, "Enter a whole number from 0 to 100."),
        ({"coverage_target_percent": ""}, "Enter a whole number from 0 to 100."),
    ],
)
def test_bad_settings_are_refused_and_nothing_saved(app, login_as, values, field_message):
    client = login_as("katherine")
    data = {
        "low_cost_threshold": "40.00",
        "low_cost_criteria_url": "https://www.example.edu/x",
        "coverage_target_percent": "55",
    } | values
    response = client.post("/admin/student-choice/costs", data=data)
    assert response.status_code == 422
    assert field_message in text_of(response) and "Nothing was saved" in text_of(response)
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert (inst.low_cost_threshold, inst.coverage_target_percent) == (Decimal("40.00"), 55)
        assert _audit("institution.cost_disclosure") == []


@pytest.mark.parametrize("path", ["/admin/student-choice/costs", "/admin/student-choice/terms/1/registration"])
@pytest.mark.parametrize("who", ["ada", "grace", "mary"])
def test_only_program_administrators_change_them(login_as, who, path):
    client = login_as(who)
    assert client.get(path).status_code == 403
    assert client.post(path, data={"coverage_target_percent": "1", "opens": "2027-01-01T08:00"}).status_code == 403


# --- Registration opening per term -----------------------------------------------------------------


def _spring(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Term.id).where(Term.code == "202710")).one()


def test_a_terms_registration_opening_is_set_in_the_institutions_timezone_and_audited(app, login_as):
    client = login_as("katherine")
    term_id = _spring(app)
    assert 'type="datetime-local"' in client.get(f"/admin/student-choice/terms/{term_id}/registration").get_data(
        as_text=True
    )
    saved = client.post(f"/admin/student-choice/terms/{term_id}/registration", data={"opens": "2026-11-02T08:00"})
    assert saved.status_code == 303
    with app.app_context():
        term = db.session.get(Term, term_id)
        assert term.registration_opens_at == datetime(2026, 11, 2, 14, 0, tzinfo=timezone.utc)  # 08:00 CST
        [entry] = _audit("term.registration_opens")
        assert entry.after == {"registration_opens_at": "2026-11-02T14:00:00+00:00"}
    same = client.post(f"/admin/student-choice/terms/{term_id}/registration", data={"opens": "2026-11-02T08:00"})
    assert "Spring 2027 registration opening unchanged." in text_of(client.get(same.headers["Location"]))
    cleared = client.post(f"/admin/student-choice/terms/{term_id}/registration", data={"opens": ""})
    assert cleared.status_code == 303
    with app.app_context():
        assert db.session.get(Term, term_id).registration_opens_at is None
        assert len(_audit("term.registration_opens")) == 2


@pytest.mark.parametrize("value", ["tomorrow", "2027-02-30T08:00", "2027-13-01T08:00", "x" * 41])
def test_a_bad_registration_opening_saves_nothing(app, login_as, value):
    client = login_as("katherine")
    term_id = _spring(app)
    with app.app_context():
        before = db.session.get(Term, term_id).registration_opens_at
    response = client.post(f"/admin/student-choice/terms/{term_id}/registration", data={"opens": value})
    assert response.status_code == 422 and "Nothing was saved" in text_of(response)
    with app.app_context():
        assert db.session.get(Term, term_id).registration_opens_at == before
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AdminAuditEntry)
                .where(AdminAuditEntry.kind == "term.registration_opens")
            )
            == 0
        )


def test_an_unknown_term_is_a_404(login_as):
    assert login_as("katherine").get("/admin/student-choice/terms/999999/registration").status_code == 404

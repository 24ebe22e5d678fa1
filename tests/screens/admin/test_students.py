"""The back office's Student choice settings and Students pages (docs/spec.md §3 "Back office")."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from orders.domain.models import (
    AdminAuditEntry,
    ChoiceEvent,
    ChoiceValue,
    Institution,
    OutboundEmail,
    ProgramMode,
    Term,
)
from orders.extensions import db
from orders.worker.delivery import render
from tests.helpers import sign_in, text_of
from tests.screens.students.test_materials import CALCULUS, counts, ids, stored


@pytest.fixture
def admin(client, demo_data):
    sign_in(client, "katherine")
    return client


def demo_now(app):
    return datetime.now(timezone.utc)


def spring(app) -> Term:
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        db.session.expunge(term)
        return term


def audit(app, kind: str) -> list[AdminAuditEntry]:
    with app.app_context():
        entries = list(db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == kind)))
        for e in entries:
            db.session.expunge(e)
        return entries


def test_the_tab_bar_has_student_choice_and_students(admin):
    html = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/student-choice"' in html and 'href="/admin/students"' in html


def test_settings_are_saved_and_audited_with_only_the_changed_fields(app, admin):
    page = text_of(admin.get("/admin/student-choice"))
    assert "Spring 2027" in page and "Open" in page and "Publish course materials" in page
    response = admin.post(
        "/admin/student-choice",
        data={
            "program_mode": "opt-in",
            "consent_text": "New consent.",
            "at_risk_threshold_percent": "20",
            "publish_course_materials": "y",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert (
            inst.program_mode is ProgramMode.OPT_IN
            and inst.consent_text == "New consent."
            and inst.publish_course_materials
        )
    [entry] = audit(app, "institution.student_choice")
    assert entry.before.keys() == entry.after.keys() == {"program_mode", "consent_text"}
    assert entry.before["program_mode"] == "opt-out" and entry.after["program_mode"] == "opt-in"


@pytest.mark.parametrize(
    "field,value,words",
    [
        ("at_risk_threshold_percent", "101", "Enter a whole number from 0 to 100."),
        ("at_risk_threshold_percent", "ten", "Enter a whole number from 0 to 100."),
        ("program_mode", "sometimes", "Not a valid choice"),
    ],
)
def test_bad_settings_save_nothing(app, admin, field, value, words):
    data = {"program_mode": "opt-in", "consent_text": "x", "at_risk_threshold_percent": "30", field: value}
    response = admin.post("/admin/student-choice", data=data)
    assert response.status_code == 422 and words in text_of(response) and "Nothing was saved" in text_of(response)
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert inst.program_mode is ProgramMode.OPT_OUT and inst.at_risk_threshold_percent == 20
    assert audit(app, "institution.student_choice") == []


def test_a_choice_window_is_entered_in_the_institution_timezone_and_audited(app, admin):
    term = spring(app)
    url = f"/admin/student-choice/terms/{term.id}"
    assert admin.get(url).status_code == 200
    response = admin.post(url, data={"opens": "2027-01-11T08:00", "closes": "2027-01-25T17:00"})
    assert response.status_code == 303
    saved = spring(app)
    assert saved.choice_opens_at.isoformat() == "2027-01-11T14:00:00+00:00"  # America/Chicago, CST
    assert saved.choice_closes_at.isoformat() == "2027-01-25T23:00:00+00:00"
    [entry] = audit(app, "term.choice_window")
    assert entry.after == {
        "choice_opens_at": "2027-01-11T14:00:00+00:00",
        "choice_closes_at": "2027-01-25T23:00:00+00:00",
    }
    assert admin.post(url, data={"opens": "", "closes": ""}).status_code == 303  # cleared: no window
    assert spring(app).choice_opens_at is None


@pytest.mark.parametrize(
    "opens,closes,words",
    [
        ("2027-01-25T17:00", "2027-01-11T08:00", "The choice window must open before it closes."),
        ("2027-01-11T08:00", "2027-01-11T08:00", "The choice window must open before it closes."),
        ("2027-01-11T08:00", "", "Enter both times, or leave both empty"),
        ("tomorrow", "2027-01-11T08:00", "Enter a date and time like"),
        ("2027-03-14T02:30", "2027-03-20T08:00", "does not exist in America/Chicago"),
    ],
)
def test_a_bad_window_saves_nothing(app, admin, opens, closes, words):
    before = spring(app)
    response = admin.post(f"/admin/student-choice/terms/{before.id}", data={"opens": opens, "closes": closes})
    assert response.status_code == 422 and words in text_of(response) and "Nothing was saved" in text_of(response)
    after = spring(app)
    assert (after.choice_opens_at, after.choice_closes_at) == (before.choice_opens_at, before.choice_closes_at)
    assert audit(app, "term.choice_window") == []


@pytest.mark.parametrize("query", ["somerville", "MARY@demo", "910001"])
def test_students_are_found_by_name_email_or_sis_id(admin, query):
    text = text_of(admin.get(f"/admin/students?q={query}"))
    assert "Mary Somerville" in text and "1 student match" in text


def test_staff_are_not_students(admin):
    assert "No student matches" in text_of(admin.get("/admin/students?q=lovelace"))
    assert "No student matches" in text_of(admin.get("/admin/students?q=%25"))  # LIKE wildcards are literal


def test_the_student_page_as_they_see_it_with_change_choice(app, admin):
    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    text = text_of(admin.get(f"/admin/students/{mary['student']}"))
    assert "Mary Somerville" in text and "Included — $89.99 will be charged to your student account" in text
    assert "Total to be charged for Spring 2027: $240.24" in text and text.count("Change choice for") == 3
    assert admin.get("/admin/students/2147483647").status_code == 404
    ada = ids(app, "ada@demo.edu", "MATH", "221", "001", CALCULUS)
    assert admin.get(f"/admin/students/{ada['student']}").status_code == 404  # not a student


def test_a_program_administrator_changes_a_choice_with_a_reason_any_time(app, admin):
    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    with app.app_context():  # after the window: students can no longer choose, a PA still can
        term = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        term.choice_opens_at, term.choice_closes_at = (
            demo_now(app) - timedelta(days=10),
            demo_now(app) - timedelta(days=1),
        )
        db.session.commit()
    url = f"/admin/students/{mary['student']}/{mary['section']}/{mary['item']}/choice"
    prompt = admin.get(url)
    assert prompt.status_code == 200 and "Reason" in text_of(prompt)
    before = counts(app)
    refused = admin.post(url, data={"student": mary["student"], "version": 0, "reason": "   "})
    assert refused.status_code == 422 and "Enter a reason" in text_of(refused) and counts(app) == before
    hx = admin.post(url, data={"student": mary["student"], "version": 0, "reason": ""}, headers={"HX-Request": "true"})
    assert hx.status_code == 422 and hx.headers["HX-Retarget"] == f"#prompt-{mary['section']}-{mary['item']}"
    assert "Enter a reason" in text_of(hx) and "<html" not in hx.get_data(as_text=True) and counts(app) == before
    done = admin.post(url, data={"student": mary["student"], "version": 0, "reason": "Financial aid covers it"})
    assert done.status_code == 303 and stored(app, mary) == (ChoiceValue.OPTED_OUT, 1)
    assert "Mary Somerville's choice for" in text_of(admin.get(done.headers["Location"]))
    [entry] = audit(app, "choice.changed")
    assert entry.after == {"choice": "opted_out", "reason": "Financial aid covers it"} and entry.before == {
        "choice": "included"
    }
    with app.app_context():
        event = db.session.scalars(select(ChoiceEvent).order_by(ChoiceEvent.id.desc())).first()
        assert event.reason == "Financial aid covers it" and event.actor_id != mary["student"]
        email = db.session.scalars(select(OutboundEmail).where(OutboundEmail.choice_event_id == event.id)).one()
        text, _ = render(email)
    assert (
        email.recipient == "mary@demo.edu"
        and "Changed by: Katherine Johnson" in text
        and "Reason: Financial aid covers it" in text
    )


def test_a_forged_student_in_the_admin_form_is_refused(app, admin):
    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    sofia = ids(app, "sofia@demo.edu", "MATH", "221", "002", CALCULUS)
    url = f"/admin/students/{mary['student']}/{mary['section']}/{mary['item']}/choice"
    before = counts(app)
    assert admin.post(url, data={"student": sofia["student"], "version": 0, "reason": "x"}).status_code == 403
    assert counts(app) == before


def test_instructors_and_students_cannot_use_the_back_office(app, client, demo_data):
    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    before = counts(app)
    for who in ("ada", "mary"):
        sign_in(client, who)
        for url in ("/admin/student-choice", "/admin/students", f"/admin/students/{mary['student']}"):
            assert client.get(url).status_code == 403, (who, url)
        assert (
            client.post(
                f"/admin/students/{mary['student']}/{mary['section']}/{mary['item']}/choice",
                data={"student": mary["student"], "version": 0, "reason": "x"},
            ).status_code
            == 403
        )
        client.post("/sign-out")
    assert counts(app) == before

"""The student's Course materials page and every choice route (docs/spec.md §3 "Course materials (students)")."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders import clock
from orders.domain.models import (
    CatalogItem,
    ChoiceEvent,
    ChoiceValue,
    Course,
    Institution,
    Order,
    OrderLine,
    OrderStatus,
    OutboundEmail,
    ProgramMode,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.extensions import db
from orders.worker.delivery import render
from tests.helpers import sign_in, text_of

CALCULUS = "Calculus: Early Transcendentals"


def ids(app, email: str, subject: str, number: str, label: str, title: str) -> dict:
    """The student's id, the section's id and the item's id."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        section = db.session.scalars(
            select(Section).join(Course).join(Term, Term.id == Section.term_id)
            .where(Course.subject == subject, Course.number == number, Section.label == label, Term.code == "202710")
        ).one()
        item = db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()
        return {"student": user.id, "section": section.id, "item": item.id}


@pytest.fixture
def mary(app, demo_data):
    return ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)


def choice_url(x: dict) -> str:
    return f"/student/materials/{x['section']}/{x['item']}/choice"


def counts(app) -> tuple[int, int, int]:
    """(choice rows, choice events, receipts) in the database."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(StudentChoice)),
            db.session.scalar(select(func.count()).select_from(ChoiceEvent)),
            db.session.scalar(
                select(func.count()).select_from(OutboundEmail).where(OutboundEmail.kind == "choice_receipt")
            ),
        )


def stored(app, x: dict):
    with app.app_context():
        row = db.session.scalars(
            select(StudentChoice).where(
                StudentChoice.user_id == x["student"],
                StudentChoice.section_id == x["section"],
                StudentChoice.catalog_item_id == x["item"],
            )
        ).first()
        return None if row is None else (row.choice, row.version)


def form_values(html: str) -> dict:
    return {
        name: re.search(rf'name="{name}" type="hidden" value="(\d+)"', html).group(1) for name in ("student", "version")
    }


# --- Profiles and the header ----------------------------------------------------------------------


def test_a_pure_student_lands_on_course_materials_and_sees_no_staff_links(client, demo_data):
    response = client.post("/sign-in", data={"email": "mary@demo.edu", "password": "orders-demo"})
    assert response.status_code == 303
    landing = client.get(response.headers["Location"])
    assert landing.status_code == 303 and landing.headers["Location"] == "/student/materials"
    page = client.get("/student/materials")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Course materials" in html
    for staff_link in ("Order history", ">Courses<", "Content requests", "Administration"):
        assert staff_link not in html


def test_a_student_who_teaches_gets_one_merged_header(app, client, demo_data):
    """A teaching assistant: Courses and Course materials side by side; both screens open."""
    with app.app_context():
        alan = demo_data.user("alan")
        section = db.session.scalars(
            select(Section).join(Course).where(Course.subject == "MATH", Section.label == "003")
        ).first()
        from orders.domain.models import Enrollment, EnrollmentState

        db.session.add(
            Enrollment(
                user_id=alan.id, section_id=section.id, state=EnrollmentState.ENROLLED, enrolled_at=demo_data.now
            )
        )
        db.session.commit()
    sign_in(client, "alan")
    html = client.get("/").get_data(as_text=True)
    assert ">Courses<" in html and "Course materials" in html and "Order history" in html
    assert client.get("/student/materials").status_code == 200


def test_staff_without_enrollments_get_a_clear_403_on_the_student_page(client, demo_data):
    sign_in(client, "ada")
    response = client.get("/student/materials")
    assert response.status_code == 403 and "no enrollments" in text_of(response)
    assert "Course materials" not in client.get("/").get_data(as_text=True)


# --- The page -----------------------------------------------------------------------------------------


def test_the_page_shows_each_section_material_state_total_and_deadline(client, demo_data):
    sign_in(client, "mary")
    text = text_of(client.get("/student/materials"))
    assert "Spring 2027" in text and "Choose by " in text
    assert "MATH 221 Calculus I" in text and "Section 001 · Regular Academic Session · Instructor: Ada Lovelace" in text
    assert f"{CALCULUS} James Stewart" in text and "ISBN 9780357693544 · eText · Required · $89.99" in text
    assert "Included — $89.99 will be charged to your student account" in text
    assert "Automata, Computability and Complexity" in text and "Recommended · $58.00" in text
    assert "Total to be charged for Spring 2027: $240.24" in text  # 89.99 + 92.25 + 58.00
    assert text.count("Opt out for") == 3


def test_a_dropped_section_and_a_section_without_an_order(client, demo_data):
    """Sofia dropped CS 310 001 (not charged, says so, no buttons); CS 150 001 has no order yet."""
    sign_in(client, "sofia")
    text = text_of(client.get("/student/materials"))
    assert "You dropped this section on " in text and "you will not be charged for its materials" in text
    assert "Not charged — you dropped this section" in text
    assert "Your instructor has not chosen materials yet" in text
    assert "Total to be charged for Spring 2027: $89.99" in text  # MATH 221 002 only
    assert text.count("Opt out for") == 1


def test_no_materials_needed_is_said(app, client, demo_data):
    with app.app_context():
        from orders.domain.models import NoMaterialsAnswer

        x = ids(app, "sofia@demo.edu", "CS", "150", "001", CALCULUS)
        db.session.add(
            NoMaterialsAnswer(
                section_id=x["section"], answered_by_id=demo_data.user("ada").id, answered_at=demo_data.now
            )
        )
        db.session.commit()
    sign_in(client, "sofia")
    text = text_of(client.get("/student/materials"))
    assert "No materials needed" in text and "has not chosen materials yet" not in text


def test_a_zero_cost_line_is_free_and_offers_no_choice(app, client, mary):
    with app.app_context():
        oer = db.session.scalars(select(CatalogItem).where(CatalogItem.zero_cost.is_(True))).first()
        order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
        db.session.add(OrderLine(order_id=order.id, catalog_item_id=oer.id, position=5, student_price=Decimal("0.00")))
        db.session.commit()
        oer_id = oer.id
    sign_in(client, "mary")
    text = text_of(client.get("/student/materials"))
    assert "Calculus Volume 1" in text and "Free (no charge)" in text and "Opt out for Calculus Volume 1" not in text
    url = f"/student/materials/{mary['section']}/{oer_id}/choice"
    assert "free (no charge): there is nothing to choose" in text_of(client.get(url, follow_redirects=True))
    before = counts(app)
    response = client.post(url, data={"student": mary["student"], "version": 0})
    assert response.status_code == 303 and counts(app) == before


def test_the_term_select_lists_terms_with_enrollments_and_unknown_codes_fall_back(client, demo_data):
    sign_in(client, "mary")
    assert "Spring 2027" in text_of(client.get("/student/materials?term=nope"))
    assert client.get("/student/materials?term=" + "9" * 500).status_code == 200


# --- Opting out and back in ---------------------------------------------------------------------------


def test_opt_out_then_back_in_without_javascript(app, client, mary):
    sign_in(client, "mary")
    rows, events, receipts = counts(app)
    prompt = client.get(choice_url(mary))
    text = text_of(prompt)
    assert prompt.status_code == 200
    assert f"Opt out: {CALCULUS}?" in text and "$89.99" in text and "You can change this choice until " in text
    assert "you lose access to them" in text  # the institution's consent text
    response = client.post(choice_url(mary), data=form_values(prompt.get_data(as_text=True)))
    assert response.status_code == 303 and response.headers["Location"] == "/student/materials?term=202710"
    page = client.get(response.headers["Location"])
    text = text_of(page)
    assert 'role="status"' in page.get_data(as_text=True)
    assert f"You opted out of {CALCULUS}: you will not be charged $89.99." in text
    assert "You opted out — you will not be charged and lose access on " in text
    assert "Total to be charged for Spring 2027: $150.25" in text
    assert stored(app, mary) == (ChoiceValue.OPTED_OUT, 1) and counts(app) == (rows + 1, events + 1, receipts + 1)

    prompt = client.get(choice_url(mary))
    assert f"Opt back in: {CALCULUS}?" in text_of(prompt)
    client.post(choice_url(mary), data=form_values(prompt.get_data(as_text=True)))
    assert stored(app, mary) == (ChoiceValue.OPTED_IN, 2)
    assert "Total to be charged for Spring 2027: $240.24" in text_of(client.get("/student/materials"))
    assert counts(app) == (rows + 1, events + 2, receipts + 2)


def test_htmx_gets_the_prompt_and_then_the_materials_with_a_banner(app, client, mary):
    sign_in(client, "mary")
    hx = {"HX-Request": "true"}
    prompt = client.get(choice_url(mary), headers=hx)
    html = prompt.get_data(as_text=True)
    assert prompt.status_code == 200 and html.lstrip().startswith("{#") is False and "<html" not in html
    assert 'role="alertdialog"' in html and "autofocus" in html and 'hx-post="' in html
    response = client.post(choice_url(mary), data=form_values(html), headers=hx)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="student-materials"' in body and "<html" not in body
    assert 'role="status"' in body and "Opt back in" in body


def test_the_receipt_lists_section_item_price_state_who_when_and_total(app, client, mary):
    sign_in(client, "mary")
    client.post(choice_url(mary), data={"student": mary["student"], "version": 0})
    with app.app_context():
        email = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "choice_receipt")).one()
        event = db.session.scalars(select(ChoiceEvent).order_by(ChoiceEvent.id.desc())).first()
        assert email.recipient == "mary@demo.edu" and email.choice_event_id == event.id
        assert email.subject == f"Your choice is saved — MATH 221 001 {CALCULUS}, Spring 2027"
        text, html = render(email)
    for part in (text, html):
        assert "MATH 221 001 Calculus I" in part and CALCULUS in part and "9780357693544" in part and "$89.99" in part
        assert "Opted out" in part and "Mary Somerville" in part and "$150.25" in part
        assert "not charged) — you will not be charged" not in part  # issue 37 item 11: the state said twice
    assert "Now: Opted out — you will not be charged\n" in text
    assert "Changed by: Mary Somerville" in text and "When: " in text


def test_a_double_submit_or_second_tab_changes_once_with_a_calm_notice(app, client, mary):
    sign_in(client, "mary")
    values = form_values(client.get(choice_url(mary)).get_data(as_text=True))
    client.post(choice_url(mary), data=values)
    before = counts(app)
    second = client.post(choice_url(mary), data=values)
    assert second.status_code == 303
    assert "was already changed" in text_of(client.get(second.headers["Location"]))
    assert counts(app) == before and stored(app, mary) == (ChoiceValue.OPTED_OUT, 1)
    third = client.post(choice_url(mary), data=values, headers={"HX-Request": "true"})  # a third tab, with htmx
    assert third.status_code == 200 and "was already changed" in text_of(third) and counts(app) == before


def test_a_choice_one_second_after_the_close_is_refused_with_the_closing_time(app, client, mary, monkeypatch):
    closes = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=2)
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        term.choice_closes_at = closes
        db.session.commit()
    sign_in(client, "mary")
    values = form_values(client.get(choice_url(mary)).get_data(as_text=True))
    monkeypatch.setattr(clock, "utcnow", lambda: closes + timedelta(seconds=1))
    before = counts(app)
    response = client.post(choice_url(mary), data=values)
    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"]))
    assert "Choices for Spring 2027 closed on " in page and "Nothing was changed" in page
    assert "Choices closed on " in page and "Opt out for" not in page  # read-only now
    assert counts(app) == before and stored(app, mary) is None
    assert client.get(choice_url(mary)).status_code == 303  # no prompt either
    stale = client.get(choice_url(mary), headers={"HX-Request": "true"})  # a stale button, with htmx
    assert stale.status_code == 409 and stale.headers["HX-Retarget"] == "#student-materials"
    assert "closed on" in text_of(stale) and counts(app) == before


@pytest.mark.parametrize("case", ["not enrolled", "dropped", "not on the order", "canceled order", "unknown section"])
def test_refusals_change_nothing(app, client, mary, case):
    sofia_dropped = ids(app, "sofia@demo.edu", "CS", "310", "001", "Introduction to the Theory of Computation")
    target = {
        "not enrolled": ids(app, "mary@demo.edu", "MATH", "221", "002", CALCULUS),
        "dropped": sofia_dropped,
        "not on the order": ids(app, "mary@demo.edu", "MATH", "221", "001", "Python Crash Course"),
        "canceled order": mary,
        "unknown section": {**mary, "section": 2**31 - 1},
    }[case]
    who = "sofia" if case == "dropped" else "mary"
    if case == "canceled order":
        with app.app_context():
            order = db.session.scalars(select(Order).where(Order.number == 1001)).one()
            order.status, order.canceled_at = OrderStatus.CANCELED, datetime.now(timezone.utc)
            db.session.commit()
    sign_in(client, who)
    student = ids(app, f"{who}@demo.edu", "MATH", "221", "001", CALCULUS)["student"]
    before = counts(app)
    response = client.post(choice_url(target), data={"student": student, "version": 0})
    assert response.status_code == 303
    words = {
        "not enrolled": "You are not enrolled in this section.",
        "dropped": "This section was dropped",
        "not on the order": "not on the placed order for this section",
        "canceled order": "Order #1001 for this section was canceled",
        "unknown section": "You are not enrolled in this section.",
    }[case]
    assert words in text_of(client.get(response.headers["Location"]))
    assert counts(app) == before
    assert (
        client.post(
            choice_url(target), data={"student": student, "version": 0}, headers={"HX-Request": "true"}
        ).status_code
        == 409
    )


def test_a_forged_student_id_is_refused(app, client, mary):
    sofia = ids(app, "sofia@demo.edu", "MATH", "221", "002", CALCULUS)
    sign_in(client, "mary")
    before = counts(app)
    response = client.post(choice_url(mary), data={"student": sofia["student"], "version": 0})
    assert response.status_code == 403 and counts(app) == before
    # Mary cannot reach Sofia's line through her own URL either: she is not enrolled in it.
    assert "not enrolled" in text_of(client.get(choice_url(sofia), follow_redirects=True))


def test_a_post_without_its_fields_is_refused(app, client, mary):
    sign_in(client, "mary")
    before = counts(app)
    assert client.post(choice_url(mary), data={"version": "x"}).status_code == 303
    assert counts(app) == before


def test_the_choice_form_needs_its_csrf_token(app, client, mary, request):
    sign_in(client, "mary")
    request.getfixturevalue("csrf_on")
    before = counts(app)
    client.post(choice_url(mary), data={"student": mary["student"], "version": 0})
    assert counts(app) == before


def test_opt_in_mode_offers_opt_in_and_withdraw(app, client, mary):
    with app.app_context():
        db.session.scalars(select(Institution)).one().program_mode = ProgramMode.OPT_IN
        db.session.commit()
    sign_in(client, "mary")
    text = text_of(client.get("/student/materials"))
    assert "Not opted in — you will not be charged" in text and "Opt in for" in text
    assert "Total to be charged for Spring 2027: $0.00" in text
    client.post(choice_url(mary), data={"student": mary["student"], "version": 0})
    text = text_of(client.get("/student/materials"))
    assert "Opted in — $89.99 will be charged to your student account" in text and f"Withdraw for {CALCULUS}" in text
    assert "Total to be charged for Spring 2027: $89.99" in text


def test_staff_routes_answer_a_pure_student_403(client, demo_data):
    sign_in(client, "mary")
    for url in ("/orders/1001", "/instructors", "/admin/", "/admin/students", "/content-requests"):
        response = client.get(url)
        assert response.status_code in (403, 404), url


# --- Staff side -----------------------------------------------------------------------------------------


def test_the_order_summary_counts_students_per_section(app, client, mary):
    sign_in(client, "mary")
    client.post(choice_url(mary), data={"student": mary["student"], "version": 0})
    client.post("/sign-out")
    sign_in(client, "ada")
    html = client.get("/orders/1001").get_data(as_text=True)
    # The cells under the "Students" header (and, stacked on a phone, beside that label) do not repeat it.
    assert '<td data-label="Students">7 enrolled, 3 opted out</td>' in html  # MATH 221 001: 2 demo opt-outs and Mary
    assert '<td data-label="Students">7 enrolled, 2 opted out</td>' in html  # MATH 221 002
    assert "Students: " not in html


def test_opt_in_mode_counts_opt_ins(app, client, demo_data):
    with app.app_context():
        db.session.scalars(select(Institution)).one().program_mode = ProgramMode.OPT_IN
        db.session.commit()
    sign_in(client, "ada")
    assert '<td data-label="Students">7 enrolled, 0 opted in</td>' in client.get("/orders/1001").get_data(as_text=True)


def test_a_student_signed_in_by_the_campus_sign_on_lands_on_course_materials(app, client, demo_data, monkeypatch):
    """The same sign-in as everyone (docs/spec.md §6a header mode): "/" sends a pure student to their page."""
    from tests.screens.auth.test_sso_header import PROXY, via_proxy

    monkeypatch.setitem(app.config, "AUTH_MODE", "both")
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", PROXY)
    monkeypatch.setitem(app.config, "AUTH_HEADER", "X-Remote-User")
    response = via_proxy(client, "/", "mary@demo.edu")
    assert response.status_code == 303 and response.headers["Location"] == "/student/materials"
    page = via_proxy(client, "/student/materials", "mary@demo.edu")
    assert page.status_code == 200 and "Signed in as Mary Somerville" in text_of(page)
    assert via_proxy(client, "/orders/1001", "mary@demo.edu").status_code == 403


def test_a_choice_and_its_receipt_commit_together(app, client, mary, monkeypatch):
    """When the receipt cannot be written, the choice and its event roll back with it."""
    from orders.domain.students import choosing as services

    def broken(**_):
        raise RuntimeError("the outbox is unavailable")

    sign_in(client, "mary")
    before = counts(app)
    monkeypatch.setattr(services, "outbox_row", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.post(choice_url(mary), data={"student": mary["student"], "version": 0})
    assert response.status_code == 500
    assert counts(app) == before and stored(app, mary) is None


@pytest.mark.parametrize(
    "window,words", [("unset", "Choices for Spring 2027 are not open yet"), ("upcoming", "Choices open on ")]
)
def test_before_the_window_students_see_their_materials_but_cannot_choose(app, client, mary, window, words):
    with app.app_context():
        term = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        if window == "unset":
            term.choice_opens_at = term.choice_closes_at = None
        else:
            term.choice_opens_at = datetime.now(timezone.utc) + timedelta(days=1)
        db.session.commit()
    sign_in(client, "mary")
    text = text_of(client.get("/student/materials"))
    assert words in text and "Included — $89.99 will be charged" in text and "Opt out for" not in text
    before = counts(app)
    assert client.post(choice_url(mary), data={"student": mary["student"], "version": 0}).status_code == 303
    assert counts(app) == before


def test_the_prompt_heading_sits_under_its_line_inline_and_under_the_title_on_its_own_page(client, mary):
    """Issue 37 item 12: inline (htmx) the prompt is under the line's h4; its own page has an h1 above it."""
    sign_in(client, "mary")
    inline = client.get(choice_url(mary), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'<h5 id="choice-title">Opt out: ', inline) and "<h2" not in inline
    page = client.get(choice_url(mary)).get_data(as_text=True)
    assert "<h1" in page and re.search(r'<h2 id="choice-title">Opt out: ', page)

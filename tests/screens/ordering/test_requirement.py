"""Required / Recommended per line (issue 25): chosen on the materials step when ordering and when editing,
stored on the line, shown on the summary, in receipts, in the edited event and the "Order changed" email."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from orders.domain.models import EventKind, Order, OrderLine, OutboundEmail, Requirement
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.helpers import open_every_organization, text_of
from tests.screens.ordering.test_ordering import place, ready_draft
from tests.screens.orders.test_edit import events_of, follow, item_id, version_on


@pytest.fixture
def demo_data(demo_data, app):
    """The demo with every organization `open`: these tests are about editing and ordering itself; with the demo's
    Mathematics under `approval` its edits would wait for an approver (that is tested in tests/screens/approvals)."""
    open_every_organization(app)
    return demo_data

HX = {"HX-Request": "true"}


def _line(app, order_id: int, title_item: int) -> OrderLine:
    with app.app_context():
        return db.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order_id, OrderLine.catalog_item_id == title_item)
        ).one()


def _mail_text(app, subject_start: str) -> str:
    with app.app_context():
        mail = db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.subject.startswith(subject_start)).order_by(OutboundEmail.id.desc())
        ).first()
        return render_email(mail)[0] if mail.snapshot else mail.body_text


def test_a_draft_line_defaults_to_required_and_can_be_recommended_without_javascript(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    python = item_id(app, "Python Crash Course")
    page = client.get(f"/ordering/drafts/{draft_id}/materials").get_data(as_text=True)
    assert f'id="requirement-{python}" name="requirement"' in page
    assert '<option value="required" selected>Required</option>' in page
    assert _line(app, draft_id, python).requirement is Requirement.REQUIRED

    response = client.post(
        f"/ordering/drafts/{draft_id}/items/{python}/requirement", data={"requirement": "recommended"}
    )
    assert response.status_code == 303
    assert "Python Crash Course is recommended." in text_of(client.get(response.headers["Location"]))
    assert _line(app, draft_id, python).requirement is Requirement.RECOMMENDED
    assert "Recommended" in text_of(client.get(f"/ordering/drafts/{draft_id}/review"))

    placed = place(client, draft_id)
    assert placed.status_code == 303
    summary = text_of(client.get(placed.headers["Location"]))
    assert "Required or recommended" in summary and "Python Crash Course" in summary and "$29.99 Recommended" in summary
    assert "Python Crash Course (ISBN 9781718502703) — $29.99 — Recommended" in _mail_text(app, "Order #")


def test_htmx_sets_the_requirement_in_place_and_bad_values_change_nothing(login_as, app):
    client = login_as("ada")
    draft_id = ready_draft(client, app)
    python = item_id(app, "Python Crash Course")
    swapped = client.post(
        f"/ordering/drafts/{draft_id}/items/{python}/requirement", data={"requirement": "recommended"}, headers=HX
    )
    assert swapped.status_code == 200
    html = swapped.get_data(as_text=True)
    assert 'id="materials-work"' in html and '<option value="recommended" selected>Recommended</option>' in html
    for bad in ("optional", "", "REQUIRED"):
        refused = client.post(
            f"/ordering/drafts/{draft_id}/items/{python}/requirement", data={"requirement": bad}, headers=HX
        )
        assert refused.status_code == 422 and "Choose Required or Recommended." in text_of(refused)
    assert _line(app, draft_id, python).requirement is Requirement.RECOMMENDED
    missing = client.post(f"/ordering/drafts/{draft_id}/items/999999/requirement", data={"requirement": "required"})
    assert missing.status_code == 303
    assert "That item is not on this order." in text_of(client.get(missing.headers["Location"]))


def test_an_edit_that_only_changes_a_requirement_is_a_change(login_as, app):
    client = login_as("ada")
    stewart = item_id(app, "Calculus: Early Transcendentals")
    with app.app_context():
        order_id = db.session.scalars(select(Order.id).where(Order.number == 1001)).one()
    response = client.post(f"/orders/1001/edit/items/{stewart}/requirement", data={"requirement": "recommended"})
    assert response.status_code == 303
    edit_page = client.get("/orders/1001/edit")
    assert "Mark Calculus: Early Transcendentals recommended (was required)" in text_of(edit_page)
    assert _line(app, order_id, stewart).requirement is Requirement.REQUIRED  # nothing applied before submit

    page = follow(
        client,
        client.post(
            "/orders/1001/edit/submit", data={"version": version_on(edit_page.get_data(as_text=True)), "royalty": "no"}
        ),
    )
    assert "Order #1001 was updated." in page
    assert "Marked Calculus: Early Transcendentals recommended (was required)" in page
    assert _line(app, order_id, stewart).requirement is Requirement.RECOMMENDED
    [event] = events_of(app, 1001, EventKind.EDITED)
    assert event.details["changed_requirements"] == [
        {
            "id": stewart,
            "title": "Calculus: Early Transcendentals",
            "isbn": "9780357693544",
            "from": "required",
            "to": "recommended",
        }
    ]
    body = _mail_text(app, "Order #1001 changed")
    assert "Recommended: Calculus: Early Transcendentals (ISBN 9780357693544), was required" in body
    assert "Calculus: Early Transcendentals (ISBN 9780357693544) — $89.99 — Recommended" in body
    # The public lookup shows it too.
    assert "Recommended" in text_of(client.get("/course-materials/202710/202710-MATH-221-001"))


def test_an_item_added_in_an_edit_takes_its_chosen_requirement(login_as, app):
    client = login_as("ada")
    thomas = item_id(app, "Thomas' Calculus")
    client.post("/orders/1001/edit/items", data={"item_id": str(thomas)})
    client.post(f"/orders/1001/edit/items/{thomas}/requirement", data={"requirement": "recommended"}, headers=HX)
    edit_page = client.get("/orders/1001/edit").get_data(as_text=True)
    assert "Add Thomas' Calculus (recommended)" in text_of(client.get("/orders/1001/edit"))
    follow(client, client.post("/orders/1001/edit/submit", data={"version": version_on(edit_page), "royalty": "no"}))
    with app.app_context():
        order_id = db.session.scalars(select(Order.id).where(Order.number == 1001)).one()
    assert _line(app, order_id, thomas).requirement is Requirement.RECOMMENDED
    [event] = events_of(app, 1001, EventKind.EDITED)
    assert event.details["changed_requirements"][0]["from"] is None


@pytest.mark.parametrize("value", ["recommended", "required"])
def test_setting_the_same_requirement_back_is_no_change(login_as, app, value):
    client = login_as("ada")
    stewart = item_id(app, "Calculus: Early Transcendentals")
    client.post(f"/orders/1001/edit/items/{stewart}/requirement", data={"requirement": value})
    client.post(f"/orders/1001/edit/items/{stewart}/requirement", data={"requirement": "required"})
    edit_page = client.get("/orders/1001/edit")
    assert "No changes yet." in text_of(edit_page)


def test_a_content_request_takes_its_requirement(login_as, app):
    from orders.domain.models import ContentRequest

    client = login_as("ada")
    draft_id = ready_draft(client, app)
    form = client.get(f"/ordering/drafts/{draft_id}/request-title").get_data(as_text=True)
    assert 'name="requirement"' in form and '<option selected value="required">Required</option>' in form
    response = client.post(
        f"/ordering/drafts/{draft_id}/request-title",
        data={"title": "Lecture Notes", "isbn": "9780306406157", "requirement": "recommended"},
    )
    assert response.status_code == 303
    assert "Content request — Submitted · Recommended" in text_of(client.get(f"/ordering/drafts/{draft_id}/materials"))
    with app.app_context():
        request_row = db.session.scalars(select(ContentRequest).where(ContentRequest.order_id == draft_id)).one()
        assert request_row.requirement is Requirement.RECOMMENDED
    bad = client.post(
        f"/ordering/drafts/{draft_id}/request-title",
        data={"title": "X", "isbn": "9781861972712", "requirement": "maybe"},
    )
    assert bad.status_code in (400, 422) and "Not a valid choice" in text_of(bad)

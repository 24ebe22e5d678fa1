"""Review through the HTTP layer (docs/spec.md §8): the Approvals screen, Approve and Return to placer on the summary
(plain forms and htmx), their refusals, repeats and races, and what an order awaiting approval counts for."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from orders.domain.models import (
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    Organization,
    OutboundEmail,
)
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.helpers import text_of

HX = {"HX-Request": "true"}
SOPHIE_ORDER = 1005  # the demo's order awaiting approval: Sophie Germain, MATH 110 001, Mathematics under `approval`


def order_row(app, number: int) -> Order:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        db.session.expunge(order)
        return order


def events(app, number: int, kind: EventKind) -> list[OrderEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(OrderEvent)
                .join(Order)
                .where(Order.number == number, OrderEvent.kind == kind)
                .order_by(OrderEvent.id)
            )
        )
        for event in found:
            db.session.expunge(event)
        return found


def emails(app) -> list[OutboundEmail]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))
        for email in found:
            db.session.expunge(email)
        return found


def state(app, number: int) -> tuple:
    """Everything a decision could change."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        count = db.session.scalar(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id))
        mail = db.session.scalar(select(func.count()).select_from(OutboundEmail))
        return order.status, order.version, order.placed_at, count, mail


def follow(client, response) -> str:
    assert response.status_code == 303, (response.status_code, text_of(response)[:300])
    return text_of(client.get(response.headers["Location"]))


# --- The Approvals screen -------------------------------------------------------------------------------------------


def test_the_approvals_screen_lists_what_awaits_the_approver(login_as, app):
    client = login_as("emmy")
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/approvals">Approvals</a>' in home
    page = text_of(client.get("/approvals"))
    assert "Showing 1–1 of 1 waiting for your decision" in page
    assert "#1005 Spring 2027 MATH 110 College Algebra 001 Sophie Germain" in page
    html = client.get("/approvals").get_data(as_text=True)
    assert 'href="/orders/1005"' in html and 'data-label="Waiting since"' in html
    # Filters live in the URL: term, organization, royalty.
    assert "Nothing waiting for you matches these filters." in text_of(client.get("/approvals?term=202630"))
    assert "Nothing waiting for you matches these filters." in text_of(client.get("/approvals?royalty=yes"))
    assert "#1005" in text_of(client.get("/approvals?royalty=no&term=202710"))
    with app.app_context():
        math, cs = (
            db.session.scalars(select(Organization.id).where(Organization.code == code)).one()
            for code in ("MATH", "CS")
        )
    assert "#1005" in text_of(client.get(f"/approvals?organization={math}"))
    assert "#1005" not in text_of(client.get(f"/approvals?organization={cs}"))
    fragment = client.get("/approvals?term=202710", headers=HX)
    assert fragment.headers["HX-Push-Url"] == "/approvals?term=202710"
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="approval-results"')
    assert "#1005" in text_of(login_as("katherine").get("/approvals"))  # a Program Administrator: everything


@pytest.mark.parametrize("user", ["ada", "grace", "sophie", "mary"])
def test_the_approvals_screen_is_only_for_approvers(login_as, user):
    client = login_as(user)
    assert client.get("/approvals").status_code == 403
    assert '<a href="/approvals">' not in client.get("/").get_data(as_text=True)


def test_a_coordinator_sees_nothing_once_the_period_closed(app, login_as, now):
    from orders.domain.models import Term

    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        spring.period.opens_at, spring.period.soft_close_at, spring.period.closes_at = (
            now.replace(year=now.year - 1),
            None,
            now.replace(year=now.year - 1) + (now - now.replace(year=now.year - 1)) / 2,
        )
        db.session.commit()
    assert "Nothing is waiting for your decision." in text_of(login_as("emmy").get("/approvals"))
    assert "#1005" in text_of(login_as("katherine").get("/approvals"))  # Program Administrators any time


# --- Approve ----------------------------------------------------------------------------------------------------------


def test_approve_without_javascript(login_as, app, now):
    client = login_as("emmy")
    summary = text_of(client.get("/orders/1005"))
    assert "Awaiting approval" in summary and "Submitted by Sophie Germain" in summary
    assert "counts nowhere" in summary
    html = client.get("/orders/1005").get_data(as_text=True)
    assert 'href="/orders/1005/approve"' in html and 'href="/orders/1005/return"' in html
    confirm = client.get("/orders/1005/approve")
    assert confirm.status_code == 200 and "Approve order #1005?" in text_of(confirm)
    assert "hx-post" not in confirm.get_data(as_text=True)  # its own page: a plain POST
    before = order_row(app, 1005)
    page = follow(client, client.post("/orders/1005/approve", data={"version": "1"}))
    assert "Order #1005 was approved. It is now placed and counts everywhere." in page
    after = order_row(app, 1005)
    assert after.status is OrderStatus.PLACED and after.version == 2
    assert (
        after.placed_at is not None and after.submitted_at == before.submitted_at < after.placed_at
    )  # on time: first submission
    [approved] = events(app, 1005, EventKind.APPROVED)
    assert approved.actor.name == "Emmy Noether"
    [mail] = emails(app)
    assert (
        mail.recipient == "sophie@demo.edu"
        and mail.subject == "Order #1005 was approved — MATH 110 College Algebra, Spring 2027"
    )
    text = render_email(mail, app).text
    assert "Emmy Noether approved your order #1005. It is now placed: this email is your receipt." in text
    assert "College Algebra (ISBN 9780135469255) — $84.99" in text and "Approved by: Emmy Noether" in text
    history = text_of(client.get("/orders/1005"))
    assert "Submitted for approval by Sophie Germain" in history and "Approved by Emmy Noether" in history


def test_approve_with_htmx(login_as, app):
    client = login_as("katherine")
    prompt = client.get("/orders/1005/approve", headers=HX)
    body = prompt.get_data(as_text=True)
    assert body.lstrip().startswith('<section class="prompt"') and 'hx-post="/orders/1005/approve"' in body
    swapped = client.post("/orders/1005/approve", data={"version": "1"}, headers=HX)
    assert swapped.status_code == 200
    html = swapped.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="order-summary"') and "Order #1005 was approved." in html
    assert order_row(app, 1005).status is OrderStatus.PLACED


def test_a_decision_made_twice_applies_once(login_as, app):
    emmy = login_as("emmy")
    follow(emmy, emmy.post("/orders/1005/approve", data={"version": "1"}))
    once = state(app, 1005)
    again = follow(emmy, emmy.post("/orders/1005/approve", data={"version": "1"}))  # back button, second tab
    assert re.search(r"Already approved by Emmy Noether on \w+ \d+, \d{4}", again)
    katherine = login_as("katherine")
    late = katherine.post("/orders/1005/return", data={"version": "1", "reason": "Too late"})
    assert "Already approved by Emmy Noether" in follow(katherine, late)
    assert katherine.get("/orders/1005/approve").status_code == 303  # the prompt, too: nothing waits any more
    assert state(app, 1005) == once


def test_a_stale_version_decides_nothing(login_as, app):
    client = login_as("emmy")
    before = state(app, 1005)
    response = client.post("/orders/1005/approve", data={"version": "7"})
    assert response.status_code == 303
    assert "This order changed while you were looking at it. Nothing was decided" in text_of(client.get("/orders/1005"))
    assert state(app, 1005) == before


def test_approving_a_withdrawn_order_is_a_calm_notice(login_as, app):
    sophie = login_as("sophie")
    assert "Cancel Order" in text_of(sophie.get("/orders/1005"))  # withdrawing is the cancel flow
    follow(sophie, sophie.post("/orders/1005/cancel", data={"version": "1"}))
    withdrawn = state(app, 1005)
    assert withdrawn[0] is OrderStatus.CANCELED
    emmy = login_as("emmy")
    page = follow(emmy, emmy.post("/orders/1005/approve", data={"version": "1"}))
    assert "This order was withdrawn (canceled) by Sophie Germain" in page
    assert state(app, 1005) == withdrawn
    with app.app_context():  # never placed: its sections are free again and the feed never saw it
        assert order_row(app, 1005).placed_at is None


# --- Return to placer, then submit again ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\u200b\u200b", "\u200b \u2060\n"])
def test_a_return_needs_a_visible_reason(login_as, app, reason):
    client = login_as("emmy")
    before = state(app, 1005)
    refused = client.post("/orders/1005/return", data={"version": "1", "reason": reason})
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Give a reason: tell the placer what to change before it can be approved." in page
    assert "Return order #1005 to Sophie Germain?" in page  # the prompt again, with the field's message
    htmx = client.post("/orders/1005/return", data={"version": "1", "reason": reason}, headers=HX)
    assert htmx.status_code == 422 and htmx.headers["HX-Retarget"] == "#cancel-prompt"
    assert 'aria-invalid="true"' in htmx.get_data(as_text=True)
    assert state(app, 1005) == before


def test_return_then_edit_and_submit_again(login_as, app):
    emmy = login_as("emmy")
    prompt = text_of(emmy.get("/orders/1005/return"))
    assert "Reason for Sophie Germain (required)" in prompt
    page = follow(
        emmy, emmy.post("/orders/1005/return", data={"version": "1", "reason": "Please use the 8th edition."})
    )
    assert "Order #1005 was returned to Sophie Germain." in page
    returned = order_row(app, 1005)
    assert returned.status is OrderStatus.RETURNED and returned.placed_at is None
    [mail] = emails(app)
    assert mail.recipient == "sophie@demo.edu" and mail.subject.startswith("Order #1005 was returned")
    assert "Please use the 8th edition." in render_email(mail, app).text
    # Sophie sees why, keeps the sections (no second order for them), and submits again from the ordering workflow.
    sophie = login_as("sophie")
    summary = text_of(sophie.get("/orders/1005"))
    assert "Returned by Emmy Noether" in summary and "Please use the 8th edition." in summary
    html = sophie.get("/orders/1005").get_data(as_text=True)
    resubmit = re.search(r'href="(/ordering/drafts/\d+/review)"[^>]*>Edit and submit again', html).group(1)
    review = sophie.get(resubmit)
    assert review.status_code == 200
    body = text_of(review)
    assert "Order #1005: MATH 110 College Algebra" in body and "Returned by Emmy Noether" in body
    assert "Did an instructor of this course write or edit any of these materials" in body
    version = re.search(r'name="version" type="hidden" value="(\d+)"', review.get_data(as_text=True)).group(1)
    unanswered = sophie.post(resubmit.replace("/review", "/place"), data={"version": version})
    assert unanswered.status_code == 422 and "Answer the question: Yes or No." in text_of(unanswered)
    assert order_row(app, 1005).status is OrderStatus.RETURNED
    again = follow(
        sophie, sophie.post(resubmit.replace("/review", "/place"), data={"version": version, "royalty": "no"})
    )
    assert "Order #1005 was submitted for approval." in again
    assert order_row(app, 1005).status is OrderStatus.AWAITING_APPROVAL
    [submitted] = [e for e in events(app, 1005, EventKind.SUBMITTED_FOR_APPROVAL) if e.details.get("resubmitted")]
    assert submitted.actor.name == "Sophie Germain"
    awaits = [m for m in emails(app) if m.recipient == "emmy@demo.edu"]
    assert [m.subject for m in awaits] == ["Order #1005 awaits your approval — MATH 110 College Algebra, Spring 2027"]
    assert "#1005 Spring 2027 MATH 110" in text_of(login_as("emmy").get("/approvals"))


def test_a_returned_order_keeps_its_sections_and_is_withdrawn_by_cancel(login_as, app):
    emmy = login_as("emmy")
    follow(emmy, emmy.post("/orders/1005/return", data={"version": "1", "reason": "Wrong book"}))
    katherine = login_as("katherine")
    courses = text_of(katherine.get("/?q=110"))
    assert "Order #1005 (returned)" in courses and "Start order" not in courses.split("MATH 110", 1)[1]
    sophie = login_as("sophie")
    discard = sophie.get(f"/ordering/drafts/{order_row(app, 1005).id}/cancel")
    assert discard.status_code == 303 and discard.headers["Location"] == "/orders/1005/cancel"
    follow(sophie, sophie.post("/orders/1005/cancel", data={"version": "2"}))
    assert order_row(app, 1005).status is OrderStatus.CANCELED
    assert "Start order" in text_of(sophie.get("/?q=110"))  # the section is free again


# --- Refusals ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user,why",
    [
        ("ada", "This order is for sections you do not teach or coordinate."),
        ("grace", "This order is for sections you do not teach or coordinate."),
        ("sophie", "Only approvers for these sections"),
    ],
)
def test_who_may_not_decide_gets_403_and_nothing_changes(login_as, app, user, why):
    client = login_as(user)
    before = state(app, 1005)
    for url, data in [
        ("/orders/1005/approve", {"version": "1"}),
        ("/orders/1005/return", {"version": "1", "reason": "No"}),
    ]:
        assert client.get(url).status_code == 403
        refused = client.post(url, data=data)
        assert refused.status_code == 403 and why in text_of(refused)
    assert state(app, 1005) == before


def test_a_coordinator_without_the_flag_may_not_decide(login_as, app):
    from orders.domain.models import CoordinatorGrant, User

    with app.app_context():
        emmy = db.session.scalars(select(User).where(User.email == "emmy@demo.edu")).one()
        for grant in db.session.scalars(select(CoordinatorGrant).where(CoordinatorGrant.user_id == emmy.id)):
            grant.may_approve = False
        db.session.commit()
    client = login_as("emmy")
    before = state(app, 1005)
    assert "Approve" not in text_of(client.get("/orders/1005")).split("History")[0].replace("approvers", "")
    assert client.post("/orders/1005/approve", data={"version": "1"}).status_code == 403
    assert client.get("/approvals").status_code == 403
    assert state(app, 1005) == before


def test_a_forged_form_with_the_attackers_own_csrf_token_is_refused(app, demo_data, csrf_on):
    """Ada has a valid session and token of her own, but may not decide #1005.

    The guard refuses before anything runs.
    """
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo", "csrf_token": token}
        ).status_code
        == 303
    )
    own = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    before = state(app, 1005)
    forged = client.post("/orders/1005/approve", data={"version": "1", "csrf_token": own})
    assert forged.status_code == 403
    assert client.post("/orders/1005/approve", data={"version": "1"}).status_code == 400  # no token at all
    assert state(app, 1005) == before


def test_an_approver_covering_only_some_sections_gets_403(app, login_as, now):
    """Emmy's grant is narrowed to MATH 221 001's campus; #1005 gains a section on another campus."""
    from orders.domain.models import Campus, CoordinatorGrant, OrderSection, Section, User
    from tests import factories as f

    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == 1005)).one()
        east = f.section(order.term, subject="MATH", number="110", label="002", campus_code="EAST", org_code="MATH")
        db.session.add(OrderSection(order_id=order.id, section_id=east.id, claimed=True))
        emmy = db.session.scalars(select(User).where(User.email == "emmy@demo.edu")).one()
        main = db.session.scalars(select(Campus).where(Campus.code == "MAIN")).one()
        for grant in db.session.scalars(select(CoordinatorGrant).where(CoordinatorGrant.user_id == emmy.id)):
            grant.campus_id = main.id
        assert db.session.get(Section, east.id).campus_id != main.id
        db.session.commit()
    client = login_as("emmy")
    before = state(app, 1005)
    refused = client.post("/orders/1005/approve", data={"version": "1"})
    assert refused.status_code == 403 and "do not cover section 002" in text_of(refused)
    assert state(app, 1005) == before
    assert "#1005" not in text_of(client.get("/approvals"))  # the list asks the same rule


def test_after_the_period_closes_only_a_program_administrator_decides(app, login_as, now):
    from datetime import timedelta

    from orders.domain.models import Term

    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
        spring.period.soft_close_at = None
        spring.period.closes_at = now - timedelta(minutes=1)
        spring.period.opens_at = now - timedelta(days=60)
        db.session.commit()
    emmy = login_as("emmy")
    refused = emmy.post("/orders/1005/approve", data={"version": "1"})
    assert refused.status_code == 403 and "The ordering period for Spring 2027 closed on" in text_of(refused)
    katherine = login_as("katherine")
    assert "Order #1005 was approved." in follow(
        katherine, katherine.post("/orders/1005/approve", data={"version": "1"})
    )


def test_a_policy_change_keeps_waiting_orders_waiting(login_as, app):
    katherine = login_as("katherine")
    with app.app_context():
        math = db.session.scalars(select(Organization).where(Organization.code == "MATH")).one().id
    page = follow(katherine, katherine.post(f"/admin/organizations/{math}/policy", data={"policy": "open"}))
    assert "ordering policy Open" in page
    assert order_row(app, 1005).status is OrderStatus.AWAITING_APPROVAL  # never placed (or dropped) silently
    assert "#1005" in text_of(login_as("emmy").get("/approvals"))
    emmy = login_as("emmy")
    assert "Order #1005 was approved." in follow(emmy, emmy.post("/orders/1005/approve", data={"version": "1"}))


def test_a_returned_order_keeps_its_own_sections_choosable(login_as, app):
    """In the ordering workflow a returned order's sections are its own (not "on order #1005").

    So saving them keeps them.
    """
    emmy = login_as("emmy")
    follow(emmy, emmy.post("/orders/1005/return", data={"version": "1", "reason": "Check the sections"}))
    sophie = login_as("sophie")
    draft_id = order_row(app, 1005).id
    page = sophie.get(f"/ordering/drafts/{draft_id}/sections").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="section"[^>]*>', page).group(0)
    assert "checked" in checkbox and "disabled" not in checkbox
    section_id = re.search(r'value="(\d+)"', checkbox).group(1)
    saved = sophie.post(f"/ordering/drafts/{draft_id}/sections", data={"section": section_id})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/materials")
    with app.app_context():
        from orders.domain.models import OrderSection

        assert db.session.scalars(select(OrderSection.claimed).where(OrderSection.order_id == draft_id)).all() == [True]


def test_a_returned_orders_title_requests_are_changed_like_a_drafts_but_kept(login_as, app):
    from orders.domain.models import ContentRequest, ContentRequestStatus

    emmy = login_as("emmy")
    follow(emmy, emmy.post("/orders/1005/return", data={"version": "1", "reason": "Add the workbook"}))
    sophie = login_as("sophie")
    draft_id = order_row(app, 1005).id
    added = sophie.post(
        f"/ordering/drafts/{draft_id}/request-title",
        data={"title": "Algebra Workbook", "isbn": "9780306406157", "requirement": "required"},
    )
    assert added.status_code == 303
    with app.app_context():
        request_id = db.session.scalars(select(ContentRequest.id).where(ContentRequest.order_id == draft_id)).one()
    assert sophie.post(f"/ordering/drafts/{draft_id}/requests/{request_id}/remove").status_code == 303
    with app.app_context():
        kept = db.session.get(ContentRequest, request_id)
        assert kept.removed_at is not None and kept.status is ContentRequestStatus.CANCELED

"""Review through the HTTP layer, continued (docs/spec.md §8): what "Place order" and "Submit changes" do under each
policy and royalty answer, changes to a placed order awaiting approval, and where an order in review counts."""
from __future__ import annotations

import re

from sqlalchemy import select

from orders.domain.models import (
    CatalogItem,
    Enrollment,
    EnrollmentState,
    EventKind,
    OrderingPolicy,
    OrderLine,
    OrderStatus,
    Organization,
    PendingEdit,
    PreApprovedItem,
    Section,
    User,
)
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests.helpers import text_of
from tests.screens.approvals.test_approvals import emails, events, follow, order_row, state
from tests.screens.ordering.test_ordering import ready_draft, review_version
from tests.screens.orders.test_edit import item_id, version_on


def place_with(client, draft_id: int, **answer):
    return client.post(
        f"/ordering/drafts/{draft_id}/place", data={"version": review_version(client, draft_id), **answer}
    )


def newest_number(app) -> int:
    from orders.domain.models import Order

    with app.app_context():
        return db.session.scalars(
            select(Order.number).where(Order.number.is_not(None)).order_by(Order.number.desc())
        ).first()


def set_policy(app, code: str, policy: OrderingPolicy) -> None:
    with app.app_context():
        db.session.scalars(select(Organization).where(Organization.code == code)).one().ordering_policy = policy
        db.session.commit()


# --- Placing ----------------------------------------------------------------------------------------------------------


def test_an_instructor_in_an_organization_under_approval_submits_for_approval(login_as, app):
    ada = login_as("ada")
    set_policy(app, "CS", OrderingPolicy.APPROVAL)
    draft_id = ready_draft(ada, app)  # CS 150 001, now under approval too
    review = text_of(ada.get(f"/ordering/drafts/{draft_id}/review"))
    assert "The Department of Computer Science reviews every order before it counts." in review
    assert "Submit for approval" in review
    page = follow(ada, place_with(ada, draft_id, royalty="no"))
    number = newest_number(app)
    assert f"Order #{number} was submitted for approval. It counts nowhere" in page
    order = order_row(app, number)
    assert order.status is OrderStatus.AWAITING_APPROVAL and order.placed_at is None and order.submitted_at is not None
    [mail] = emails(app)  # to the approvers of its sections: Grace has no flag, so the Program Administrator
    assert mail.recipient == "katherine@demo.edu"
    assert mail.subject == f"Order #{number} awaits your approval — CS 150 Introduction to Programming, Spring 2027"
    text = render_email(mail, app).text
    assert f"Ada Lovelace submitted order #{number} for your approval." in text
    assert "Why it waits: The Department of Computer Science reviews every order before it counts." in text
    assert "Submitted by: Ada Lovelace" in text and f"/orders/{number}" in text and "/approvals" in text


def test_someone_who_may_approve_every_section_places_at_once(login_as, app):
    with app.app_context():
        ada_id = db.session.scalars(select(User.id).where(User.email == "ada@demo.edu")).one()
    emmy = login_as("emmy")  # MATH coordinator whose grant may approve: Ada's MATH 221 003 is on no order
    draft_id = ready_draft(emmy, app, "Thomas' Calculus", subject="MATH", number="221", instructor=ada_id)
    review = text_of(emmy.get(f"/ordering/drafts/{draft_id}/review"))
    assert "You approve orders for these sections, so it is placed at once" in review
    number_before = newest_number(app)
    page = follow(emmy, place_with(emmy, draft_id, royalty="no"))
    number = newest_number(app)
    assert number == number_before + 1 and f"Order #{number} placed." in page
    assert order_row(app, number).status is OrderStatus.PLACED
    [placed] = events(app, number, EventKind.PLACED)
    assert placed.details["approved_by_placer"] is True
    assert "Approved by the placer (approver)." in text_of(emmy.get(f"/orders/{number}"))


def test_a_royalty_yes_goes_to_a_royalty_reviewer_whatever_the_policy(login_as, app):
    ada = login_as("ada")
    draft_id = ready_draft(ada, app)  # CS 150 001; Computer Science is `open`
    python = item_id(app, "Python Crash Course")
    no_line = place_with(ada, draft_id, royalty="yes")
    assert no_line.status_code == 422 and "choose the materials an instructor wrote or edited" in text_of(no_line)
    bad = place_with(ada, draft_id, royalty="yes", royalty_item=str(python), **{f"royalty_estimate_{python}": "lots"})
    assert bad.status_code == 422 and "must be a number of dollars" in text_of(bad)
    assert 'value="lots"' in bad.get_data(as_text=True)  # what was typed, shown again
    page = follow(
        ada,
        place_with(ada, draft_id, royalty="yes", royalty_item=str(python), **{f"royalty_estimate_{python}": "2.50"}),
    )
    number = newest_number(app)
    assert "submitted for approval" in page
    order = order_row(app, number)
    assert order.status is OrderStatus.AWAITING_APPROVAL and order.royalty_review and order.royalty_answer
    with app.app_context():
        line = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).one()
        assert line.instructor_authored and str(line.royalty_per_copy) == "2.50"
    summary = text_of(ada.get(f"/orders/{number}"))
    assert "Royalty question: Yes." in summary and "Python Crash Course (estimated $2.50 per copy)" in summary
    # Grace covers CS but may not review royalties; nobody reviews a royalty on their own order.
    grace = login_as("grace")
    assert grace.post(f"/orders/{number}/approve", data={"version": str(order.version)}).status_code == 403
    katherine = login_as("katherine")
    version = order_row(app, number).version
    assert f"Order #{number} was approved." in follow(
        katherine, katherine.post(f"/orders/{number}/approve", data={"version": str(version)})
    )
    # Placed: the line says so to students and in the public lookup.
    public = katherine.get("/course-materials/202710/202710-CS-150-001")
    assert "Written or edited by an instructor of this course" in text_of(public)
    rows = katherine.get("/course-materials/202710.csv").get_data(as_text=True).splitlines()
    assert rows[0].endswith(",instructor_authored")
    assert any("202710-CS-150-001" in row and row.endswith(",true") for row in rows)
    sofia = login_as("sofia")  # enrolled in CS 150 001
    assert "Written or edited by an instructor of this course" in text_of(sofia.get("/student/materials?term=202710"))


def test_under_a_pre_approved_list_only_listed_items_place_at_once(login_as, app, now):
    set_policy(app, "CS", OrderingPolicy.PRE_APPROVED_LIST)
    with app.app_context():
        cs = db.session.scalars(select(Organization).where(Organization.code == "CS")).one()
        python = db.session.scalars(select(CatalogItem).where(CatalogItem.title == "Python Crash Course")).one()
        db.session.add(PreApprovedItem(organization_id=cs.id, catalog_item_id=python.id, added_at=now))
        db.session.commit()
    ada = login_as("ada")
    draft_id = ready_draft(ada, app)  # Python Crash Course: on the list
    assert "placed." in follow(ada, place_with(ada, draft_id, royalty="no"))
    assert order_row(app, newest_number(app)).status is OrderStatus.PLACED
    alan = login_as("alan")  # CS 150 002 with an item off the list
    draft_id = ready_draft(alan, app, "Think Python")
    review = text_of(alan.get(f"/ordering/drafts/{draft_id}/review"))
    assert "places at once only orders whose materials are all on its pre-approved list" in review
    follow(alan, place_with(alan, draft_id, royalty="no"))
    assert order_row(app, newest_number(app)).status is OrderStatus.AWAITING_APPROVAL


# --- Changes to a placed order ----------------------------------------------------------------------------------------


def _ada_adds_thomas(client, app) -> str:
    thomas = item_id(app, "Thomas' Calculus")
    client.post("/orders/1001/edit/items", data={"item_id": str(thomas)})
    page = client.get("/orders/1001/edit").get_data(as_text=True)
    assert "The Department of Mathematics reviews every order before it counts." in text_of_html(page)
    return version_on(page)


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_change_in_an_organization_under_approval_waits_then_applies(login_as, app):
    ada = login_as("ada")
    version = _ada_adds_thomas(ada, app)
    unanswered = ada.post("/orders/1001/edit/submit", data={"version": version})
    assert unanswered.status_code == 422 and "Answer the question about the added materials" in text_of(unanswered)
    page = follow(ada, ada.post("/orders/1001/edit/submit", data={"version": version, "royalty": "no"}))
    assert "Your changes to order #1001 were submitted for approval. The order stays as it is" in page
    before = order_row(app, 1001)
    assert before.version == 1  # the order stays as it is everywhere
    assert "Thomas' Calculus" not in text_of(ada.get("/course-materials/202710/202710-MATH-221-001"))
    summary = text_of(ada.get("/orders/1001"))
    assert "Changes awaiting approval" in summary and "Add Thomas' Calculus" in summary
    edit = ada.get("/orders/1001/edit").get_data(as_text=True)
    assert "Your changes were submitted for approval" in edit and 'id="submit-changes-form"' not in edit
    refused = ada.post("/orders/1001/edit/items", data={"item_id": str(item_id(app, "Calculus: Single Variable"))})
    assert "await approval, so they can no longer be changed" in follow(ada, refused)
    [awaits] = [m for m in emails(app) if m.recipient == "emmy@demo.edu"]
    assert awaits.subject == "Changes to order #1001 await your approval — MATH 221 Calculus I, Spring 2027"
    assert "+ Add: Thomas' Calculus" in render_email(awaits, app).text
    emmy = login_as("emmy")
    assert "#1001 (changes)" in text_of(emmy.get("/approvals"))
    html = emmy.get("/orders/1001").get_data(as_text=True)
    change = re.search(r'href="/orders/1001/approve\?change=(\d+)"', html).group(1)
    prompt = text_of(emmy.get(f"/orders/1001/approve?change={change}"))
    assert "Approve the changes to order #1001?" in prompt
    done = follow(emmy, emmy.post("/orders/1001/approve", data={"version": "1", "change": change}))
    assert "The changes to order #1001 were approved and applied." in done
    after = order_row(app, 1001)
    assert after.version == 2 and after.status is OrderStatus.PLACED
    assert "Thomas' Calculus" in text_of(emmy.get("/course-materials/202710/202710-MATH-221-001"))
    [edited] = events(app, 1001, EventKind.EDITED)
    assert edited.actor.name == "Ada Lovelace" and edited.details["approved_by"] == "Emmy Noether"
    subjects = sorted((m.recipient, m.subject) for m in emails(app) if m.recipient != "emmy@demo.edu")
    assert subjects == [("ada@demo.edu", "Changes to order #1001 were approved — MATH 221 Calculus I, Spring 2027")]
    again = follow(emmy, emmy.post("/orders/1001/approve", data={"version": "2", "change": change}))
    assert "These changes were already approved by Emmy Noether" in again and order_row(app, 1001).version == 2


def test_a_returned_change_is_dropped_with_its_reason(login_as, app):
    ada = login_as("ada")
    follow(ada, ada.post("/orders/1001/edit/submit", data={"version": _ada_adds_thomas(ada, app), "royalty": "no"}))
    with app.app_context():
        change = db.session.scalars(select(PendingEdit.id).where(PendingEdit.submitted_at.is_not(None))).one()
    emmy = login_as("emmy")
    page = follow(
        emmy, emmy.post("/orders/1001/return", data={"version": "1", "change": str(change), "reason": "Not this term."})
    )
    assert "The changes to order #1001 were returned to Ada Lovelace." in page
    assert order_row(app, 1001).version == 1
    with app.app_context():
        assert db.session.scalar(select(PendingEdit.id)) is None
    [returned] = [m for m in emails(app) if m.recipient == "ada@demo.edu"]
    assert (
        returned.subject.startswith("Changes to order #1001 were returned")
        and "Not this term." in render_email(returned, app).text
    )
    history = text_of(ada.get("/orders/1001"))
    assert "Returned by Emmy Noether" in history and "Reason: Not this term." in history


def test_a_stale_change_is_not_applied(login_as, app):
    ada = login_as("ada")
    follow(ada, ada.post("/orders/1001/edit/submit", data={"version": _ada_adds_thomas(ada, app), "royalty": "no"}))
    with app.app_context():
        change = db.session.scalars(select(PendingEdit.id).where(PendingEdit.submitted_at.is_not(None))).one()
    katherine = login_as("katherine")  # a Program Administrator's own edit applies at once and moves the version
    katherine.post("/orders/1001/edit/items", data={"item_id": str(item_id(app, "Calculus: Single Variable"))})
    follow(katherine, katherine.post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"}))
    assert order_row(app, 1001).version == 2
    summary = text_of(katherine.get("/orders/1001"))
    assert "The order changed after these changes were submitted" in summary
    before = state(app, 1001)
    page = follow(katherine, katherine.post("/orders/1001/approve", data={"version": "2", "change": str(change)}))
    assert "can no longer be applied as submitted. Nothing was applied" in page
    assert state(app, 1001) == before
    page = follow(
        katherine,
        katherine.post("/orders/1001/return", data={"version": "2", "change": str(change), "reason": "Please redo"}),
    )
    assert "were returned to Ada Lovelace" in page


# --- Where an order in review counts ----------------------------------------------------------------------------------


def test_an_order_awaiting_approval_counts_nowhere_yet(login_as, app, now):
    with app.app_context():  # a student in MATH 110 001, whose order (#1005) awaits approval
        mary = db.session.scalars(select(User).where(User.email == "mary@demo.edu")).one()
        section = db.session.scalars(select(Section).where(Section.sis_id == "202710-MATH-110-001")).one()
        db.session.add(
            Enrollment(user_id=mary.id, section_id=section.id, state=EnrollmentState.ENROLLED, enrolled_at=now)
        )
        db.session.commit()
    mary = login_as("mary")
    page = text_of(mary.get("/student/materials?term=202710"))
    assert "MATH 110 College Algebra" in page and "Your instructor’s choice is being reviewed" in page
    assert "College Algebra (" not in page.split("MATH 110 College Algebra", 1)[1].split("MATH 221")[0]
    public = text_of(mary.get("/course-materials/202710/202710-MATH-110-001"))
    assert "To be determined" in public and "Blitzer" not in public
    katherine = login_as("katherine")
    courses = text_of(katherine.get("/?q=110"))
    assert "Order #1005 (awaiting approval)" in courses and "Start order" not in courses.split("MATH 110", 1)[1]
    progress = katherine.get("/progress/?term=202710").get_data(as_text=True)
    link = re.search(r'href="([^"]*state=awaiting_approval[^"]*)"', progress).group(1).replace("&amp;", "&")
    listed = text_of(katherine.get(link))
    assert "MATH 110 College Algebra" in listed and "MATH 221" not in listed
    assert "Awaiting approval" in text_of(katherine.get("/orders?status=awaiting_approval"))


def test_added_sections_wait_like_any_change(login_as, app):
    with app.app_context():
        section_003 = db.session.scalars(select(Section.id).where(Section.sis_id == "202710-MATH-221-003")).one()
    ada = login_as("ada")
    page = follow(ada, ada.post("/orders/1001/add-sections", data={"section": str(section_003), "version": "1"}))
    assert "Adding section 003 to order #1001 awaits approval." in page
    again = follow(ada, ada.post("/orders/1001/add-sections", data={"section": str(section_003), "version": "1"}))
    assert "already await approval" in again  # a double submit sends them once
    assert order_row(app, 1001).version == 1 and len(events(app, 1001, EventKind.SUBMITTED_FOR_APPROVAL)) == 1
    assert "Add section 003" in text_of(ada.get("/orders/1001"))
    emmy = login_as("emmy")
    change = re.search(r"approve\?change=(\d+)", emmy.get("/orders/1001").get_data(as_text=True)).group(1)
    follow(emmy, emmy.post("/orders/1001/approve", data={"version": "1", "change": change}))
    from orders.domain.models import OrderSection

    with app.app_context():
        claimed = db.session.scalars(select(OrderSection.claimed).where(OrderSection.section_id == section_003)).one()
    assert claimed and "3 of 3 sections ordered" not in text_of(ada.get("/"))  # all on the order now: no "Add sections"

"""Issue 38 item 1: one catalog item is one line of an order, whatever reads the order (orders/domain/lines.py).

An approval naming an item the order already has is refused. An order that carries the item twice all
the same (data from before that rule, or an edit that later added the item as a line) counts it once in
every reader: the billing feed, the student page, the order feed, the public lookup, Progress and the
order's total per student. The story: on #1001 (MATH 221 001 and 002: "Calculus: Early Transcendentals")
one request is approved as that same item and another as "WebAssign for Calculus"; Mary opts out of
WebAssign in MATH 221 001.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from orders import clock
from orders.domain.billing.rows import COLUMNS as BILLING_COLUMNS
from orders.domain.billing.rows import billing_rows
from orders.domain.feed.rows import COLUMNS as FEED_COLUMNS
from orders.domain.feed.rows import feed_rows
from orders.domain.lines import total_per_student
from orders.domain.models import (
    CatalogItem,
    ChoiceValue,
    ContentRequest,
    ContentRequestStatus,
    Enrollment,
    EnrollmentState,
    Order,
    ProgramMode,
    Section,
    StudentChoice,
    Term,
    User,
)
from orders.domain.students.materials import student_term
from orders.domain.students.rates import section_students
from orders.extensions import db
from tests.helpers import sign_in, text_of

SPRING = "202710"
MATH221_001 = f"{SPRING}-MATH-221-001"
CALCULUS = "Calculus: Early Transcendentals"
WEBASSIGN = "WebAssign for Calculus"


def one(model, *where):
    return db.session.scalars(select(model).where(*where)).unique().one()


def request_on(
    order: Order, title: str, isbn13: str, *, approved_as: CatalogItem | None, position: int
) -> ContentRequest:
    """A content request on the order, approved as `approved_as` the way data from before the rule holds it."""
    moment = clock.now()
    request = ContentRequest(
        order_id=order.id,
        position=position,
        title=title,
        isbn13=isbn13,
        requested_by_id=order.placed_by_id,
        created_at=moment,
        updated_at=moment,
        status=ContentRequestStatus.APPROVED if approved_as else ContentRequestStatus.SUBMITTED,
        fulfilled_by_id=approved_as.id if approved_as else None,
    )
    db.session.add(request)
    db.session.flush()
    return request


# --- The rule: an approval naming an item the order already has is refused -----------------------------


def test_approving_a_request_with_an_item_already_on_the_order_is_refused(app, client, demo_data):
    with app.app_context():
        order = demo_data.order(1001)
        calculus = one(CatalogItem, CatalogItem.title == CALCULUS)
        request_id = request_on(order, "Stewart Calculus", "9780306406157", approved_as=None, position=5).id
        isbn = calculus.isbn13
        db.session.commit()
    sign_in(client, "katherine")
    response = client.post(
        f"/requests/{request_id}/status",
        data={"status": "approved", "version": "1", "fulfil_with": "existing", "item_isbn": isbn},
    )
    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"]))
    assert f"“{CALCULUS}” is already on order #1001 as one of its catalog items." in page
    assert "Nothing was changed." in page
    with app.app_context():
        request = db.session.get(ContentRequest, request_id)
        assert (request.status, request.fulfilled_by_id, request.version) == (ContentRequestStatus.SUBMITTED, None, 1)
        assert demo_data.order(1001).version == 1  # the order did not move either


def test_approving_a_second_request_as_the_item_another_request_brought_is_refused(app, client, demo_data):
    with app.app_context():
        order = demo_data.order(1001)
        webassign = one(CatalogItem, CatalogItem.title == WEBASSIGN)
        request_on(order, "WebAssign", "9780306406157", approved_as=webassign, position=5)
        second = request_on(order, "Web Assign again", "9781861972712", approved_as=None, position=6).id
        isbn = webassign.isbn13
        db.session.commit()
    sign_in(client, "katherine")
    response = client.post(
        f"/requests/{second}/status",
        data={"status": "approved", "version": "1", "fulfil_with": "existing", "item_isbn": isbn},
    )
    page = text_of(client.get(response.headers["Location"]))
    assert f"“{WEBASSIGN}” is already on order #1001 as the approved request “WebAssign”." in page
    with app.app_context():
        assert db.session.get(ContentRequest, second).status is ContentRequestStatus.SUBMITTED


# --- An order that carries an item twice counts it once, in every reader ---------------------------------


@pytest.fixture
def doubled(app, demo_data):
    """#1001 with Calculus as a line and as an approved request, WebAssign as an approved request; Mary out of
    WebAssign.
    """
    with app.app_context():
        order = demo_data.order(1001)
        calculus = one(CatalogItem, CatalogItem.title == CALCULUS)
        webassign = one(CatalogItem, CatalogItem.title == WEBASSIGN)
        request_on(order, "Stewart Calculus", "9780306406157", approved_as=calculus, position=5)
        request_on(order, "WebAssign", "9781861972712", approved_as=webassign, position=6)
        mary, section = demo_data.user("mary"), one(Section, Section.sis_id == MATH221_001)
        db.session.add(
            StudentChoice(
                user_id=mary.id,
                section_id=section.id,
                catalog_item_id=webassign.id,
                choice=ChoiceValue.OPTED_OUT,
                decided_at=clock.now(),
                decided_by_id=mary.id,
            )
        )
        db.session.commit()
        return {"calculus": calculus.id, "webassign": webassign.id, "section": section.id}


def billing(term: Term) -> list[dict]:
    rows = billing_rows(db.session.connection(), term, ProgramMode.OPT_OUT, clock.now())
    return [dict(zip(BILLING_COLUMNS, row)) for row in rows]


def test_each_reader_counts_each_item_of_the_section_once_at_one_price(app, client, doubled):
    expected = {doubled["calculus"]: Decimal("89.99"), doubled["webassign"]: Decimal("110.00")}
    with app.app_context():
        term = one(Term, Term.code == SPRING)
        mary = one(User, User.email == "mary@demo.edu")
        rows = billing(term)

        mary_rows = [r for r in rows if r["student_email"] == "mary@demo.edu" and r["sis_section_id"] == MATH221_001]
        assert {int(r["content_id"]): Decimal(r["ci_student_price"]) for r in mary_rows} == expected
        assert len(mary_rows) == 2, "billing: one row per student and item"

        view = student_term(mary, SPRING, mode=ProgramMode.OPT_OUT, now=clock.now(), today=clock.now().date())
        page_lines = view.section(doubled["section"]).lines
        assert {line.item_id: line.price for line in page_lines} == expected and len(page_lines) == 2, "student page"

        feed = [dict(zip(FEED_COLUMNS, row)) for row in feed_rows(db.session.connection(), term.id, None)]
        counted = [
            r for r in feed if r["sis_section_id"] == MATH221_001 and r["is_deleted"] == "false" and r["content_id"]
        ]
        assert {int(r["content_id"]): Decimal(r["ci_student_price"]) for r in counted} == expected
        assert len(counted) == 2, "order feed: each item once per section (the shadowed request has no content id)"
        shadowed = [r for r in feed if r["sis_section_id"] == MATH221_001 and r["cr_title"] == "Stewart Calculus"]
        assert [(r["cr_status"], r["content_id"]) for r in shadowed] == [("approved", "")]

        assert total_per_student(one(Order, Order.number == 1001)) == sum(expected.values()), "the order's total"
        by_isbn = {item.isbn13: item.id for item in db.session.scalars(select(CatalogItem))}

    records = client.get(f"/course-materials/{SPRING}.json").get_json()["records"]
    public = [r for r in records if r["section_sis_id"] == MATH221_001 and r["status"] == "material"]
    assert {by_isbn[r["isbn13"]]: Decimal(r["student_price"]) for r in public} == expected and len(public) == 2, (
        "public"
    )

    # Mary's page and the billing file agree on what she is charged.
    billed = sum(
        (
            Decimal(r["ci_student_price"])
            for r in rows
            if r["student_email"] == "mary@demo.edu" and r["billable"] == "true"
        ),
        Decimal("0"),
    )
    sign_in(client, "mary")
    page = text_of(client.get("/student/materials"))
    assert re.search(r"Total to be charged for Spring 2027: \$([0-9.,]+)", page).group(1) == f"{billed:,.2f}"


def test_progress_rates_count_the_lines_the_billing_feed_bills(app, doubled):
    """Progress: an enrollment is rated when billing lists a billable line for it, and declined when one is not
    charged.
    """
    with app.app_context():
        term = one(Term, Term.code == SPRING)
        enrolled = set(
            db.session.scalars(
                select(User.email)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.section_id == doubled["section"], Enrollment.state == EnrollmentState.ENROLLED)
            )
        )
        rows = [r for r in billing(term) if r["sis_section_id"] == MATH221_001 and r["student_email"] in enrolled]
        rated = {r["student_email"] for r in rows if r["choice"] != "zero_cost"}
        declined = {r["student_email"] for r in rows if r["choice"] in ("opted_out", "not_opted_in")}
        assert "mary@demo.edu" in declined  # the WebAssign line, which only a request brought
        students = section_students(ProgramMode.OPT_OUT, Section.term_id == term.id)
        progress = db.session.execute(select(students).where(students.c.section_id == doubled["section"])).one()
        assert (progress.rated, progress.declined) == (len(rated), len(declined))

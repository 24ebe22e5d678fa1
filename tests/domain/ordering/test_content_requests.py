"""Content requests: the status machine, ISBN normalisation, staff changes with a version check,
approval by a catalog item, and what removing a request or canceling its order does to it."""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders.domain.formats import isbn
from orders.domain.lines import total_per_student
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestComment,
    Delivery,
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    OutboundEmail,
)
from orders.domain.models import ContentRequestStatus as Status
from orders.domain.ordering import canceling, editing
from orders.domain.ordering import content_requests as services
from orders.domain.ordering.content_requests import TRANSITIONS, TitleRequest, add_comment, change_status
from orders.domain.refusals import PermissionDenied, Refused, StaleOrder
from orders.extensions import db
from orders.worker.delivery import render as render_email
from tests import factories as f
from tests.helpers import open_every_organization


@pytest.fixture
def demo_data(demo_data, app):
    """The demo with every organization `open`: these tests are about editing and ordering itself; with the demo's
    Mathematics under `approval` its edits would wait for an approver (that is tested in tests/screens/approvals)."""
    open_every_organization(app)
    return demo_data

MISSING = TitleRequest("The Missing Book", "9780306406157", "A. Writer", "2nd", "Please find it")

# Written out rather than read from TRANSITIONS, so a change to the machine fails here.
ALLOWED = {
    (Status.SUBMITTED, Status.RESEARCHING),
    (Status.SUBMITTED, Status.APPROVED),
    (Status.SUBMITTED, Status.DENIED),
    (Status.RESEARCHING, Status.APPROVED),
    (Status.RESEARCHING, Status.DENIED),
    (Status.DENIED, Status.RESEARCHING),  # a denial can be reopened
}


@pytest.fixture
def demo(app_ctx, demo_data):
    return demo_data


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def item(title: str) -> CatalogItem:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()


def on_order(
    demo, number: int = 1001, wanted: TitleRequest = MISSING, *, status: Status = Status.SUBMITTED
) -> ContentRequest:
    """A request by Ada on placed order `number` (committed), in `status`."""
    order = demo.order(number)
    request = services.new_request(
        order, wanted, actor=demo.user("ada"), now=demo.now, position=services.next_position(order)
    )
    request.status = status
    order.content_requests.append(request)
    db.session.commit()
    return request


def staff_change(demo, request: ContentRequest, to: Status, **kwargs):
    kwargs.setdefault("fulfilled_by", item("Linear Algebra Done Right") if to is Status.APPROVED else None)
    return change_status(
        request,
        to,
        actor=kwargs.pop("actor", demo.user("katherine")),
        now=kwargs.pop("now", demo.now + timedelta(minutes=1)),
        request_id="test",
        expected_version=kwargs.pop("expected_version", request.version),
        **kwargs,
    )


# --- The status machine ----------------------------------------------------------------------------


def test_transition_table_is_exactly_the_allowed_moves():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert TRANSITIONS[Status.CANCELED] == frozenset() and TRANSITIONS[Status.APPROVED] == frozenset()


@pytest.mark.parametrize("start,to", list(itertools.product(Status, Status)), ids=lambda s: s.value)
def test_every_transition_by_a_program_administrator(demo, start, to):
    request = on_order(demo, status=start)
    before = (count(OrderEvent), count(OutboundEmail), demo.order(1001).version)
    if (start, to) in ALLOWED:
        staff_change(demo, request, to)
        db.session.commit()
        assert request.status is to and request.version == 2
        assert count(OrderEvent) == before[0] + 1 and count(OutboundEmail) == before[1] + 1  # Ada requested and placed
    else:
        with pytest.raises(Refused) as refused:
            staff_change(demo, request, to)
        assert f"A request that is {start.label} can't become {to.label}." == refused.value.message
        db.session.rollback()
        assert request.status is start and request.version == 1
        assert (count(OrderEvent), count(OutboundEmail), demo.order(1001).version) == before


def test_approved_can_never_go_back_to_submitted(demo):
    request = on_order(demo)
    staff_change(demo, request, Status.APPROVED)
    db.session.commit()
    for to in (Status.SUBMITTED, Status.RESEARCHING, Status.DENIED):
        with pytest.raises(Refused, match="Approved can't become"):
            staff_change(demo, request, to)
    assert services.allowed_next(request) == []
    assert not services.status_change_decision(demo.user("katherine"), request)


def test_denied_can_be_reopened_then_approved(demo):
    request = on_order(demo, status=Status.DENIED)
    assert services.allowed_next(request) == [Status.RESEARCHING]
    staff_change(demo, request, Status.RESEARCHING)
    staff_change(demo, request, Status.APPROVED)
    db.session.commit()
    assert request.status is Status.APPROVED and request.version == 3


def test_canceled_is_final(demo):
    request = on_order(demo)
    services.cancel_request(request, demo.now)
    assert request.status is Status.CANCELED and request.version == 2
    services.cancel_request(request, demo.now + timedelta(hours=1))  # again: nothing moves
    assert request.version == 2 and request.updated_at == demo.now
    assert services.allowed_next(request) == []
    for to in Status:
        with pytest.raises(Refused):
            staff_change(demo, request, to)


@pytest.mark.parametrize("start", list(Status), ids=lambda s: s.value)
def test_cancel_request_reaches_canceled_from_anywhere(demo, start):
    request = on_order(demo, status=start)
    services.cancel_request(request, demo.now)
    assert request.status is Status.CANCELED


@pytest.mark.parametrize("who", ["ada", "alan", "emmy", "grace"])
def test_only_program_administrators_change_status(demo, who):
    request = on_order(demo)
    actor = demo.user(who)
    assert not services.status_change_decision(actor, request)
    with pytest.raises(PermissionDenied):
        staff_change(demo, request, Status.RESEARCHING, actor=actor)
    db.session.rollback()
    assert (
        request.status is Status.SUBMITTED
        and count(OrderEvent, OrderEvent.kind == EventKind.CONTENT_REQUEST_STATUS) == 0
    )


def test_requests_on_drafts_and_canceled_orders_do_not_change_status(demo):
    request = on_order(demo)
    order = demo.order(1001)
    order.status = OrderStatus.CANCELED
    db.session.commit()
    assert not services.status_change_decision(demo.user("katherine"), request)
    with pytest.raises(Refused, match="Only requests on placed orders"):
        staff_change(demo, request, Status.RESEARCHING)


# --- ISBN-10 / ISBN-13 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("9780306406157", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        ("978 0 306 40615 7", "9780306406157"),
        (" 978-0306406157 ", "9780306406157"),
        ("0306406152", "9780306406157"),  # ISBN-10 -> 978 + nine digits + new check digit
        ("0-306-40615-2", "9780306406157"),
        ("080442957X", "9780804429573"),  # X check digit
        ("0-8044-2957-x", "9780804429573"),  # lower-case x
        ("0 8044 2957 X", "9780804429573"),
        ("979-0-2600-0043-8", "9790260000438"),  # 979 prefix
    ],
)
def test_valid_isbns_normalise_to_isbn13(raw, expected):
    assert isbn.to_isbn13(raw) == expected
    assert isbn.is_valid(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "9780306406158",  # wrong ISBN-13 check digit
        "0306406153",  # wrong ISBN-10 check digit
        "0804429578",  # X expected, digit given
        "X80442957",  # X anywhere but last
        "08044X2957",
        "9771234567003",  # an ISSN-style 977 prefix: not a book
        "978030640615",  # 12 digits
        "97803064061577",  # 14 digits
        "978.0.306.40615.7",  # dots are not allowed separators
        "978_0306406157",
        "٩٧٨٠٣٠٦٤٠٦١٥٧",  # Arabic-Indic digits
        "９７８０３０６４０６１５７",  # full-width digits
        "978030640615\u00b9",  # superscript one
        "0306406152\x00",
        "ISBN 0306406152",
        "<b>9780306406157</b>",
    ],
)
def test_invalid_isbns_are_refused(raw):
    assert isbn.to_isbn13(raw) is None


def test_unicode_digits_are_not_valid_isbn13():
    assert not isbn.is_valid("٩٧٨٠٣٠٦٤٠٦١٥٧")


# --- Staff changes: version check, approval, the order moves on ------------------------------------


def test_two_administrators_at_once_one_wins_the_other_is_told(app, demo):
    """Both loaded version 1; B commits first; A's change is refused and nothing of A's is written."""
    request = on_order(demo)
    second_admin = f.user("Second Admin", admin=True)
    db.session.commit()
    request_id, second_admin_id = request.id, second_admin.id
    a_view = db.session.get(ContentRequest, request_id)
    assert a_view.version == 1 and a_view.order.version == 1
    with app.app_context():  # another request, another session
        b_view = db.session.get(ContentRequest, request_id)
        change_status(
            b_view,
            Status.DENIED,
            actor=db.session.get(type(second_admin), second_admin_id),
            now=demo.now,
            request_id="b",
            expected_version=1,
            comment="Out of print",
        )
        db.session.commit()
        db.session.remove()
    with pytest.raises(StaleOrder):
        staff_change(demo, a_view, Status.RESEARCHING, expected_version=1, comment="Looking into it")
    db.session.rollback()
    fresh = db.session.get(ContentRequest, request_id)
    assert fresh.status is Status.DENIED and fresh.version == 2
    assert count(OrderEvent, OrderEvent.kind == EventKind.CONTENT_REQUEST_STATUS) == 1
    assert [c.text for c in db.session.scalars(select(ContentRequestComment))] == ["Out of print"]
    assert count(OutboundEmail) == 1


def test_a_stale_version_is_refused_before_anything_is_written(demo):
    request = on_order(demo)
    staff_change(demo, request, Status.RESEARCHING)
    db.session.commit()
    with pytest.raises(StaleOrder, match="changed while you were looking"):
        staff_change(demo, request, Status.DENIED, expected_version=1, comment="late")
    db.session.rollback()
    assert request.status is Status.RESEARCHING and count(ContentRequestComment) == 0
    assert count(OrderEvent, OrderEvent.kind == EventKind.CONTENT_REQUEST_STATUS) == 1


def test_approval_requires_the_fulfilling_item(demo):
    request = on_order(demo)
    with pytest.raises(Refused, match="Choose the catalog item"):
        staff_change(demo, request, Status.APPROVED, fulfilled_by=None)
    db.session.rollback()
    assert request.status is Status.SUBMITTED and request.fulfilled_by_id is None and demo.order(1001).version == 1


def test_approval_makes_the_request_count_as_its_item(demo):
    order = demo.order(1001)
    before = total_per_student(order)
    request = on_order(demo)
    assert total_per_student(order) == before  # a request has no price until approved
    fulfilling = item("Linear Algebra Done Right")
    staff_change(demo, request, Status.APPROVED, fulfilled_by=fulfilling)
    db.session.commit()
    db.session.expire_all()
    order = demo.order(1001)
    assert order.current_requests[0].fulfilled_by.id == fulfilling.id
    assert total_per_student(order) == before + Decimal("39.99")
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.kind == EventKind.CONTENT_REQUEST_STATUS)).one()
    assert event.details["to_status"] == "approved" and event.details["fulfilled_by"]["id"] == fulfilling.id


def test_create_item_for_makes_an_active_item_from_the_request_and_refuses_a_taken_isbn(demo):
    request = on_order(demo)
    who = dict(actor=demo.user("katherine"), now=demo.now)
    created = services.create_item_for(
        request, publisher="Pub", edition="2nd", delivery=Delivery.ETEXT, price=Decimal("12.50"), **who
    )
    assert (created.title, created.isbn13, created.authors, created.active) == (
        "The Missing Book",
        "9780306406157",
        "A. Writer",
        True,
    )
    with pytest.raises(Refused, match="already has ISBN 9780306406157"):
        services.create_item_for(
            request, publisher="Pub", edition="2nd", delivery=Delivery.ETEXT, price=Decimal("1"), **who
        )


def test_status_change_moves_the_order_version_and_last_change_but_a_comment_does_not(demo):
    request = on_order(demo)
    order = demo.order(1001)
    version, last_changed = order.version, order.last_changed_at
    later = demo.now + timedelta(hours=2)
    add_comment(request, "Any news?", actor=demo.user("ada"), now=later, request_id="c")
    db.session.commit()
    db.session.expire_all()
    order = demo.order(1001)
    assert (order.version, order.last_changed_at) == (version, last_changed)
    assert request.updated_at == later and request.version == 1  # the list's "last change" moves, the version does not
    staff_change(demo, request, Status.RESEARCHING, now=later + timedelta(hours=1))
    db.session.commit()
    db.session.expire_all()
    order = demo.order(1001)
    assert order.version == version + 1 and order.last_changed_at == later + timedelta(hours=1)


def test_comments_need_text_and_a_viewer(demo):
    request = on_order(demo)
    with pytest.raises(Refused, match="Write a comment first"):
        add_comment(request, "   ", actor=demo.user("ada"), now=demo.now, request_id=None)
    with pytest.raises(PermissionDenied):
        add_comment(request, "hello", actor=demo.user("alan"), now=demo.now, request_id=None)  # teaches no MATH
    db.session.rollback()
    assert count(ContentRequestComment) == 0 and count(OutboundEmail) == 0
    for who in ("ada", "emmy", "katherine"):  # placer, covering coordinator, administrator
        add_comment(request, f"from {who}", actor=demo.user(who), now=demo.now, request_id=None)
    assert count(ContentRequestComment) == 3


def test_update_emails_go_to_the_requester_and_the_placer(demo):
    """Order #1002 was placed by Grace for Alan; Alan requests, so both hear, once each."""
    order = demo.order(1002)
    request = services.new_request(order, MISSING, actor=demo.user("alan"), now=demo.now, position=5)
    order.content_requests.append(request)
    db.session.commit()
    staff_change(demo, request, Status.RESEARCHING, comment="On it")
    add_comment(request, "Thanks", actor=demo.user("alan"), now=demo.now, request_id=None)
    db.session.commit()
    rows = list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))
    assert [(r.kind, r.recipient) for r in rows] == [
        ("request_update", "alan@demo.edu"),
        ("request_update", "grace@demo.edu"),
        ("request_update", "alan@demo.edu"),
        ("request_update", "grace@demo.edu"),
    ]
    assert rows[0].subject == f"Content request Researching — The Missing Book, order #{order.number}"
    assert "Comment: On it" in render_email(rows[0]).text and "Status: Researching" in render_email(rows[0]).text
    assert rows[2].subject.startswith("New comment on your content request")


# --- Drafts, edits and cancellation ----------------------------------------------------------------


def test_add_to_draft_refuses_a_second_request_for_the_same_isbn_and_remove_deletes_it(demo):
    course_term = db.session.scalars(select(Order).where(Order.number == 1001)).one()
    draft = Order(
        term_id=course_term.term_id,
        course_id=course_term.course_id,
        status=OrderStatus.DRAFT,
        owner_id=demo.user("ada").id,
        created_at=demo.now,
        version=1,
    )
    db.session.add(draft)
    db.session.flush()
    added = services.add_to_draft(draft, MISSING, actor=demo.user("ada"), now=demo.now)
    assert added.status is Status.SUBMITTED and draft.version == 2
    with pytest.raises(Refused, match="already on this order"):
        services.add_to_draft(draft, TitleRequest("Other title", "9780306406157"), actor=demo.user("ada"), now=demo.now)
    assert services.remove_from_draft(draft, added.id, demo.now) is added and draft.version == 3
    db.session.commit()
    assert count(ContentRequest) == 0
    assert services.remove_from_draft(draft, 2**31, demo.now) is None


def test_canceling_the_order_cancels_its_requests(demo):
    open_request = on_order(demo)
    approved = on_order(demo, wanted=TitleRequest("Another", "9780804429573"))
    staff_change(demo, approved, Status.APPROVED)
    db.session.commit()
    order = demo.order(1001)
    outcome = canceling.cancel_order(order, actor=demo.user("ada"), now=demo.now, request_id=None)
    db.session.commit()
    assert outcome.changed
    assert {r.status for r in db.session.scalars(select(ContentRequest))} == {Status.CANCELED}
    assert open_request.removed_at is None  # still on the (canceled) order, shown as canceled


def test_an_edit_that_removes_a_request_keeps_it_canceled_with_removed_at(demo):
    request = on_order(demo)
    order = demo.order(1001)
    ada, later = demo.user("ada"), demo.now + timedelta(minutes=5)
    assert editing.remove_request(order, ada, f"r{request.id}", later) == "The Missing Book"
    db.session.commit()
    assert request.status is Status.SUBMITTED and request.removed_at is None  # pending: nothing yet
    editing.submit(order, actor=ada, now=later, request_id=None, expected_version=order.version)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(ContentRequest, request.id)
    assert kept is not None and kept.status is Status.CANCELED and kept.removed_at == later
    assert demo.order(1001).current_requests == []
    edited = db.session.scalars(select(OrderEvent).where(OrderEvent.kind == EventKind.EDITED)).one()
    assert edited.details["removed_requests"] == [
        {"id": request.id, "title": "The Missing Book", "isbn": "9780306406157"}
    ]


def test_an_edit_that_adds_a_request_creates_it_on_submit(demo):
    order = demo.order(1002)
    grace, later = demo.user("grace"), demo.now + timedelta(minutes=5)
    editing.add_request(order, grace, MISSING, later)
    with pytest.raises(Refused, match="already on this order"):
        editing.add_request(order, grace, MISSING, later)
    db.session.commit()
    assert count(ContentRequest) == 0
    editing.submit(order, actor=grace, now=later, request_id=None, expected_version=order.version)
    db.session.commit()
    created = db.session.scalars(select(ContentRequest)).one()
    assert (created.order_id, created.status, created.requested_by_id, created.note) == (
        order.id,
        Status.SUBMITTED,
        grace.id,
        "Please find it",
    )


def test_an_edit_cannot_add_as_a_line_an_item_an_approved_request_brought(demo):
    """Issue 38 item 1, the edit's side: the item already counts through the request, so a line would bill it twice."""
    request = on_order(demo)
    brought = item("Linear Algebra Done Right")
    staff_change(demo, request, Status.APPROVED, fulfilled_by=brought)
    db.session.commit()
    order, ada = demo.order(1001), demo.user("ada")
    with pytest.raises(Refused, match="already on this order: the approved request for “The Missing Book” brought it"):
        editing.add_item(order, ada, brought.id, demo.now)
    db.session.rollback()
    assert editing.find_pending(order, ada) is None

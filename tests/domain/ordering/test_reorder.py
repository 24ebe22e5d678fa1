"""The reorder service and the rules behind it: copying, prices, inactive items, who may and when,
and the SQL view rule agreeing with can_view_order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Course,
    EventKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Term,
    User,
)
from orders.domain.ordering.reorder import (
    AlreadyOrdered,
    DraftExists,
    NotOrderable,
    ReorderRefused,
    copy_order,
    reorder_candidates,
    reorder_choices,
)
from orders.domain.reach import can_view_order, viewable_orders_clause
from orders.domain.refusals import PermissionDenied
from orders.domain.rules import can_reorder
from orders.extensions import db
from tests import factories as f


@pytest.fixture
def ctx(app, demo_data):
    with app.app_context():
        yield demo_data
        db.session.remove()


def offering(subject: str, number: str, term_code: str) -> tuple[Course, Term]:
    course = db.session.scalars(select(Course).where(Course.subject == subject, Course.number == number)).one()
    return course, db.session.scalars(select(Term).where(Term.code == term_code)).one()


def item(title: str) -> CatalogItem:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()


def reorder_cs150(user: User, now, source: int = 1004, **kwargs):
    course, term = offering("CS", "150", "202710")
    return copy_order(user, course, term, source, now=now, request_id="test", **kwargs)


def test_copies_items_sections_and_records_where_from(ctx):
    ada = ctx.user("ada")
    result = reorder_cs150(ada, ctx.now)
    draft = result.draft
    assert draft.status is OrderStatus.DRAFT and draft.owner_id == ada.id and draft.number is None
    assert draft.reordered_from_id == ctx.order(1004).id and result.source.number == 1004
    assert [s.label for s in draft.sections] == ["001"]  # Ada's section; 002 is Alan's
    assert [(line.item.title, line.student_price) for line in draft.lines] == [
        ("Python Crash Course", Decimal("29.99"))
    ]
    assert result.price_changes == [] and result.requested == []
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == draft.id)).one()
    assert event.kind is EventKind.DRAFT_STARTED and event.details["reordered_from"] == 1004


def test_items_are_copied_at_todays_price(ctx):
    book = item("Python Crash Course")
    book.student_price = Decimal("34.50")
    result = reorder_cs150(ctx.user("ada"), ctx.now)
    assert result.draft.lines[0].student_price == Decimal("34.50")
    (change,) = result.price_changes
    assert (change.item.title, change.was, change.now) == ("Python Crash Course", Decimal("29.99"), Decimal("34.50"))


def test_an_inactive_item_becomes_a_content_request(ctx):
    source = ctx.order(1004)
    old = item("Think Python (2nd edition)")
    assert not old.active
    db.session.add(OrderLine(order_id=source.id, catalog_item_id=old.id, position=1, student_price=Decimal("31.99")))
    db.session.flush()
    db.session.expire_all()  # the order's lines were loaded before the new one
    ada = ctx.user("ada")
    result = reorder_cs150(ada, ctx.now)
    assert [line.item.title for line in result.draft.lines] == ["Python Crash Course"]
    (request,) = result.draft.content_requests
    assert (request.title, request.isbn13, request.status) == (old.title, old.isbn13, ContentRequestStatus.SUBMITTED)
    assert request.requested_by_id == ada.id and request.created_at == ctx.now
    assert result.requested == [old]


def test_content_requests_and_removed_lines_are_not_copied(ctx):
    source = ctx.order(1004)
    ada = ctx.user("ada")
    db.session.add(
        ContentRequest(
            order_id=source.id,
            title="A Missing Title",
            isbn13="9780306406157",
            requested_by_id=ada.id,
            created_at=ctx.now,
            updated_at=ctx.now,
            status=ContentRequestStatus.APPROVED,
        )
    )
    think = item("Think Python")
    db.session.add(
        OrderLine(
            order_id=source.id,
            catalog_item_id=think.id,
            position=1,
            student_price=think.student_price,
            removed_at=ctx.now - timedelta(days=1),
        )
    )
    db.session.flush()
    db.session.expire_all()
    assert len(ctx.order(1004).lines) == 2 and len(ctx.order(1004).content_requests) == 1
    result = reorder_cs150(ada, ctx.now)
    assert result.draft.content_requests == []
    assert [line.item.title for line in result.draft.lines] == ["Python Crash Course"]


def test_a_canceled_order_can_be_copied(ctx):
    source = ctx.order(1004)
    source.status, source.canceled_at, source.canceled_by_id = OrderStatus.CANCELED, ctx.now, ctx.user("katherine").id
    db.session.flush()
    assert reorder_cs150(ctx.user("ada"), ctx.now).source.number == 1004


def test_closed_period_refuses_instructors_and_coordinators(ctx):
    after_close = ctx.now + timedelta(days=31)
    for name in ("ada", "grace"):
        with pytest.raises(NotOrderable, match="The ordering period for Spring 2027 closed on"):
            reorder_cs150(ctx.user(name), after_close)
    assert db.session.scalars(select(Order).where(Order.status == OrderStatus.DRAFT)).all() == []


def test_program_administrators_reorder_any_time(ctx):
    result = reorder_cs150(ctx.user("katherine"), ctx.now + timedelta(days=365))
    assert [s.label for s in result.draft.sections] == ["001", "002"]


def test_a_coordinator_may_reorder_for_covered_sections_only(ctx):
    with pytest.raises(PermissionDenied):
        reorder_cs150(ctx.user("emmy"), ctx.now)  # MATH coordinator
    grace, alan = ctx.user("grace"), ctx.user("alan")
    assert [s.label for s in reorder_cs150(grace, ctx.now, instructor_id=alan.id).draft.sections] == ["002"]


def test_refuses_a_second_draft(ctx):
    ada = ctx.user("ada")
    first = reorder_cs150(ada, ctx.now).draft
    with pytest.raises(DraftExists) as refused:
        reorder_cs150(ada, ctx.now)
    assert refused.value.draft.id == first.id


def test_refuses_a_course_that_has_an_order(ctx):
    course, term = offering("MATH", "221", "202710")
    with pytest.raises(AlreadyOrdered, match="already has order #1001"):
        copy_order(ctx.user("ada"), course, term, 1003, now=ctx.now, request_id=None)


@pytest.mark.parametrize("number", [1001, 1002, 1003, 4242])  # other courses, or no such order
def test_refuses_an_order_that_is_no_candidate(ctx, number):
    with pytest.raises(ReorderRefused, match=f"Order #{number} can't be copied"):
        reorder_cs150(ctx.user("ada"), ctx.now, source=number)


def test_candidates_need_an_earlier_term_the_same_campus_and_a_catalog_item(ctx):
    ada = ctx.user("ada")
    course, term = offering("CS", "150", "202710")
    choices = reorder_choices(ada, course, term, ctx.now)
    assert [c.order.number for c in reorder_candidates(ada, course, term, choices)] == [1004]
    # An order of the same course in a later term is no candidate.
    summer = db.session.scalars(select(Term).where(Term.code == "202750")).one()
    assert reorder_candidates(ada, course, summer, choices)  # Fall 2026 is earlier than Summer 2027 too
    # A different campus is no match.
    north = f.section(term, subject="CS", number="150", label="009", campus_code="NORTH", instructors=(ada,))
    north_only = [c for c in reorder_choices(ada, course, term, ctx.now) if c.section.id == north.id]
    assert reorder_candidates(ada, course, term, north_only) == []
    # An order whose every line was removed is no candidate.
    for line in ctx.order(1004).lines:
        line.removed_at = ctx.now
    db.session.flush()
    assert reorder_candidates(ada, course, term, choices) == []


@dataclass
class Choice:
    orderable: bool
    ordered_as: int | None = None


@pytest.mark.parametrize(
    "choices,allowed",
    [
        ([Choice(True)], True),
        ([Choice(True), Choice(False)], True),  # another instructor's section, say
        ([Choice(False)], False),  # period closed
        ([Choice(True), Choice(False, 1001)], False),  # the course already has an order
        ([], False),
    ],
)
def test_can_reorder(choices, allowed):
    assert can_reorder(choices) is allowed


def test_viewable_orders_clause_agrees_with_can_view_order(ctx):
    """Every demo user against every order, drafts and a canceled order included."""
    ada, emmy = ctx.user("ada"), ctx.user("emmy")
    course, term = offering("CS", "150", "202710")
    reorder_cs150(ada, ctx.now)  # a draft of Ada's
    other = f.user("Other Person")
    f.placed_order([f.section(term, subject="BIO", number="101")], other, ctx.now, status=OrderStatus.CANCELED)
    f.grant(emmy, subject="BIO")
    db.session.flush()
    db.session.expire_all()
    orders = list(db.session.scalars(select(Order)))
    for name in ("ada", "alan", "emmy", "grace", "katherine"):
        user = ctx.user(name)
        listed = set(db.session.scalars(select(Order.id).where(viewable_orders_clause(user))))
        assert listed == {o.id for o in orders if can_view_order(user, o)}, name


def test_earlier_order_clause_correlates_to_the_outer_section():
    """The term lookup sits two subqueries down; uncorrelated it would scan every section
    (PostgreSQL refuses that; SQLite silently takes the first row)."""
    from orders.domain.models import Section
    from orders.domain.ordering.reorder import earlier_order_exists

    sql = " ".join(str(select(Section.id, earlier_order_exists(Section))).split())
    assert "FROM term AS this_term WHERE this_term.id = section.term_id" in sql


def test_reordered_from_number_for_the_summary(ctx):
    from orders.domain.ordering.reorder import reordered_from_number

    draft = reorder_cs150(ctx.user("ada"), ctx.now).draft
    assert reordered_from_number(draft) == 1004
    assert reordered_from_number(ctx.order(1001)) is None

"""The ordering services and their rules: drafts, sections, catalog search, placing, discarding, races."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from orders.domain.catalog.search import search_catalog
from orders.domain.lines import total_per_student
from orders.domain.models import (
    CatalogItem,
    Course,
    EventKind,
    Order,
    OrderEvent,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    OutboundEmail,
    Section,
    Term,
    User,
)
from orders.domain.ordering import drafts as ordering
from orders.domain.ordering.drafts import DraftChanged, DraftClosed, OrderingError, PlacementRefused, SectionsTaken
from orders.domain.refusals import PermissionDenied
from orders.domain.review.royalty import NO_ROYALTY
from orders.domain.rules import owns_draft
from orders.extensions import db
from orders.web.loaders import get_draft_or_404
from orders.worker.delivery import render as render_email
from tests.helpers import require_postgres


@pytest.fixture
def demo(app_ctx, demo_data):
    return demo_data


def offering(subject: str, number: str, term_name: str = "Spring 2027") -> tuple[Course, Term]:
    course = db.session.scalars(select(Course).where(Course.subject == subject, Course.number == number)).one()
    term = db.session.scalars(select(Term).where(Term.name == term_name)).one()
    return course, term


def section(subject: str, number: str, label: str, term_name: str = "Spring 2027") -> Section:
    course, term = offering(subject, number, term_name)
    return db.session.scalars(
        select(Section).where(Section.course_id == course.id, Section.term_id == term.id, Section.label == label)
    ).one()


def item(title: str) -> CatalogItem:
    return db.session.scalars(select(CatalogItem).where(CatalogItem.title == title)).one()


def counter() -> int:
    return db.session.scalar(select(OrderNumberCounter.last_number))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def draft_for(
    demo, first_name: str, subject: str, number: str, *, items=("Python Crash Course",), instructor=None
) -> Order:
    """A committed draft by this demo user, with its preselected sections and the given items."""
    actor = demo.user(first_name)
    course, term = offering(subject, number)
    draft, _ = ordering.start_draft(
        actor, course, term, now=demo.now, request_id="t", instructor_id=instructor.id if instructor else None
    )
    for title in items:
        ordering.add_item(draft, item(title).id, demo.now)
    db.session.commit()
    return draft


# --- Catalog search --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,expected",
    [
        ("python", {"Python Crash Course", "Think Python", "zyBooks Programming in Python 3"}),
        ("SIPSER", {"Introduction to the Theory of Computation"}),  # author, any case
        ("9781718502703", {"Python Crash Course"}),
        ("978-1-7185-0270-3", {"Python Crash Course"}),  # hyphens ignored
        ("1718-50", {"Python Crash Course"}),  # part of an ISBN
        ("abstract alg", {"Abstract Algebra", "A Book of Abstract Algebra", "Contemporary Abstract Algebra"}),
        ("no such title", set()),
        ("100%", set()),  # LIKE wildcards are literal
        ("___", set()),
    ],
)
def test_search_matches_title_author_or_isbn(demo, query, expected):
    assert {i.title for i in search_catalog(query).items} == expected


def test_search_needs_three_characters_and_caps_the_results(demo):
    short = search_catalog(" py ")
    assert short.items == [] and short.too_short and not short.searched
    assert not search_catalog("").too_short
    capped = search_catalog("978", limit=5)
    assert len(capped.items) == 5 and capped.more


# --- Starting a draft ------------------------------------------------------------------------------


def test_start_draft_preselects_the_users_sections_and_resumes_the_same_draft(demo):
    ada = demo.user("ada")
    course, term = offering("CS", "150")
    draft, created = ordering.start_draft(ada, course, term, now=demo.now, request_id="r1")
    db.session.commit()
    assert created and draft.status is OrderStatus.DRAFT and draft.number is None and draft.owner_id == ada.id
    assert [s.label for s in draft.sections] == ["001"]  # Alan's 002 is not Ada's to order
    assert [link.claimed for link in draft.order_sections] == [False]
    events = list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == draft.id)))
    assert [(e.kind, e.actor_id, e.request_id) for e in events] == [(EventKind.DRAFT_STARTED, ada.id, "r1")]
    again, created_again = ordering.start_draft(ada, course, term, now=demo.now, request_id="r2")
    assert (again.id, created_again) == (draft.id, False)
    assert ordering.find_draft(ada, course.id, term.id).id == draft.id
    assert count(OutboundEmail) == 0


def test_coordinator_draft_preselects_the_chosen_instructors_sections(demo):
    grace, alan = demo.user("grace"), demo.user("alan")
    course, term = offering("CS", "150")
    draft, _ = ordering.start_draft(grace, course, term, now=demo.now, request_id=None, instructor_id=alan.id)
    assert [s.label for s in draft.sections] == ["002"]
    choices = ordering.section_choices(grace, course.id, term.id, demo.now)
    assert [(c.section.label, c.orderable) for c in choices] == [("001", True), ("002", True)]


def test_start_refuses_outsiders_closed_periods_and_fully_ordered_courses(demo):
    course, term = offering("CS", "150")
    with pytest.raises(PermissionDenied, match="do not teach or coordinate any section of CS 150"):
        ordering.start_draft(demo.user("emmy"), course, term, now=demo.now, request_id=None)
    summer_course, summer = offering("MATH", "221", "Summer 2027")  # period upcoming
    with pytest.raises(OrderingError, match="ordering period for Summer 2027 opens on"):
        ordering.start_draft(demo.user("emmy"), summer_course, summer, now=demo.now, request_id=None)
    admin_draft, created = ordering.start_draft(
        demo.user("katherine"), summer_course, summer, now=demo.now, request_id=None
    )
    assert created  # Program Administrators are never bound by periods
    cs310, spring = offering("CS", "310")  # its only section is on order #1002
    with pytest.raises(OrderingError, match="already on an order"):
        ordering.start_draft(demo.user("alan"), cs310, spring, now=demo.now, request_id=None)


# --- Sections and items ----------------------------------------------------------------------------


def test_set_sections_refuses_foreign_ordered_and_empty_choices_without_changing_anything(demo):
    draft = draft_for(demo, "ada", "CS", "150")
    version = draft.version
    for bad, message in [
        ([section("CS", "150", "002").id], "not a section of CS 150 in Spring 2027 that you may order for"),
        ([section("CS", "310", "001").id], "not a section of CS 150"),
        ([], "Choose at least one section"),
    ]:
        with pytest.raises(OrderingError, match=message):
            ordering.set_sections(draft, bad, actor=demo.user("ada"), now=demo.now)
        db.session.rollback()
        assert [s.label for s in draft.sections] == ["001"] and draft.version == version

    grace = demo.user("grace")
    cs310 = section("CS", "310", "001")  # already on order #1002
    grace_draft, _ = ordering.start_draft(grace, *offering("CS", "150"), now=demo.now, request_id=None)
    ordering.set_sections(
        grace_draft, [section("CS", "150", "001").id, section("CS", "150", "002").id], actor=grace, now=demo.now
    )
    assert [s.label for s in grace_draft.sections] == ["001", "002"]
    with pytest.raises(OrderingError):
        ordering.set_sections(grace_draft, [cs310.id], actor=grace, now=demo.now)


def test_items_are_added_once_at_todays_price_and_removed(demo):
    draft = draft_for(demo, "ada", "CS", "150", items=())
    book = item("Think Python")
    added, was_added = ordering.add_item(draft, book.id, demo.now)
    assert was_added and draft.lines[0].student_price == Decimal("34.99")
    assert ordering.add_item(draft, book.id, demo.now) == (added, False)  # a double submit adds nothing
    ordering.add_item(draft, item("Python Crash Course").id, demo.now)
    db.session.commit()
    assert [(line.item.title, line.position) for line in draft.lines] == [
        ("Think Python", 0),
        ("Python Crash Course", 1),
    ]
    book.student_price = Decimal("99.00")  # the catalog changes; the draft keeps its snapshot
    db.session.commit()
    db.session.refresh(draft)
    assert total_per_student(draft) == Decimal("64.98")
    assert ordering.remove_item(draft, book.id, demo.now).title == "Think Python"
    assert ordering.remove_item(draft, book.id, demo.now) is None
    with pytest.raises(OrderingError, match="not in the catalog"):
        ordering.add_item(draft, 999999, demo.now)


# --- Placing ---------------------------------------------------------------------------------------


def test_place_numbers_claims_records_and_queues_the_receipt(demo):
    draft = draft_for(demo, "ada", "CS", "150", items=("Python Crash Course", "Think Python"))
    before = counter()
    order = ordering.place_draft(
        draft,
        actor=demo.user("ada"),
        now=demo.now,
        request_id="req-9",
        expected_version=draft.version,
        royalty=NO_ROYALTY,
    )
    db.session.commit()
    assert order.number == before + 1 == counter()
    assert (order.status, order.placed_by_id, order.placed_at) == (OrderStatus.PLACED, demo.user("ada").id, demo.now)
    assert all(link.claimed for link in order.order_sections)
    placed = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.PLACED)
    ).one()
    assert placed.on_behalf_of == [] and placed.request_id == "req-9"
    emails = list(db.session.scalars(select(OutboundEmail)))
    assert [(e.recipient, e.kind, e.event_id) for e in emails] == [("ada@demo.edu", "placed_receipt", placed.id)]
    assert emails[0].subject == f"Order #{order.number} placed — CS 150 Introduction to Programming, Spring 2027"
    for fact in [
        "Course: CS 150 Introduction to Programming",
        "Term: Spring 2027",
        "Section(s): 001",
        "Session: First Eight Weeks",
        "Python Crash Course (ISBN 9781718502703)",
        "Think Python",
    ]:
        assert fact in render_email(emails[0]).text


def test_coordinator_places_on_behalf_of_the_instructor_who_gets_a_receipt_too(demo):
    alan = demo.user("alan")
    draft = draft_for(demo, "grace", "CS", "150", instructor=alan)
    order = ordering.place_draft(draft, actor=demo.user("grace"), now=demo.now, request_id=None, royalty=NO_ROYALTY)
    db.session.commit()
    placed = db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == EventKind.PLACED)
    ).one()
    assert placed.on_behalf_of == [{"id": alan.id, "name": "Alan Turing"}]
    emails = {e.recipient: e for e in db.session.scalars(select(OutboundEmail))}
    assert set(emails) == {"grace@demo.edu", "alan@demo.edu"}
    assert emails["alan@demo.edu"].subject.startswith(f"Order #{order.number} placed for you by Grace Hopper")
    assert "On behalf of: Alan Turing" in render_email(emails["grace@demo.edu"]).text


def _refused_and_unchanged(demo, draft, actor, error, match):
    before = (counter(), count(OrderEvent), count(OutboundEmail))
    with pytest.raises(error, match=match):
        ordering.place_draft(draft, actor=actor, now=demo.now, request_id=None, royalty=NO_ROYALTY)
    db.session.rollback()
    db.session.refresh(draft)
    assert draft.status is OrderStatus.DRAFT and draft.number is None
    assert not any(link.claimed for link in draft.order_sections)
    assert (counter(), count(OrderEvent), count(OutboundEmail)) == before


def test_place_refuses_a_draft_without_items_or_sections(demo):
    draft = draft_for(demo, "ada", "CS", "150", items=())
    _refused_and_unchanged(demo, draft, demo.user("ada"), PlacementRefused, "Add at least one course material")
    grace = demo.user("grace")
    empty = draft_for(demo, "grace", "CS", "150")  # Grace teaches nothing: no section preselected
    _refused_and_unchanged(demo, empty, grace, PlacementRefused, "Choose at least one section")


def test_closed_period_refuses_instructors_but_not_program_administrators(demo):
    ada_draft = draft_for(demo, "ada", "CS", "150")
    admin_draft = draft_for(demo, "katherine", "CS", "150")
    ordering.set_sections(admin_draft, [section("CS", "150", "002").id], actor=demo.user("katherine"), now=demo.now)
    _, spring = offering("CS", "150")
    spring.period.closes_at = demo.now - timedelta(minutes=1)  # the period closes while both drafts are open
    db.session.commit()
    _refused_and_unchanged(
        demo, ada_draft, demo.user("ada"), PlacementRefused, "ordering period for Spring 2027 closed on"
    )
    order = ordering.place_draft(
        admin_draft, actor=demo.user("katherine"), now=demo.now, request_id=None, royalty=NO_ROYALTY
    )
    db.session.commit()
    assert order.status is OrderStatus.PLACED and order.number == counter()


def test_place_refuses_a_section_someone_else_ordered_and_keeps_the_draft(demo):
    ada_draft = draft_for(demo, "ada", "CS", "150")
    grace_draft = draft_for(demo, "grace", "CS", "150", instructor=demo.user("ada"))
    ordering.place_draft(grace_draft, actor=demo.user("grace"), now=demo.now, request_id=None, royalty=NO_ROYALTY)
    db.session.commit()
    _refused_and_unchanged(demo, ada_draft, demo.user("ada"), PlacementRefused, r"Section 001 is already on order #\d+")


def test_the_database_constraint_backs_up_the_check(demo, monkeypatch):
    """When two placements pass the check together, the partial unique index refuses the second."""
    ada_draft = draft_for(demo, "ada", "CS", "150")
    grace_draft = draft_for(demo, "grace", "CS", "150", instructor=demo.user("ada"))
    ordering.place_draft(grace_draft, actor=demo.user("grace"), now=demo.now, request_id=None, royalty=NO_ROYALTY)
    db.session.commit()
    real = ordering.claimed_sections
    calls = []

    def stale_first_check(ids, **kwargs):  # the first check ran before the other order was committed
        calls.append(ids)
        return {} if len(calls) == 1 else real(ids, **kwargs)

    monkeypatch.setattr(ordering, "claimed_sections", stale_first_check)
    _refused_and_unchanged(
        demo, ada_draft, demo.user("ada"), SectionsTaken, r"001 was ordered by someone else .*#\d+.*draft is kept"
    )


def test_repeat_and_stale_placements(demo):
    draft = draft_for(demo, "ada", "CS", "150")
    with pytest.raises(DraftChanged):
        ordering.place_draft(
            draft,
            actor=demo.user("ada"),
            now=demo.now,
            request_id=None,
            expected_version=draft.version - 1,
            royalty=NO_ROYALTY,
        )
    db.session.rollback()
    ordering.place_draft(
        draft, actor=demo.user("ada"), now=demo.now, request_id=None, expected_version=draft.version, royalty=NO_ROYALTY
    )
    db.session.commit()
    with pytest.raises(DraftClosed, match="already placed as order #"):
        ordering.place_draft(draft, actor=demo.user("ada"), now=demo.now, request_id=None, royalty=NO_ROYALTY)
    db.session.rollback()
    with pytest.raises(DraftClosed):
        ordering.add_item(draft, item("Think Python").id, demo.now)
    assert count(OrderEvent, OrderEvent.order_id == draft.id, OrderEvent.kind == EventKind.PLACED) == 1
    assert count(OutboundEmail) == 1


def test_only_the_owner_may_place(demo):
    draft = draft_for(demo, "ada", "CS", "150")
    assert owns_draft(demo.user("ada"), draft) and not owns_draft(demo.user("katherine"), draft)
    _refused_and_unchanged(
        demo, draft, demo.user("katherine"), PlacementRefused, "Only the person who started this draft"
    )


# --- Discarding ------------------------------------------------------------------------------------


def test_discard_is_once_without_number_or_email(demo):
    draft = draft_for(demo, "ada", "CS", "150")
    before = counter()
    with pytest.raises(PermissionDenied):
        ordering.discard_draft(draft, actor=demo.user("katherine"), now=demo.now, request_id=None)
    db.session.rollback()
    assert ordering.discard_draft(draft, actor=demo.user("ada"), now=demo.now, request_id="d1") is True
    db.session.commit()
    assert ordering.discard_draft(draft, actor=demo.user("ada"), now=demo.now, request_id="d2") is False
    db.session.commit()
    assert (draft.status, draft.number, counter()) == (OrderStatus.DISCARDED, None, before)
    kinds = list(
        db.session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == draft.id).order_by(OrderEvent.id))
    )
    assert kinds == [EventKind.DRAFT_STARTED, EventKind.DRAFT_DISCARDED]
    assert count(OutboundEmail) == 0
    assert ordering.find_draft(demo.user("ada"), draft.course_id, draft.term_id) is None
    fresh, created = ordering.start_draft(demo.user("ada"), *offering("CS", "150"), now=demo.now, request_id=None)
    assert created and fresh.id != draft.id


# --- Race on PostgreSQL ----------------------------------------------------------------------------


def test_concurrent_placements_for_one_section_place_exactly_one_order(app, demo_data):
    """Two users, each with a draft for CS 150 001, press Place order at the same moment."""
    require_postgres()
    with app.app_context():
        ada, grace = demo_data.user("ada"), demo_data.user("grace")
        drafts = {
            draft_for(demo_data, "ada", "CS", "150").id: ada.id,
            draft_for(demo_data, "grace", "CS", "150", instructor=ada).id: grace.id,
        }
        before = counter()
        db.session.remove()
    barrier = threading.Barrier(len(drafts))
    outcomes: dict[int, str] = {}

    def place(draft_id: int) -> None:
        with app.app_context():  # its own session and connection
            try:
                draft = get_draft_or_404(draft_id)
                actor = db.session.get(User, drafts[draft_id])
                assert actor.grants is not None and draft.sections and draft.lines  # loaded before the race
                barrier.wait(timeout=10)
                ordering.place_draft(draft, actor=actor, now=demo_data.now, request_id=None, royalty=NO_ROYALTY)
                db.session.commit()
                outcomes[draft_id] = "placed"
            except SectionsTaken as refused:
                db.session.rollback()
                outcomes[draft_id] = refused.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=place, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v == "placed" for v in outcomes.values()) == [False, True], outcomes
    loser = next(d for d, v in outcomes.items() if v != "placed")
    assert "ordered by someone else" in outcomes[loser]
    with app.app_context():
        assert count(OrderSection, OrderSection.section_id == section("CS", "150", "001").id, OrderSection.claimed) == 1
        assert db.session.get(Order, loser).status is OrderStatus.DRAFT
        assert counter() == before + 1
        assert count(OrderEvent, OrderEvent.kind == EventKind.PLACED, OrderEvent.order_id.in_(list(drafts))) == 1
        assert {e.recipient for e in db.session.scalars(select(OutboundEmail))} <= {"ada@demo.edu", "grace@demo.edu"}
        db.session.remove()

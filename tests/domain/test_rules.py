"""The rules of docs/spec.md §2 as unit tests: grants, periods, view and cancel predicates."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.domain.models import Course, CourseLevel, OrderStatus, Section
from orders.domain.periods import is_open, period_state
from orders.domain.reach import can_view_order, covered_by_grants_clause, grant_covers
from orders.domain.rules import can_cancel, can_place, cancel_decision
from orders.domain.windows import WindowState
from orders.extensions import db
from tests import factories as f


def test_period_boundaries(app_ctx, now):
    term = f.term(now)
    term.period.opens_at, term.period.closes_at = now, now + timedelta(hours=1)
    assert period_state(term, now - timedelta(microseconds=1)) is WindowState.UPCOMING
    assert is_open(term, now)  # opens_at is inclusive
    assert is_open(term, now + timedelta(minutes=59))
    assert period_state(term, now + timedelta(hours=1)) is WindowState.CLOSED  # closes_at is exclusive
    term.period = None
    assert period_state(term, now) is WindowState.NOT_SET and not is_open(term, now)


def _grid(now):
    """Sections across every combination of the four grant dimensions."""
    term = f.term(now)
    sections = []
    for subject, level, org, campus in itertools.product(
        ["MATH", "CS"], list(CourseLevel), ["ORG1", "ORG2"], ["MAIN", "EAST"]
    ):
        sections.append(f.section(term, subject=subject, number="100", level=level, org_code=org, campus_code=campus))
    return sections


def test_each_grant_dimension_and_combination_matches_in_python_and_sql(app_ctx, now):
    sections = _grid(now)
    org2 = next(s.organization for s in sections if s.organization.code == "ORG2")
    east = next(s.campus for s in sections if s.campus.code == "EAST")
    scopes = [
        {},
        {"subject": "MATH"},
        {"level": CourseLevel.GRADUATE},
        {"organization_id": org2.id},
        {"campus_id": east.id},
        {"subject": "CS", "level": CourseLevel.UNDERGRADUATE},
        {"subject": "MATH", "organization_id": org2.id, "campus_id": east.id, "level": CourseLevel.GRADUATE},
    ]
    expected_counts = [16, 8, 8, 8, 8, 4, 1]
    for scope, expected in zip(scopes, expected_counts):
        coordinator = f.user()
        grant = f.grant(coordinator, **scope)
        in_python = {s.id for s in sections if grant_covers(grant, s)}
        in_sql = set(db.session.scalars(select(Section.id).join(Course).where(covered_by_grants_clause([grant]))))
        assert in_python == in_sql, scope
        assert len(in_python) == expected, scope


def test_reach_is_the_union_of_grants(app_ctx, now):
    sections = _grid(now)
    east = next(s.campus for s in sections if s.campus.code == "EAST")
    coordinator = f.user()
    f.grant(coordinator, subject="MATH", level=CourseLevel.GRADUATE)
    f.grant(coordinator, subject="CS", campus_id=east.id)
    db.session.expire(coordinator)
    covered = set(
        db.session.scalars(select(Section.id).join(Course).where(covered_by_grants_clause(coordinator.grants)))
    )
    assert len(covered) == 4 + 4  # MATH graduate (4) + CS on EAST (4), disjoint
    assert covered == {s.id for s in sections if any(grant_covers(g, s) for g in coordinator.grants)}


@pytest.fixture
def world(app_ctx, now):
    """An instructor, a placer-coordinator, an outsider and an admin around one MATH order per period state."""
    w = type("World", (), {})()
    w.instructor = f.user("Ina Structor")
    w.other_instructor = f.user("Otto Ther")
    w.coordinator = f.user("Cora Dinator")
    f.grant(w.coordinator, subject="MATH")
    w.cs_coordinator = f.user("Cecil Science")
    f.grant(w.cs_coordinator, subject="CS")
    w.outsider = f.user("Out Sider")
    w.admin = f.user("Ad Min", admin=True)
    w.orders = {}
    for state in ("open", "closed", "upcoming"):
        term = f.term(now, state=state)
        s1 = f.section(term, instructors=(w.instructor,))
        w.orders[state] = f.placed_order([s1], w.instructor, now)
    db.session.expire_all()
    return w


@pytest.mark.parametrize(
    "who,expected",
    [
        ("instructor", True),
        ("coordinator", True),
        ("admin", True),
        ("cs_coordinator", False),
        ("outsider", False),
    ],
)
def test_can_view_order(world, who, expected):
    assert can_view_order(getattr(world, who), world.orders["open"]) is expected


@pytest.mark.parametrize(
    "who,state,allowed,refusal",
    [
        ("instructor", "open", True, ""),
        ("instructor", "closed", False, "To cancel this order, contact your Program Administrator(s) at pa@test.edu."),
        ("instructor", "upcoming", False, "To cancel this order, contact your Program Administrator(s)"),
        ("coordinator", "open", True, ""),
        ("coordinator", "closed", False, "closed on"),
        ("cs_coordinator", "open", False, "They or a Program Administrator can cancel it."),
        ("outsider", "open", False, "They or a Program Administrator can cancel it."),
        ("admin", "open", True, ""),
        ("admin", "closed", True, ""),
        ("admin", "upcoming", True, ""),
    ],
)
def test_cancel_decision(world, now, who, state, allowed, refusal):
    f.institution()
    decision = cancel_decision(getattr(world, who), world.orders[state], now)
    assert decision.allowed is allowed
    assert refusal in decision.reason and bool(decision.reason) is not allowed
    assert can_cancel(getattr(world, who), world.orders[state], now) is allowed


def test_instructor_of_record_who_did_not_place_cannot_cancel(world, now):
    order = world.orders["open"]
    order.placed_by_id = world.coordinator.id
    assert "They or a Program Administrator can cancel it." in cancel_decision(world.instructor, order, now).reason
    assert can_cancel(world.coordinator, order, now)


def test_coordinator_must_cover_every_section(app_ctx, now):
    term = f.term(now)
    placer = f.user()
    math = f.section(term, subject="MATH", number="200", instructors=(placer,))
    other = f.section(term, subject="MATH", number="200", org_code="ORG9", instructors=(placer,))
    order = f.placed_order([math, other], placer, now)
    narrow = f.user()
    f.grant(narrow, subject="MATH", organization_id=math.organization_id)
    wide = f.user()
    f.grant(wide, subject="MATH")
    db.session.expire_all()
    assert "They or a Program Administrator can cancel it." in cancel_decision(narrow, order, now).reason
    assert can_view_order(narrow, order)  # covering one section is enough to see it
    assert can_cancel(wide, order, now)


def test_nobody_cancels_a_canceled_order(world, now):
    order = world.orders["open"]
    order.status = OrderStatus.CANCELED
    for who in ("instructor", "coordinator", "admin"):
        assert cancel_decision(getattr(world, who), order, now).reason == "Only placed orders can be canceled."


def test_can_place_respects_period_and_reach(world, now):
    open_section = world.orders["open"].sections[0]
    closed_section = world.orders["closed"].sections[0]
    assert can_place(world.instructor, open_section, now)
    assert not can_place(world.instructor, closed_section, now)
    assert can_place(world.coordinator, open_section, now)
    assert not can_place(world.cs_coordinator, open_section, now)
    assert not can_place(world.other_instructor, open_section, now)
    assert can_place(world.admin, closed_section, now)

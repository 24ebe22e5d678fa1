"""The bulk generator: deterministic, consistent data, and pages whose query count does not grow with it."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from devtools import bulk
from orders.domain.formats import isbn
from orders.domain.models import (
    CatalogItem,
    CoordinatorGrant,
    EventKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    Section,
    TeachingAssignment,
    Term,
    User,
)
from orders.domain.periods import period_state
from orders.domain.windows import WindowState
from orders.extensions import db

SMALL = dict(sections=150, instructors=30, coordinators=8, orders=300)
LARGE = dict(sections=600, instructors=120, coordinators=30, orders=1200)
FIXED_NOW = datetime(2027, 1, 5, 15, 30, tzinfo=timezone.utc)


def load(app, now: datetime, seed: int = 1, **sizes) -> dict[str, int]:
    """Generate into the (empty) test schema and commit."""
    with app.app_context():
        counts = bulk.generate(**(sizes or SMALL), seed=seed, now=now)
        db.session.commit()
        db.session.remove()
    return counts


def wipe(app) -> None:
    """Empty every table, as the conftest does between tests."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


def snapshot() -> dict:
    """Enough of the data to tell two loads apart."""
    return dict(
        users=list(db.session.execute(select(User.id, User.email, User.is_program_admin).order_by(User.id))),
        sections=list(
            db.session.execute(
                select(Section.id, Section.course_id, Section.term_id, Section.label, Section.campus_id).order_by(
                    Section.id
                )
            )
        ),
        orders=list(
            db.session.execute(
                select(
                    Order.number,
                    Order.status,
                    Order.term_id,
                    Order.course_id,
                    Order.placed_by_id,
                    Order.canceled_by_id,
                    Order.placed_at,
                ).order_by(Order.number)
            )
        ),
        order_sections=list(
            db.session.execute(
                select(OrderSection.order_id, OrderSection.section_id, OrderSection.claimed).order_by(
                    OrderSection.order_id, OrderSection.section_id
                )
            )
        ),
        lines=list(
            db.session.execute(
                select(OrderLine.order_id, OrderLine.catalog_item_id).order_by(
                    OrderLine.order_id, OrderLine.catalog_item_id
                )
            )
        ),
    )


def test_same_seed_gives_same_data_and_another_seed_does_not(app):
    first_counts = load(app, FIXED_NOW)
    with app.app_context():
        first = snapshot()
    wipe(app)
    assert load(app, FIXED_NOW) == first_counts
    with app.app_context():
        assert snapshot() == first
    wipe(app)
    load(app, FIXED_NOW, seed=2)
    with app.app_context():
        assert snapshot()["orders"] != first["orders"]
    assert first_counts["course_order"] == SMALL["orders"]
    assert first_counts["section"] == SMALL["sections"]


def test_refuses_a_schema_that_has_data(app):
    load(app, FIXED_NOW)
    with app.app_context(), pytest.raises(RuntimeError, match="empty schema"):
        bulk.generate(**SMALL, seed=1, now=FIXED_NOW)


def test_invariants(app):
    load(app, FIXED_NOW, **LARGE)
    with app.app_context():
        session = db.session
        # A section belongs to at most one placed order; placed orders claim theirs, canceled ones none.
        claims = Counter(session.scalars(select(OrderSection.section_id).where(OrderSection.claimed)))
        assert claims and max(claims.values()) == 1
        rows = session.execute(
            select(Order.status, OrderSection.claimed).join(OrderSection, OrderSection.order_id == Order.id)
        ).all()
        assert {(status, claimed) for status, claimed in rows} == {
            (OrderStatus.PLACED, True),
            (OrderStatus.CANCELED, False),
        }
        # Each order: 1-3 sections of its own course and term, 1-3 lines at the item's price.
        per_order = session.execute(
            select(
                Order.id,
                func.count(),
                func.min(Section.course_id),
                func.max(Section.course_id),
                func.min(Section.term_id),
                func.max(Section.term_id),
                Order.course_id,
                Order.term_id,
            )
            .join(OrderSection, OrderSection.order_id == Order.id)
            .join(Section, Section.id == OrderSection.section_id)
            .group_by(Order.id)
        ).all()
        assert len(per_order) == LARGE["orders"]
        for _, count, min_course, max_course, min_term, max_term, course_id, term_id in per_order:
            assert 1 <= count <= 3 and min_course == max_course == course_id and min_term == max_term == term_id
        line_counts = Counter(session.scalars(select(OrderLine.order_id)))
        assert len(line_counts) == LARGE["orders"] and set(line_counts.values()) <= {1, 2, 3}
        # Numbers are sequential and the counter holds the last one.
        numbers = list(session.scalars(select(Order.number).order_by(Order.number)))
        assert numbers == list(range(bulk.FIRST_ORDER_NUMBER, bulk.FIRST_ORDER_NUMBER + LARGE["orders"]))
        assert session.scalar(select(OrderNumberCounter.last_number)) == numbers[-1]
        # Events: one placed per order, one canceled per canceled order, by the recorded actors.
        events = Counter(
            session.execute(select(OrderEvent.kind, Order.status).join(Order, Order.id == OrderEvent.order_id)).all()
        )
        placed = session.scalar(select(func.count()).where(Order.status == OrderStatus.PLACED))
        canceled = session.scalar(select(func.count()).where(Order.status == OrderStatus.CANCELED))
        assert placed and canceled
        assert events == {
            (EventKind.PLACED, OrderStatus.PLACED): placed,
            (EventKind.PLACED, OrderStatus.CANCELED): canceled,
            (EventKind.CANCELED, OrderStatus.CANCELED): canceled,
        }
        for order in session.scalars(select(Order).where(Order.status == OrderStatus.CANCELED).limit(50)):
            assert order.canceled_at > order.placed_at and order.canceled_by_id is not None and order.version == 2
        # Catalog: valid ISBN-13s; users: unique lower-case emails and the documented password.
        codes = list(session.scalars(select(CatalogItem.isbn13)))
        assert all(isbn.is_valid(code) for code in codes) and len(set(codes)) == len(codes)
        emails = list(session.scalars(select(User.email)))
        assert len(set(emails)) == len(emails) and all(e == e.lower() for e in emails)
        assert check_password_hash(
            session.scalar(select(User.password_hash).where(User.email == bulk.ADMIN_EMAIL)), bulk.BULK_PASSWORD
        )
        # Terms: one open, one upcoming, the others closed.
        states = Counter(period_state(term, FIXED_NOW) for term in session.scalars(select(Term)))
        assert states == {WindowState.OPEN: 1, WindowState.UPCOMING: 1, WindowState.CLOSED: 4}
        # Teaching: most sections one instructor, some two, a few none.
        per_section = Counter(session.scalars(select(TeachingAssignment.section_id)))
        shape = Counter(per_section.values())
        unassigned = LARGE["sections"] - len(per_section)
        assert shape[1] > shape[2] > 0 and 0 < unassigned < LARGE["sections"] * 0.08
        # The large coordinator exists with the documented grants.
        large = session.scalars(select(User).where(User.email == bulk.LARGE_COORDINATOR_EMAIL)).one()
        assert len(large.grants) == 2
        assert session.scalar(select(func.count()).select_from(CoordinatorGrant)) >= LARGE["coordinators"]


# --- Query counts do not grow with the data ---------------------------------------------------------


def _instructor_with_orders() -> User:
    """The instructor with the most ordered sections in the current (open or upcoming) terms."""
    from orders.domain.models import OrderingPeriod

    return db.session.scalars(
        select(User)
        .join(TeachingAssignment, TeachingAssignment.user_id == User.id)
        .join(Section, Section.id == TeachingAssignment.section_id)
        .join(OrderingPeriod, OrderingPeriod.term_id == Section.term_id)
        .join(OrderSection, OrderSection.section_id == Section.id)
        .where(OrderingPeriod.closes_at > datetime.now(timezone.utc))
        .group_by(User.id)
        .order_by(func.count().desc(), User.id)
        .limit(1)
    ).one()


def _order_for(user: User | None) -> int:
    """A placed two-section order the user may see (any for an admin), with instructors of record."""
    query = (
        select(Order.number)
        .join(OrderSection, OrderSection.order_id == Order.id)
        .join(TeachingAssignment, TeachingAssignment.section_id == OrderSection.section_id)
        .where(Order.status == OrderStatus.PLACED)
        .group_by(Order.number)
        .order_by(func.count(func.distinct(OrderSection.section_id)).desc(), Order.number.desc())
        .limit(1)
    )
    if user is not None:
        query = query.where(TeachingAssignment.user_id == user.id)
    return db.session.scalar(query)


def _measure(app, client, count_queries, sizes: dict) -> dict[str, list[str]]:
    """SQL statements per request for each role and screen, at this data size."""
    load(app, datetime.now(timezone.utc), **sizes)
    with app.app_context():
        instructor = _instructor_with_orders()
        coordinator_order = db.session.scalar(
            select(Order.number)
            .join(OrderSection, OrderSection.order_id == Order.id)
            .join(Section, Section.id == OrderSection.section_id)
            .where(Section.campus_id == 1, Order.status == OrderStatus.PLACED)
            .order_by(Order.number.desc())
            .limit(1)
        )
        plan = {
            "admin": (bulk.ADMIN_EMAIL, _order_for(None)),
            "coordinator": (bulk.LARGE_COORDINATOR_EMAIL, coordinator_order),
            "instructor": (instructor.email, _order_for(instructor)),
        }
        switch_to = instructor.id
    results = {}
    for role, (email, number) in plan.items():
        client.post("/sign-out")
        response = client.post("/sign-in", data={"email": email, "password": bulk.BULK_PASSWORD})
        assert response.status_code == 303, role
        requests = {
            "courses": ("/", {}),
            "summary": (f"/orders/{number}", {}),
        }
        if role != "instructor":
            requests["instructor switch (htmx)"] = (f"/?instructor={switch_to}", {"HX-Request": "true"})
        for screen, (url, headers) in requests.items():
            with count_queries() as counter:
                response = client.get(url, headers=headers)
            assert response.status_code == 200, (role, screen, response.status_code)
            results[f"{role} {screen}"] = counter.statements
    wipe(app)
    return results


def test_query_counts_do_not_grow_with_the_data(app, client, count_queries):
    small = _measure(app, client, count_queries, SMALL)
    large = _measure(app, client, count_queries, LARGE)
    differences = []
    for key in small:
        if len(small[key]) != len(large[key]):
            grown = Counter(s.split(" FROM ")[1][:60] if " FROM " in s else s[:60] for s in large[key])
            grown.subtract(Counter(s.split(" FROM ")[1][:60] if " FROM " in s else s[:60] for s in small[key]))
            differences.append(f"{key}: {len(small[key])} -> {len(large[key])} queries; grew: {+grown}")
    assert not differences, "\n".join(differences)
    for key in small:
        print(
            f"{key}: {len(small[key])} queries at {SMALL['sections']} sections, {len(large[key])} at "
            f"{LARGE['sections']}"
        )


# --- Students ---------------------------------------------------------------------------------------

STUDENTS = dict(SMALL, students=200, enrollments=800)


def test_students_enrollments_and_opt_outs(app):
    counts = load(app, FIXED_NOW, **STUDENTS)
    from orders.domain.models import ChoiceEvent, Enrollment, EnrollmentState, StudentChoice
    from orders.domain.students.choices import window_state
    from orders.domain.windows import WindowState

    assert counts["enrollment"] == 800
    with app.app_context():
        session = db.session
        students = session.scalars(select(User).where(User.email.like("student%@bulk.edu"))).all()
        assert len(students) == 200 and all(s.sis_id and s.sis_id.startswith("S") for s in students)
        assert counts["app_user"] == 200 + 3 + SMALL["coordinators"] + SMALL["instructors"]
        # The benchmark's student: 4 enrollments, each in an open-term section on a placed order.
        first = session.scalars(select(User).where(User.email == bulk.STUDENT_EMAIL)).one()
        sections = session.scalars(
            select(Enrollment.section_id).where(
                Enrollment.user_id == first.id, Enrollment.state == EnrollmentState.ENROLLED
            )
        ).all()
        assert len(sections) == bulk.STUDENT_ENROLLMENTS
        claimed = set(session.scalars(select(OrderSection.section_id).where(OrderSection.claimed)))
        assert set(sections) <= claimed
        terms = {session.get(Section, s).term for s in sections}
        assert [window_state(t, FIXED_NOW) for t in terms] == [WindowState.OPEN]
        # Enrollments only in the open and the closed term, one per pair, a few dropped after the window opened.
        by_term = Counter(
            session.scalars(select(Section.term_id).join(Enrollment, Enrollment.section_id == Section.id))
        )
        assert len(by_term) == 2 and max(by_term.values()) > 2 * min(by_term.values())
        pairs = session.execute(select(Enrollment.user_id, Enrollment.section_id)).all()
        assert len(set(pairs)) == len(pairs) == 800
        dropped = session.execute(
            select(Enrollment.dropped_at, Term.choice_opens_at)
            .join(Section, Section.id == Enrollment.section_id)
            .join(Term, Term.id == Section.term_id)
            .where(Enrollment.state == EnrollmentState.DROPPED)
        ).all()
        assert 0 < len(dropped) < 80 and all(at > opens for at, opens in dropped)
        # Opt-outs: about 8% of the billable lines, each on a line of the section's placed order, each with its event.
        choices = session.scalars(select(StudentChoice)).all()
        on_orders = set(
            session.execute(
                select(OrderSection.section_id, OrderLine.catalog_item_id)
                .join(OrderLine, OrderLine.order_id == OrderSection.order_id)
                .where(OrderSection.claimed)
            )
        )
        assert choices and all((c.section_id, c.catalog_item_id) in on_orders for c in choices)
        enrolled_lines = session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .join(OrderSection, (OrderSection.section_id == Enrollment.section_id) & OrderSection.claimed)
            .join(OrderLine, OrderLine.order_id == OrderSection.order_id)
        )
        assert 0.04 < len(choices) / enrolled_lines < 0.12
        assert session.scalar(select(func.count()).select_from(ChoiceEvent)) == len(choices)


def test_students_do_not_change_the_rest_of_the_data(app):
    load(app, FIXED_NOW)
    with app.app_context():
        without = snapshot()
    wipe(app)
    load(app, FIXED_NOW, **STUDENTS)
    with app.app_context():
        with_students = snapshot()
    staff = [u for u in with_students.pop("users") if not u[1].startswith("student")]
    assert staff == without.pop("users")
    assert with_students == without

"""Counts as data: Progress's per-section counters as the Python rule computes them (effective_choice,
is_charged, the order's counted lines), as the SQL twin computes them (section_counts.expected_counts), and
as stored (section_counts) agree, whatever enrollments, orders, choices and answers made them (hypothesis).
An order awaiting approval, or returned to its placer, claims its sections but counts nowhere (docs/spec.md §8):
not ordered, not "no materials needed", no student charged, until it is approved.

Each example goes through the real write paths: an SIS import (sections, students, enrollments), orders,
lines, approved requests, choices and answers as the ORM writes them, then changes: cancel_order (the
guarded UPDATE and the claims), approve_order (awaiting approval -> placed), change_choice (a choice's INSERT or
UPDATE), a second SIS import
(enrollments dropped, added, a section removed), a line taken off, an item made free, the program mode.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orders.domain.formats import isbn
from orders.domain.lines import counted_item_ids
from orders.domain.models import (
    CatalogItem,
    ChoiceValue,
    ContentRequest,
    ContentRequestStatus,
    Delivery,
    Enrollment,
    EnrollmentState,
    Institution,
    NoMaterialsAnswer,
    Order,
    OrderingPeriod,
    OrderLine,
    OrderSection,
    OrderStatus,
    ProgramMode,
    Section,
    SectionCounts,
    SectionState,
    StudentChoice,
    Term,
    User,
)
from orders.domain.ordering.canceling import cancel_order
from orders.domain.review.deciding import approve_order
from orders.domain.section_counts import COLUMNS, drift, expected_counts
from orders.domain.sis.files import write_file
from orders.domain.sis.importer import run_import
from orders.domain.students.choices import effective_choice, is_charged
from orders.domain.students.choosing import change_choice
from orders.domain.students.materials import student_term
from orders.extensions import db
from tests.domain.test_reach_table import _empty_every_table

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)
SECTIONS, STUDENTS, ITEMS = 3, 4, 3

world = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(list(ProgramMode)),
        "zero_cost": st.lists(st.booleans(), min_size=ITEMS, max_size=ITEMS),
        "enrollments": st.dictionaries(
            st.tuples(st.integers(0, STUDENTS - 1), st.integers(0, SECTIONS - 1)),
            st.sampled_from(["enrolled", "dropped"]),
            max_size=8,
        ),
        # Orders: the sections each covers (placed; or canceled), its catalog lines, its approved requests' items.
        "orders": st.lists(
            st.fixed_dictionaries(
                {
                    "sections": st.sets(st.integers(0, SECTIONS - 1), min_size=1, max_size=2),
                    "canceled": st.booleans(),
                    "review": st.sampled_from(
                        [None, "awaiting", "returned"]
                    ),  # submitted in an organization under review
                    "lines": st.sets(st.integers(0, ITEMS - 1), max_size=ITEMS),
                    "requests": st.lists(st.integers(0, ITEMS - 1), max_size=2),
                }
            ),
            min_size=1,
            max_size=3,
        ),
        "choices": st.dictionaries(
            st.tuples(st.integers(0, STUDENTS - 1), st.integers(0, SECTIONS - 1), st.integers(0, ITEMS - 1)),
            st.sampled_from(list(ChoiceValue)),
            max_size=6,
        ),
        "answered": st.sets(st.integers(0, SECTIONS - 1), max_size=2),
        # The changes.
        "cancel": st.sets(st.integers(0, 2), max_size=2),
        "approve": st.sets(st.integers(0, 2), max_size=2),
        "toggles": st.lists(
            st.tuples(st.integers(0, STUDENTS - 1), st.integers(0, SECTIONS - 1), st.integers(0, ITEMS - 1)), max_size=3
        ),
        "enrollments_after": st.dictionaries(
            st.tuples(st.integers(0, STUDENTS - 1), st.integers(0, SECTIONS - 1)),
            st.sampled_from(["enrolled", "dropped"]),
            max_size=8,
        ),
        "removed_section": st.one_of(st.none(), st.integers(0, SECTIONS - 1)),
        "line_taken_off": st.one_of(st.none(), st.tuples(st.integers(0, 2), st.integers(0, ITEMS - 1))),
        "made_free": st.one_of(st.none(), st.integers(0, ITEMS - 1)),
        "unanswered": st.sets(st.integers(0, SECTIONS - 1), max_size=1),
        "mode_after": st.one_of(st.none(), st.sampled_from(list(ProgramMode))),
    }
)


def _dump(directory: Path, enrollments: dict, removed: int | None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_file(directory, "terms.csv", [("T1", "202710", "Spring 2027", "2027-01-15", "2027-05-10")])
    write_file(directory, "sessions.csv", [("REG", "Regular Academic Session")])
    write_file(directory, "campuses.csv", [("C1", "C1", "Main")])
    write_file(directory, "organizations.csv", [("O1", "O1", "Mathematics")])
    write_file(directory, "courses.csv", [("K1", "MATH", "221", "Calculus I")])
    write_file(
        directory,
        "sections.csv",
        [
            (f"S{n}", "K1", "T1", "REG", "C1", "O1", "Undergraduate", f"{n:03d}")
            for n in range(SECTIONS)
            if n != removed
        ],
    )
    people = [("P0", "Ina Structor", "ina@sis.test", "ina")] + [
        (f"U{n}", f"Stu Dent{n}", f"s{n}@sis.test", f"s{n}") for n in range(STUDENTS)
    ]
    write_file(directory, "users.csv", people)
    write_file(directory, "teaching_assignments.csv", [("P0", f"S{n}") for n in range(SECTIONS) if n != removed])
    write_file(
        directory,
        "enrollments.csv",
        sorted((f"U{u}", f"S{s}", state) for (u, s), state in enrollments.items() if s != removed),
    )


def _by_sis(model, sis_id: str):
    return db.session.scalars(select(model).where(model.sis_id == sis_id)).one()


def _build(data: dict, tmp: Path) -> dict:
    """The first night: the SIS import, then orders, choices and answers as the ORM writes them."""
    db.session.add(
        Institution(name="Test", timezone="America/Chicago", contact_email="pa@test.edu", program_mode=data["mode"])
    )
    actor = User(
        name="Acting Admin", sort_name="admin acting", email="actor@test.edu", active=True, is_program_admin=True
    )
    db.session.add(actor)
    db.session.commit()
    _dump(tmp / "first", data["enrollments"], None)
    run_import(tmp / "first", dry_run=False, now=NOW)
    term = _by_sis(Term, "T1")
    term.period = OrderingPeriod(opens_at=NOW - timedelta(days=20), closes_at=NOW + timedelta(days=20))
    term.choice_opens_at, term.choice_closes_at = NOW - timedelta(days=5), NOW + timedelta(days=5)
    items = []
    for n, free in enumerate(data["zero_cost"]):
        first12 = f"978{n + 100:09d}"
        items.append(
            CatalogItem(
                title=f"Book {n}",
                authors="A",
                isbn13=first12 + isbn.check_digit(first12),
                publisher="P",
                edition="1",
                delivery=Delivery.ETEXT,
                student_price=Decimal("10.00"),
                zero_cost=free,
            )
        )
    db.session.add_all(items)
    db.session.flush()
    sections = [_by_sis(Section, f"S{n}") for n in range(SECTIONS)]
    claimed: set[int] = set()
    orders = []
    for number, shape in enumerate(data["orders"]):
        placed = not shape["canceled"] and not (shape["sections"] & claimed)  # one claimed order per section
        review = shape.get("review") if placed else None
        status = {
            None: OrderStatus.PLACED,
            "awaiting": OrderStatus.AWAITING_APPROVAL,
            "returned": OrderStatus.RETURNED,
        }[review]
        status = status if placed else OrderStatus.CANCELED
        if placed:
            claimed |= shape["sections"]
        chosen = [sections[n] for n in sorted(shape["sections"])]
        when = NOW - timedelta(days=3 - number)
        order = Order(
            number=1000 + number,
            term_id=term.id,
            course_id=chosen[0].course_id,
            status=status,
            owner_id=actor.id,
            created_at=when,
            placed_by_id=actor.id,
            placed_at=None if review else when,
            submitted_at=when if review else None,
        )
        db.session.add(order)
        db.session.flush()
        db.session.add_all(OrderSection(order_id=order.id, section_id=s.id, claimed=placed) for s in chosen)
        db.session.add_all(
            OrderLine(order_id=order.id, catalog_item_id=items[i].id, position=i, student_price=Decimal("10.00"))
            for i in sorted(shape["lines"])
        )
        db.session.add_all(
            ContentRequest(
                order_id=order.id,
                position=10 + k,
                title="Asked for",
                isbn13=items[i].isbn13,
                status=ContentRequestStatus.APPROVED,
                fulfilled_by_id=items[i].id,
                requested_by_id=actor.id,
                created_at=NOW,
                updated_at=NOW,
            )
            for k, i in enumerate(shape["requests"])
        )
        orders.append(order)
    students = [_by_sis(User, f"U{n}") for n in range(STUDENTS)]
    db.session.add_all(
        StudentChoice(
            user_id=students[u].id,
            section_id=sections[s].id,
            catalog_item_id=items[i].id,
            choice=value,
            decided_at=NOW,
            decided_by_id=students[u].id,
        )
        for (u, s, i), value in data["choices"].items()
    )
    db.session.add_all(
        NoMaterialsAnswer(section_id=sections[n].id, answered_by_id=actor.id, answered_at=NOW) for n in data["answered"]
    )
    db.session.commit()
    return {"actor": actor, "term": term, "items": items, "sections": sections, "orders": orders, "students": students}


def _no_drift(step: str) -> None:
    """After each step, the stored counters equal the SQL twin's (a step that forgot to say what it moved shows here).
    """
    found = drift(db.session, db.session.scalars(select(Institution)).one().program_mode)
    assert not found, (step, found.samples)


def _change(data: dict, built: dict, tmp: Path) -> None:
    """The changes, each through its own write path."""
    actor, orders, items, sections = built["actor"], built["orders"], built["items"], built["sections"]
    _no_drift("first night")
    for index in sorted(data["cancel"]):
        if index < len(orders) and orders[index].status is OrderStatus.PLACED:
            cancel_order(orders[index], actor=actor, now=NOW, request_id=None)
    db.session.commit()
    _no_drift("cancel")
    for index in sorted(data.get("approve", ())):
        if index < len(orders) and orders[index].status is OrderStatus.AWAITING_APPROVAL:
            approve_order(orders[index], actor=actor, now=NOW, request_id=None, expected_version=orders[index].version)
    db.session.commit()
    _no_drift("approve")
    for u, s, i in data["toggles"]:
        student = built["students"][u]
        view = student_term(
            student,
            "202710",
            mode=db.session.scalars(select(Institution)).one().program_mode,
            now=NOW,
            today=NOW.date(),
        )
        section = next((m for m in view.sections if m.section.id == sections[s].id), None)
        line = next((line for line in section.lines if line.item_id == items[i].id), None) if section else None
        if (
            section is None
            or line is None
            or line.zero_cost
            or section.dropped
            or line.order_status is not OrderStatus.PLACED
        ):
            continue  # nothing the student could choose
        change_choice(student, view, section, line, NOW, expected_version=line.version)
        db.session.commit()
        _no_drift("choice")
    _dump(tmp / "second", {**data["enrollments"], **data["enrollments_after"]}, data["removed_section"])
    run_import(tmp / "second", dry_run=False, now=NOW)
    db.session.commit()
    _no_drift("second SIS import")
    if data["line_taken_off"] is not None:
        order_index, item_index = data["line_taken_off"]
        if order_index < len(orders):
            line = db.session.get(OrderLine, (orders[order_index].id, items[item_index].id))
            if line is not None:
                line.removed_at = NOW
                db.session.commit()
                _no_drift("line taken off")
    if data["made_free"] is not None:
        items[data["made_free"]].zero_cost = True
        db.session.commit()
        _no_drift("item made free")
    for n in data["unanswered"]:
        for answer in db.session.scalars(
            select(NoMaterialsAnswer).where(NoMaterialsAnswer.section_id == sections[n].id)
        ):
            db.session.delete(answer)
    db.session.commit()
    _no_drift("answer undone")
    if data["mode_after"] is not None:
        db.session.scalars(select(Institution)).one().program_mode = data["mode_after"]
    db.session.commit()


def _counts_by_python(section: Section, mode: ProgramMode) -> tuple:
    """One section's counters from the Python rule, reading the rows one by one."""
    links = db.session.scalars(
        select(OrderSection).where(OrderSection.section_id == section.id, OrderSection.claimed)
    ).all()
    claiming = [db.session.get(Order, link.order_id) for link in links]
    # Ordered since it was first submitted, and only once placed: an order in review counts nowhere (docs/spec.md §8).
    placed_at = min((o.submitted_at or o.placed_at for o in claiming if o.status is OrderStatus.PLACED), default=None)
    in_review = any(o.status in (OrderStatus.AWAITING_APPROVAL, OrderStatus.RETURNED) for o in claiming)
    order = next(
        (
            db.session.get(Order, link.order_id)
            for link in links
            if link.removed_at is None and db.session.get(Order, link.order_id).status is OrderStatus.PLACED
        ),
        None,
    )
    items = [i for i in counted_item_ids(order) if not db.session.get(CatalogItem, i).zero_cost] if order else []
    students = (
        []
        if section.state is not SectionState.ACTIVE
        else db.session.scalars(
            select(Enrollment.user_id).where(
                Enrollment.section_id == section.id, Enrollment.state == EnrollmentState.ENROLLED
            )
        ).all()
    )
    declined = charged = 0
    for student in students:
        stored = dict(
            db.session.execute(
                select(StudentChoice.catalog_item_id, StudentChoice.choice).where(
                    StudentChoice.user_id == student, StudentChoice.section_id == section.id
                )
            ).all()
        )
        states = [is_charged(effective_choice(mode, stored.get(item), zero_cost=False)) for item in items]
        declined += not all(states) if states else 0
        charged += any(states)
    answered = (
        db.session.scalar(select(NoMaterialsAnswer.id).where(NoMaterialsAnswer.section_id == section.id)) is not None
    )
    return (section.id, len(students), len(students) if items else 0, declined, charged, placed_at, in_review, answered)


# Always tried, whatever the random draw: each bulk write path with an effect on an enrolled student.
EVERY_PATH = {
    "mode": ProgramMode.OPT_OUT,
    "zero_cost": [False, True, False],
    "enrollments": {(0, 0): "enrolled", (1, 0): "enrolled", (2, 1): "enrolled"},
    "orders": [
        {"sections": {0}, "canceled": False, "review": None, "lines": {0, 1}, "requests": [2]},
        {"sections": {1}, "canceled": False, "review": None, "lines": {0}, "requests": []},
    ],
    "choices": {(1, 0, 0): ChoiceValue.OPTED_OUT},
    "answered": {2},
    "cancel": {1},
    "approve": set(),
    "toggles": [(0, 0, 0), (0, 0, 2)],
    "enrollments_after": {(1, 0): "dropped", (3, 0): "enrolled"},
    "removed_section": 2,
    "line_taken_off": (0, 0),
    "made_free": 2,
    "unanswered": set(),
    "mode_after": None,
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=world)
@example(data=EVERY_PATH)
@example(data={**EVERY_PATH, "mode": ProgramMode.OPT_IN, "mode_after": ProgramMode.OPT_OUT, "cancel": {0}})
# Orders in review: one awaiting approval on an answered section with an opted-out student (neither ordered, nor
# "no materials needed", nor anyone charged), one returned; then the first approved (ordered since it was submitted).
@example(
    data={
        **EVERY_PATH,
        "answered": {0},
        "cancel": set(),
        "approve": set(),
        "orders": [
            {"sections": {0}, "canceled": False, "review": "awaiting", "lines": {0, 1}, "requests": [2]},
            {"sections": {1}, "canceled": False, "review": "returned", "lines": {0}, "requests": []},
        ],
    }
)
@example(
    data={
        **EVERY_PATH,
        "answered": {0},
        "cancel": set(),
        "approve": {0},
        "orders": [
            {"sections": {0}, "canceled": False, "review": "awaiting", "lines": {0, 1}, "requests": [2]},
            {"sections": {1}, "canceled": False, "review": "returned", "lines": {0}, "requests": []},
        ],
    }
)
def test_the_rule_its_sql_twin_and_the_table_agree(app_ctx, data):
    _empty_every_table()
    with tempfile.TemporaryDirectory() as tmp:
        built = _build(data, Path(tmp))
        _change(data, built, Path(tmp))
    db.session.expire_all()
    mode = db.session.scalars(select(Institution)).one().program_mode
    sections = db.session.scalars(select(Section).order_by(Section.id)).all()
    by_python = [_counts_by_python(section, mode) for section in sections]
    by_sql = [
        tuple(row) for row in db.session.execute(expected_counts(mode, Section.id.is_not(None)).order_by(Section.id))
    ]
    stored = [
        tuple(row)
        for row in db.session.execute(
            select(*(SectionCounts.__table__.c[name] for name in COLUMNS)).order_by(SectionCounts.section_id)
        )
    ]
    normalized = [(*row[:6], bool(row[6]), bool(row[7])) for row in by_sql]
    assert by_python == normalized == [(*row[:6], bool(row[6]), bool(row[7])) for row in stored]
    assert not drift(db.session, mode)


@pytest.mark.derived_drift_allowed
def test_check_counts_reports_drift_and_repairs_it(app, demo_data):
    """`flask check-counts` exits 1 naming the sections that differ; --repair rebuilds them."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["check-counts"]).output.strip() == "section_counts: no drift."
    with app.app_context():
        with db.engine.begin() as connection:  # behind the app's back: no upkeep sees this
            connection.execute(
                SectionCounts.__table__.update().values(enrolled=SectionCounts.enrolled + 1, answered=True)
            )
    result = runner.invoke(args=["check-counts"])
    assert result.exit_code == 1 and "sections differ" in result.output and "--repair" in result.output
    assert runner.invoke(args=["check-counts", "--repair"]).exit_code == 0
    assert runner.invoke(args=["check-counts"]).output.strip() == "section_counts: no drift."

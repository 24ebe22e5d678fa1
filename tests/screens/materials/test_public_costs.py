"""What each section costs in the public lookup (issue 35, docs/spec.md §10): the estimate and its label on the
section page, the courseware flag and data terms beside the title, other required costs; the label filters agree
with the estimate section by section; the CSV and JSON (schema version 2) against golden files; the caches follow."""
from __future__ import annotations

import csv
import io
import json
import os
import pathlib
from datetime import timedelta
from decimal import Decimal

import jsonschema
import pytest
from sqlalchemy import select, update

from orders import clock
from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Institution,
    NoMaterialsAnswer,
    Order,
    OrderLine,
    OrderStatus,
    OtherCost,
    Requirement,
    Section,
    Term,
    User,
)
from orders.extensions import db
from tests import factories as f
from tests import feed_story as story
from tests.helpers import text_of

DOCS = pathlib.Path(__file__).parents[3] / "docs"
V1 = json.loads((DOCS / "course-materials.schema.json").read_text())
V2 = json.loads((DOCS / "course-materials.v2.schema.json").read_text())
GOLDEN = pathlib.Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SPRING = "/course-materials/202710"
MATH221_001 = f"{SPRING}/202710-MATH-221-001"


def _json(client, code: str = "202710") -> dict:
    response = client.get(f"/course-materials/{code}.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


# --- The demo's costed section, in words -----------------------------------------------------------


def test_the_costed_section_page_says_what_it_costs(client, demo_data):
    text = text_of(client.get(MATH221_001))
    assert "Calculus: Early Transcendentals" in text and "Courseware needed for graded work" in text
    assert (
        "Also required (students buy or pay for these apart; they are not charged through the course materials "
        "program, and there is nothing to opt out of): Graphing calculator — $15.00" in text
    )
    assert "Estimated required cost: $104.99" in text  # $89.99 + $15.00
    assert "Low cost" not in text and "Zero textbook cost" not in text
    html = client.get(MATH221_001).get_data(as_text=True)
    assert (
        'href="https://www.example.com/publisher/student-data-terms" rel="noopener noreferrer">Student-data terms'
        in html
    )


def test_recommended_lines_are_apart_and_a_cheap_section_is_low_cost_with_its_criteria(client, demo_data):
    cs310 = text_of(client.get(f"{SPRING}/202710-CS-310-001"))
    assert "Estimated required cost: $92.25" in cs310 and "Recommended, optional: $58.00" in cs310
    fall = client.get("/course-materials/202630/202630-CS-150-001")  # Python Crash Course, $29.99
    assert "Estimated required cost: $29.99 Low cost what “Low cost” means" in text_of(fall)
    assert 'href="https://www.example.edu/course-materials/low-cost"' in fall.get_data(as_text=True)
    assert "Estimated required cost" not in text_of(client.get(f"{SPRING}/202710-MATH-340-001"))  # to be determined


def test_a_section_needing_no_materials_is_zero_textbook_cost(client, demo_data, app):
    with app.app_context():
        section = db.session.scalars(select(Section).where(Section.sis_id == "202710-MATH-340-001")).one()
        db.session.add(
            NoMaterialsAnswer(
                section_id=section.id, answered_by_id=demo_data.user("emmy").id, answered_at=demo_data.now
            )
        )
        db.session.commit()
    text = text_of(client.get(f"{SPRING}/202710-MATH-340-001"))
    assert "No course materials required" in text and "Estimated required cost: $0.00 Zero textbook cost" in text


# --- The label filters agree with the estimate -----------------------------------------------------


def _scenario(demo_data) -> dict[str, str]:
    """Sections of every kind in Spring 2027 (ECON 1xx); their SIS ids by the label the estimate must give."""
    spring = db.session.scalars(select(Term).where(Term.code == "202710")).one()
    ada = demo_data.user("ada")
    oer = db.session.scalars(select(CatalogItem).where(CatalogItem.zero_cost)).first()

    def section_with(name: str, *lines: tuple[str, Requirement, bool], costs=(), status=OrderStatus.PLACED) -> Section:
        s = f.section(spring, subject="ECON", number=f"1{len(made):02d}", label="001")
        s.sis_id = f"ECON-{name}"
        if lines or costs:
            order = f.placed_order([s], ada, demo_data.now, status=status)
            db.session.query(OrderLine).filter_by(order_id=order.id).delete()
            for n, (price, requirement, zero) in enumerate(lines):
                item = oer if zero else f.catalog_item(f"{name} book {n}")
                if not zero:
                    item.student_price = Decimal(price)
                db.session.add(
                    OrderLine(
                        order_id=order.id,
                        catalog_item_id=item.id,
                        position=n,
                        student_price=Decimal(price),
                        requirement=requirement,
                    )
                )
            for n, amount in enumerate(costs):
                db.session.add(OtherCost(order_id=order.id, description=f"Fee {n}", amount=Decimal(amount), position=n))
        made[name] = s
        return s

    made: dict[str, Section] = {}
    R, C = Requirement.REQUIRED, Requirement.RECOMMENDED
    section_with("oer", ("0.00", R, True))
    section_with("oer-calculator", ("0.00", R, True), costs=["15.00"])
    section_with("at-threshold", ("40.00", R, False))
    section_with("cent-above", ("40.01", R, False))
    section_with("fee-passes", ("25.00", R, False), costs=["15.01"])
    section_with("fees-reach", ("25.00", R, False), costs=["10.00", "5.00"])
    section_with("only-recommended", ("58.00", C, False))
    section_with("canceled", ("10.00", R, False), status=OrderStatus.CANCELED)
    section_with("nothing-yet")
    pending = section_with("pending-required", ("10.00", R, False))
    denied = section_with("only-denied", ("1.00", R, False))
    answered = section_with("answered")
    db.session.flush()
    for s, status in ((pending, ContentRequestStatus.RESEARCHING), (denied, ContentRequestStatus.DENIED)):
        order_id = db.session.scalars(
            select(Order.id)
            .join(Order.order_sections)
            .where(Order.status == OrderStatus.PLACED)
            .where(Order.order_sections.any(section_id=s.id))
        ).one()
        if status is ContentRequestStatus.DENIED:
            db.session.query(OrderLine).filter_by(order_id=order_id).delete()
        db.session.add(
            ContentRequest(
                order_id=order_id,
                position=5,
                title="Being researched",
                isbn13="9780306406157",
                status=status,
                requested_by_id=ada.id,
                created_at=demo_data.now,
                updated_at=demo_data.now,
            )
        )
    db.session.add(NoMaterialsAnswer(section_id=answered.id, answered_by_id=ada.id, answered_at=demo_data.now))
    db.session.commit()
    return {
        "ECON-oer": "zero_textbook_cost",
        "ECON-oer-calculator": "low_cost",
        "ECON-at-threshold": "low_cost",
        "ECON-cent-above": "",
        "ECON-fee-passes": "",
        "ECON-fees-reach": "low_cost",
        "ECON-only-recommended": "zero_textbook_cost",
        "ECON-canceled": "",
        "ECON-nothing-yet": "",
        "ECON-pending-required": "",
        "ECON-only-denied": "",
        "ECON-answered": "zero_textbook_cost",
    }


def _filtered(client, label: str) -> set[str]:
    """The sections the lookup lists under ?cost=label (one page: fewer than 20 sections)."""
    html = client.get("/course-materials/", query_string={"term": "202710", "cost": label}).get_data(as_text=True)
    return {sis for sis in _all_sis(client) if f'/course-materials/202710/{sis}"' in html}


def _all_sis(client) -> set[str]:
    return {r["section_sis_id"] for r in _json(client)["records"]}


@pytest.mark.parametrize("threshold", ["40.00", None, "100.00"])
def test_each_label_filter_lists_exactly_the_sections_the_estimate_labels(client, demo_data, app, threshold):
    with app.app_context():
        expected = _scenario(demo_data)
        db.session.execute(
            update(Institution).values(low_cost_threshold=None if threshold is None else Decimal(threshold))
        )
        db.session.commit()
    records = _json(client)["records"]
    labels = {r["section_sis_id"]: r["cost_label"] or "" for r in records}
    if threshold == "40.00":  # the Python rule gives the labels the cases above name
        assert {sis: labels[sis] for sis in expected} == expected
    if threshold is None:
        assert "low_cost" not in labels.values()
    for label in ("zero_textbook_cost", "low_cost"):
        listed = _filtered(client, label)
        if label == "low_cost" and threshold is None:  # no threshold: the filter is not offered, so it lists everything
            assert listed == _all_sis(client)
            continue
        assert listed == {sis for sis, found in labels.items() if found == label}, label
    page = text_of(client.get("/course-materials/", query_string={"term": "202710", "cost": "zero_textbook_cost"}))
    assert "sections match" not in page or "(zero textbook cost)" in page


def test_a_section_records_share_one_estimate(client, demo_data, app):
    with app.app_context():
        _scenario(demo_data)
    by_section: dict[str, set] = {}
    for r in _json(client)["records"]:
        by_section.setdefault(r["section_sis_id"], set()).add(
            (r["estimated_required_cost"], r["estimated_recommended_cost"], r["cost_label"])
        )
    assert all(len(values) == 1 for values in by_section.values()), by_section
    assert by_section["ECON-fees-reach"] == {("40.00", "0.00", "low_cost")}
    assert by_section["ECON-pending-required"] == {(None, "0.00", None)}
    assert by_section["ECON-nothing-yet"] == {(None, None, None)}
    assert by_section["ECON-answered"] == {("0.00", "0.00", "zero_textbook_cost")}


@pytest.mark.parametrize(
    "query",
    [
        {"cost": "low_cost"},
        {"cost": "nonsense"},
        {"cost": "x" * 500},
        {"cost": ["a", "b"]},
        {"cost": "zero_textbook_cost", "q": "' OR 1=1"},
    ],
)
def test_odd_cost_filters_answer_200(client, demo_data, query):
    assert client.get("/course-materials/", query_string={"term": "202710", **query}).status_code == 200


def test_the_cost_filter_is_offered_only_with_a_threshold(client, demo_data, app):
    page = client.get("/course-materials/?term=202710").get_data(as_text=True)
    assert '<option value="low_cost">Low cost (at most $40.00)</option>' in page
    with app.app_context():
        db.session.execute(update(Institution).values(low_cost_threshold=None, low_cost_criteria_url=None))
        db.session.commit()
    page = client.get("/course-materials/?term=202710").get_data(as_text=True)
    assert 'value="low_cost"' not in page and 'value="zero_textbook_cost"' in page


# --- Caches follow the costs -----------------------------------------------------------------------


def test_the_etag_changes_with_the_threshold_and_the_courseware_flag(login_as, app):
    client = login_as("katherine")
    first = client.get(MATH221_001).headers["ETag"]
    saved = client.post(
        "/admin/student-choice/costs",
        data={
            "low_cost_threshold": "120",
            "low_cost_criteria_url": "https://www.example.edu/c",
            "coverage_target_percent": "55",
        },
    )
    assert saved.status_code == 303
    second = client.get(MATH221_001)
    assert second.headers["ETag"] != first and "Low cost" in text_of(second)  # $104.99 <= $120.00
    with app.app_context():
        item = db.session.scalars(
            select(CatalogItem).where(CatalogItem.title == "Calculus: Early Transcendentals")
        ).one()
        item_id = item.id
        form = dict(
            title=item.title,
            authors=item.authors,
            isbn=item.isbn13,
            publisher=item.publisher,
            edition=item.edition,
            delivery=item.delivery.value,
            student_price=str(item.student_price),
            copyright_year=str(item.copyright_year),
            list_price=str(item.list_price),
            data_terms_url="https://www.example.com/new-terms",
        )  # flag unticked
    assert client.post(f"/admin/catalog/{item_id}", data=form).status_code == 303
    third = client.get(MATH221_001)
    assert third.headers["ETag"] != second.headers["ETag"]
    assert "Courseware needed for graded work" not in text_of(
        third
    ) and "https://www.example.com/new-terms" in third.get_data(as_text=True)


# --- The schema: a new version, old fields keep their meaning --------------------------------------


def test_version_2_keeps_every_version_1_field_as_it_was():
    old, new = V1["$defs"]["record"]["properties"], V2["$defs"]["record"]["properties"]
    for name, definition in old.items():
        if name == "status":  # one value added
            assert set(definition["enum"]) < set(new[name]["enum"]) and new[name]["description"].startswith(
                definition["description"]
            )
        elif name == "requirement":
            assert new[name]["enum"] == definition["enum"]
        else:
            assert new[name] == definition, name
    assert V2["$defs"]["price"] == V1["$defs"]["price"]
    assert V1["properties"]["schema"] == {"const": "course-materials.schema.json"}  # version 1 stays as it is
    assert V2["properties"]["schema"] == {"const": "course-materials.v2.schema.json"}


def test_the_schema_refuses_what_version_2_forbids(client, demo_data):
    document = _json(client)
    jsonschema.validate(document, V2, format_checker=jsonschema.FormatChecker())
    cost = next(r for r in document["records"] if r["status"] == "other_required_cost")
    material = next(r for r in document["records"] if r["status"] == "material")
    for broken in (
        dict(cost, title="Sneaky"),
        dict(cost, other_cost_amount=None),
        dict(cost, requirement="recommended"),
        dict(material, other_cost_description="x"),
        dict(material, cost_label="cheap"),
        dict(material, estimated_required_cost="1.5"),
        dict(material, data_terms_url="javascript:alert(1)"),
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(dict(document, records=[broken]), V2)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(document, cost_labels={"low_cost_threshold": "40"}), V2)


# --- Golden files ----------------------------------------------------------------------------------


@pytest.fixture
def frozen_lookup(app, client, monkeypatch):
    """The demo as loaded at tests/feed_story.FROZEN.

    MATH 340 answered "no materials needed", the clock an hour later.
    """
    with app.app_context():
        story.load_frozen_demo()
        section = db.session.scalars(select(Section).where(Section.sis_id == "202710-MATH-340-001")).one()
        emmy = db.session.scalars(select(User).where(User.email == "emmy@demo.edu")).one()
        db.session.add(NoMaterialsAnswer(section_id=section.id, answered_by_id=emmy.id, answered_at=story.FROZEN))
        db.session.commit()
        db.session.remove()
    monkeypatch.setattr(clock, "utcnow", lambda: story.FROZEN + timedelta(hours=1))
    return client


def _check_golden(body: bytes, name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_bytes(body)
    assert body == golden.read_bytes(), f"{name} differs:\n{body.decode()}"


@pytest.mark.parametrize("term", ["202710", "202630"])
def test_json_matches_its_golden_file_and_validates_against_version_2(frozen_lookup, term):
    response = frozen_lookup.get(f"/course-materials/{term}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_data()
    _check_golden(body, f"course-materials-{term}.json")
    document = json.loads(body)
    jsonschema.validate(document, V2, format_checker=jsonschema.FormatChecker())
    assert document["schema"] == "course-materials.v2.schema.json"
    assert document["cost_labels"] == {
        "low_cost_threshold": "40.00",
        "low_cost_criteria_url": "https://www.example.edu/course-materials/low-cost",
    }
    with pytest.raises(jsonschema.ValidationError):  # version 1 no longer describes it
        jsonschema.validate(document, V1)


def test_csv_matches_its_golden_file(frozen_lookup):
    response = frozen_lookup.get("/course-materials/202710.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    _check_golden(body, "course-materials-202710.csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    math221 = [r for r in rows if r["section_sis_id"] == "202710-MATH-221-001"]
    assert [(r["status"], r["title"], r["other_cost_description"], r["other_cost_amount"]) for r in math221] == [
        ("material", "Calculus: Early Transcendentals", "", ""),
        ("other_required_cost", "", "Graphing calculator", "15.00"),
    ]
    assert {(r["estimated_required_cost"], r["cost_label"], r["courseware_for_graded_work"]) for r in math221} == {
        ("104.99", "", "true"),
        ("104.99", "", ""),
    }
    assert {r["cost_label"] for r in rows if r["section_sis_id"] == "202710-MATH-340-001"} == {"zero_textbook_cost"}

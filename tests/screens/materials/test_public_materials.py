"""Public course materials (docs/spec.md §3, issue 25): each status, what never shows, caching, the feeds, bad input."""
from __future__ import annotations

import csv
import io
import json
import pathlib
from datetime import timedelta

import jsonschema
import pytest
from sqlalchemy import select, update

from orders.domain.models import (
    CatalogItem,
    ContentRequest,
    ContentRequestStatus,
    Institution,
    NoMaterialsAnswer,
    OrderingPeriod,
    Requirement,
    Section,
    Term,
)
from orders.domain.ordering.canceling import cancel_order
from orders.domain.ordering.drafts import add_item, new_draft
from orders.extensions import db
from tests.helpers import text_of
from tests.screens.orders.test_edit import follow, item_id, version_on

# Version 2 (docs/spec.md §8 adds instructor_authored); version 1 stays in the repository as it was.
SCHEMA = json.loads((pathlib.Path(__file__).parents[3] / "docs" / "course-materials.v2.schema.json").read_text())
SPRING = "/course-materials/202710"
MATH221_001 = f"{SPRING}/202710-MATH-221-001"
CS310 = f"{SPRING}/202710-CS-310-001"
MATH340 = f"{SPRING}/202710-MATH-340-001"
CS150_001 = f"{SPRING}/202710-CS-150-001"
PEOPLE = ("Ada", "Lovelace", "Alan", "Turing", "Grace", "Hopper", "Emmy", "Noether", "Katherine")


def _section(sis_id: str) -> Section:
    return db.session.scalars(select(Section).where(Section.sis_id == sis_id)).one()


def _records(client, code: str = "202710") -> list[dict]:
    response = client.get(f"/course-materials/{code}.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))["records"]


def _of(records: list[dict], sis_id: str) -> list[dict]:
    """The section's line records (its other required costs, records of their own since issue 35, left out)."""
    return [r for r in records if r["section_sis_id"] == sis_id and r["status"] != "other_required_cost"]


# --- Each status -----------------------------------------------------------------------------------


def test_a_section_with_a_placed_order_shows_its_materials(client, demo_data):
    page = client.get(CS310)
    assert page.status_code == 200
    text = text_of(page)
    assert "CS 310 Theory of Computation, section 001" in text
    assert "Introduction to the Theory of Computation" in text and "Michael Sipser" in text and "9781335990327" in text
    assert "Required" in text and "Recommended" in text  # order #1002's second line is recommended
    assert "2012" in text and "$92.25" in text and "$199.95" in text and "Cengage" in text
    assert not any(name in text for name in PEOPLE)  # no names of people (Alan teaches it, Grace placed it)


def test_a_zero_cost_item_shows_free(client, demo_data, app):
    with app.app_context():
        order = demo_data.order(1001)
        draft_item = db.session.scalars(select(CatalogItem).where(CatalogItem.title == "Calculus Volume 1")).one()
        order.lines[0].catalog_item_id = draft_item.id
        db.session.commit()
    text = text_of(client.get(MATH221_001))
    assert "Calculus Volume 1" in text and "Free" in text and "Free (OER)" not in text and "OpenStax" in text
    [record] = _of(_records(client), "202710-MATH-221-001")
    assert record["zero_cost"] is True and record["student_price"] == "0.00" and record["list_price"] is None


def test_an_answered_section_shows_no_materials_required(client, demo_data, app):
    with app.app_context():
        section = _section("202710-MATH-340-001")
        db.session.add(
            NoMaterialsAnswer(
                section_id=section.id, answered_by_id=demo_data.user("emmy").id, answered_at=demo_data.now
            )
        )
        db.session.commit()
    text = text_of(client.get(MATH340))
    assert "No course materials required" in text and "Emmy" not in text
    assert [r["status"] for r in _of(_records(client), "202710-MATH-340-001")] == ["no_materials_required"]


def test_a_section_without_order_or_answer_is_to_be_determined(client, demo_data):
    text = text_of(client.get(MATH340))
    assert "To be determined" in text
    [record] = _of(_records(client), "202710-MATH-340-001")
    assert record["status"] == "to_be_determined" and record["requirement"] is None and record["title"] is None


def test_a_canceled_order_never_shows(client, demo_data, app):
    with app.app_context():
        cancel_order(demo_data.order(1002), actor=demo_data.user("katherine"), now=demo_data.now, request_id=None)
        db.session.commit()
    text = text_of(client.get(CS310))
    assert "To be determined" in text and "Sipser" not in text
    assert [r["status"] for r in _of(_records(client), "202710-CS-310-001")] == ["to_be_determined"]


def test_a_draft_never_shows(client, demo_data, app):
    with app.app_context():
        ada = demo_data.user("ada")
        section = _section("202710-CS-150-001")
        draft = new_draft(ada, section.course, section.term, [section], now=demo_data.now, request_id=None)
        add_item(
            draft,
            db.session.scalars(select(CatalogItem.id).where(CatalogItem.title == "Python Crash Course")).one(),
            demo_data.now,
        )
        db.session.commit()
    text = text_of(client.get(CS150_001))
    assert "To be determined" in text and "Python Crash Course" not in text
    assert [r["status"] for r in _of(_records(client), "202710-CS-150-001")] == ["to_be_determined"]


def test_content_requests_approved_show_as_their_item_pending_as_to_be_determined(client, demo_data, app):
    with app.app_context():
        order = demo_data.order(1001)
        stewart = order.lines[0].catalog_item_id
        common = dict(
            order_id=order.id,
            requested_by_id=demo_data.user("ada").id,
            created_at=demo_data.now,
            updated_at=demo_data.now,
        )
        db.session.add_all(
            [
                ContentRequest(
                    position=0,
                    title="Unpublished Notes",
                    isbn13="9780306406157",
                    status=ContentRequestStatus.RESEARCHING,
                    requirement=Requirement.RECOMMENDED,
                    **common,
                ),
                ContentRequest(
                    position=1,
                    title="Approved Book",
                    isbn13="9781861972712",
                    status=ContentRequestStatus.APPROVED,
                    fulfilled_by_id=db.session.scalars(
                        select(CatalogItem.id).where(CatalogItem.title == "Calculus Volume 1")
                    ).one(),
                    **common,
                ),
                ContentRequest(
                    position=2,
                    title="Denied Book",
                    isbn13="9780262033848",
                    status=ContentRequestStatus.DENIED,
                    **common,
                ),
            ]
        )
        db.session.commit()
        assert stewart
    records = _of(_records(client), "202710-MATH-221-001")
    assert [(r["status"], r["requirement"], r["title"]) for r in records] == [
        ("material", "required", "Calculus: Early Transcendentals"),
        ("to_be_determined", "recommended", None),
        ("material", "required", "Calculus Volume 1"),
    ]
    text = text_of(client.get(MATH221_001))
    assert "Unpublished Notes" not in text and "Denied Book" not in text and "To be determined" in text


@pytest.mark.parametrize("path", ["/course-materials/", MATH221_001, f"{SPRING}.csv", f"{SPRING}.json"])
def test_unpublished_answers_404_everywhere(client, demo_data, app, path):
    assert client.get(path).status_code == 200
    with app.app_context():
        db.session.execute(update(Institution).values(publish_course_materials=False))
        db.session.commit()
    assert client.get(path).status_code == 404


def test_the_sign_in_page_links_to_the_lookup(client, demo_data):
    assert 'href="/course-materials/"' in client.get("/sign-in").get_data(as_text=True)


# --- The lookup page -------------------------------------------------------------------------------


def test_search_by_subject_number_title_and_label(client, demo_data):
    def found(q: str) -> str:
        return text_of(client.get("/course-materials/", query_string={"term": "202710", "q": q}))

    assert "3 sections match “MATH 221”" in found("MATH 221")
    assert "2 sections match “algebra”" in found("algebra")  # MATH 340 Abstract Algebra, MATH 110 College Algebra
    by_title = found("theory of computation")
    assert "CS 310 Theory" in by_title and "MATH 221 Calculus" not in by_title
    assert "No section of Spring 2027 matches “nothing-like-this”" in found("nothing-like-this")
    assert "CS 150 Introduction to Programming, section 002" in found("cs 002")


def test_terms_listed_are_open_upcoming_or_ended_within_a_year(client, demo_data, app):
    with app.app_context():
        fall = db.session.scalars(select(Term).where(Term.code == "202630")).one()
        period = db.session.scalars(select(OrderingPeriod).where(OrderingPeriod.term_id == fall.id)).one()
        period.closes_at = demo_data.now - timedelta(days=366)
        period.soft_close_at = None
        period.opens_at = period.closes_at - timedelta(days=30)
        db.session.commit()
    page = client.get("/course-materials/").get_data(as_text=True)
    assert "Spring 2027" in page and "Fall 2026" not in page
    assert client.get("/course-materials/202630.json").status_code == 404
    assert client.get("/course-materials/202630/202630-MATH-221-001").status_code == 404


def test_pages_are_paginated(client, demo_data, app, monkeypatch):
    from orders.web.screens.materials import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    first = text_of(client.get("/course-materials/?term=202710"))
    assert "Page 1 of 4" in first and "CS 150 Introduction to Programming, section 001" in first
    last = text_of(client.get("/course-materials/?term=202710&page=4"))
    assert "MATH 340 Abstract Algebra, section 001" in last and "CS 150" not in last
    beyond = client.get("/course-materials/?term=202710&page=99")
    assert beyond.status_code == 200 and "section, 001" not in text_of(beyond)


# --- Caching and sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/course-materials/?term=202710", MATH221_001, f"{SPRING}.csv", f"{SPRING}.json"])
def test_public_answers_are_cacheable_and_carry_no_session(login_as, path):
    client = login_as("ada")  # a signed-in user gets the same public answer
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers.get("ETag")
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b"" and "Set-Cookie" not in again.headers
    if path == MATH221_001:
        plain = text_of(client.get(path))
        assert "Calculus: Early Transcendentals" in plain
        assert "Ada Lovelace" not in plain and "Sign out" not in plain  # no "Signed in as": one page for everyone


def test_304_renders_nothing_and_reads_only_the_version(client, demo_data, count_queries, monkeypatch):
    from orders.web.screens.materials import views

    etag = client.get(MATH221_001).headers["ETag"]
    monkeypatch.setattr(views, "render_template", lambda *a, **k: pytest.fail("rendered on a 304"))
    with count_queries() as counter:
        assert client.get(MATH221_001, headers={"If-None-Match": etag}).status_code == 304
    assert counter.count <= 4  # institution, term, section, the version aggregate


def test_the_etag_changes_on_an_edit(login_as, app):
    client = login_as("katherine")  # a Program Administrator's edit counts at once (Ada's would wait for approval)
    before = client.get(MATH221_001).headers["ETag"]
    assert client.get(CS310).headers["ETag"] == client.get(CS310).headers["ETag"]  # stable while nothing changes
    thomas = item_id(app, "Thomas' Calculus")
    client.post("/orders/1001/edit/items", data={"item_id": str(thomas)})
    edit_page = client.get("/orders/1001/edit").get_data(as_text=True)
    assert "Order #1001 was updated." in follow(
        client, client.post("/orders/1001/edit/submit", data={"version": version_on(edit_page), "royalty": "no"})
    )
    after = client.get(MATH221_001)
    assert after.headers["ETag"] != before and "Thomas' Calculus" in text_of(after)
    assert client.get(MATH221_001, headers={"If-None-Match": before}).status_code == 200


def test_the_etag_changes_on_a_catalog_price_change(login_as, app):
    client = login_as("katherine")
    before = client.get(MATH221_001).headers["ETag"]
    json_before = client.get(f"{SPRING}.json").headers["ETag"]
    with app.app_context():
        item = db.session.scalars(
            select(CatalogItem).where(CatalogItem.title == "Calculus: Early Transcendentals")
        ).one()
        form = dict(
            title=item.title,
            authors=item.authors,
            isbn=item.isbn13,
            publisher=item.publisher,
            edition=item.edition,
            delivery=item.delivery.value,
            student_price=str(item.student_price),
            active="y",
            copyright_year=str(item.copyright_year),
            list_price="260.00",
        )
        item_id_ = item.id
    saved = client.post(f"/admin/catalog/{item_id_}", data=form)
    assert saved.status_code == 303
    after = client.get(MATH221_001)
    assert after.headers["ETag"] != before and "$260.00" in text_of(after)
    assert client.get(f"{SPRING}.json").headers["ETag"] != json_before


# --- The term's CSV and JSON -----------------------------------------------------------------------


def test_json_validates_against_the_schema(client, demo_data, app):
    with app.app_context():
        section = _section("202710-MATH-340-001")
        db.session.add(
            NoMaterialsAnswer(
                section_id=section.id, answered_by_id=demo_data.user("emmy").id, answered_at=demo_data.now
            )
        )
        db.session.commit()
    response = client.get(f"{SPRING}.json")
    assert response.mimetype == "application/json" and response.is_streamed
    document = json.loads(response.get_data(as_text=True))
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.FormatChecker())
    statuses = {r["status"] for r in document["records"]}
    assert statuses == {"material", "no_materials_required", "to_be_determined", "other_required_cost"}
    broken = dict(document, records=[dict(document["records"][0], status="maybe")])
    with pytest.raises(jsonschema.ValidationError):  # the schema does constrain
        jsonschema.validate(broken, SCHEMA)


def test_csv_has_one_row_per_section_and_line(client, demo_data):
    response = client.get(f"{SPRING}.csv")
    assert response.mimetype == "text/csv" and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_section = {}
    for row in rows:
        by_section.setdefault(row["section_sis_id"], []).append(row)
    assert len(by_section) == 8  # every active Spring 2027 section, with or without a line
    cs310 = by_section["202710-CS-310-001"]
    assert [(r["requirement"], r["title"], r["student_price"], r["list_price"], r["zero_cost"]) for r in cs310] == [
        ("required", "Introduction to the Theory of Computation", "92.25", "199.95", "false"),
        ("recommended", "Automata, Computability and Complexity", "58.00", "186.65", "false"),
    ]
    assert [(r["status"], r["requirement"], r["title"]) for r in by_section["202710-MATH-221-003"]] == [
        ("to_be_determined", "", "")
    ]
    # MATH 110 001's order (#1005) awaits approval: it counts nowhere yet (docs/spec.md §8)
    assert [(r["status"], r["title"]) for r in by_section["202710-MATH-110-001"]] == [("to_be_determined", "")]
    assert {r["instructor_authored"] for r in cs310} == {"false"}
    assert not any(name in response.get_data(as_text=True) for name in PEOPLE)


# --- Bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/course-materials/999999/202710-MATH-221-001",
        "/course-materials/202710/NO-SUCH-SECTION",
        "/course-materials/202710/202630-MATH-221-001",  # a section of another term
        "/course-materials/999999.csv",
        "/course-materials/999999.json",
        "/course-materials/?term=999999",
        "/course-materials/?term=" + "x" * 500,
        "/course-materials/" + "x" * 300 + "/y",
    ],
)
def test_unknown_term_or_section_is_a_404_page(client, demo_data, path):
    response = client.get(path)
    assert response.status_code == 404 and "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"term": "202710", "q": "%"},
        {"term": "202710", "q": "_"},
        {"term": "202710", "q": "\\"},
        {"term": "202710", "q": "' OR 1=1 --"},
        {"term": "202710", "page": "-1"},
        {"term": "202710", "page": "abc"},
        {"term": "202710", "page": "99999999999999999999"},
        {"term": "202710", "q": "ü ß 🙂"},
        {"q": ["a", "b"]},
    ],
)
def test_odd_query_values_answer_200(client, demo_data, query):
    assert client.get("/course-materials/", query_string=query).status_code == 200


def test_a_huge_q_is_cut(client, demo_data):
    response = client.get("/course-materials/", query_string={"term": "202710", "q": "MATH " + "y" * 10_000})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "MATH " + "y" * 195 + '"' in html and "y" * 196 not in html  # cut to 200 characters


# --- Words (issue 37, item 6) ----------------------------------------------------------------------


def test_the_lookup_offers_sign_in(client, demo_data):
    for url in ("/course-materials/", MATH340):
        html = client.get(url).get_data(as_text=True)
        assert '<a href="/sign-in">Sign in</a>' in html, url


def test_to_be_determined_says_what_it_means_and_when_to_look_again(client, demo_data, app):
    """Before the deadline: the date instructors order by; after it, that it passed and when classes start."""
    text = text_of(client.get(MATH340))
    with app.app_context():
        from orders.domain.institution import local_date

        term = db.session.scalars(select(Term).where(Term.code == "202710")).unique().one()
        deadline, starts = local_date(term.period.deadline), term.starts_on
        etag = client.get(MATH340).headers["ETag"]
        term.period.soft_close_at = demo_data.now - timedelta(days=1)  # the deadline has passed
        passed = local_date(term.period.soft_close_at)
        db.session.commit()
    assert "To be determined The instructor has not chosen this section's materials yet." in text
    assert f"Instructors order them by {deadline}: look again after that date." in text
    later = client.get(MATH340, headers={"If-None-Match": etag})
    assert later.status_code == 200  # the words changed, so the cached copy is stale
    assert f"The ordering deadline ({passed}) has passed" in text_of(later)
    assert f"look again before classes start on {starts:%b} {starts.day}, {starts.year}" in text_of(later)
    assert "To be determined" in text_of(client.get("/course-materials/?term=202710&q=MATH+340"))

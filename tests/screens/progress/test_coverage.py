"""Cost-disclosure coverage on Progress (issue 35, docs/spec.md §10): by organization, today and when registration
opened, against the target; every count a link to exactly its sections on Courses; the CSV; a term without sections
says so and divides by nothing; the as-of rule for orders placed, canceled and edited around the moment."""
from __future__ import annotations

import csv
import html as htmllib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.domain.costs.coverage import coverage
from orders.domain.institution import institution
from orders.domain.models import NoMaterialsAnswer, OrderSection, OrderStatus, Term, User
from orders.extensions import db
from tests import factories as f
from tests.helpers import text_of
from tests.screens.progress.test_progress import _section, board_counts, listed_sections

SPRING = "202710"


def coverage_rows(client, term: str = SPRING) -> list[list[str]]:
    """The coverage table's rows as their cells' text."""
    page = client.get(f"/progress/?term={term}").get_data(as_text=True)
    block = page.split('id="coverage"', 1)[1].split("</section>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block.split("<tbody>", 1)[1], flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append(
            [
                " ".join(htmllib.unescape(re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>', " ", c)).split())
                for c in cells
            ]
        )
    return rows


def test_the_demo_term_in_words(login_as):
    """Spring 2027: registration opened 10 days ago; #1001 (MATH 221 001, 002) was placed 12 days ago, #1002 (CS 310) 6;
    #1005 (MATH 110 001) awaits approval, so it discloses nothing yet (docs/spec.md §8)."""
    client = login_as("katherine")
    assert coverage_rows(client) == [
        ["All organizations", "8", "3", "37% below the target", "2", "25% below the target"],
        ["Department of Mathematics", "5", "2", "40% below the target", "2", "40% below the target"],
        ["Department of Computer Science", "3", "1", "33% below the target", "0", "0% below the target"],
    ]
    text = text_of(client.get(f"/progress/?term={SPRING}"))
    assert "against the target of 55%" in text and "Registration opened" in text


def test_a_coordinator_sees_only_their_reach(login_as):
    assert coverage_rows(login_as("grace")) == [
        ["All organizations", "3", "1", "33% below the target", "0", "0% below the target"],
        ["Department of Computer Science", "3", "1", "33% below the target", "0", "0% below the target"],
    ]


@pytest.mark.parametrize("person", ["katherine", "grace", "emmy"])
def test_every_coverage_count_lists_exactly_its_sections(login_as, person):
    client = login_as(person)
    page = client.get(f"/progress/?term={SPRING}").get_data(as_text=True)
    block = page.split('id="coverage"', 1)[1].split("</section>", 1)[0]
    counts = board_counts(block)
    assert any("disclosed=registration" in href for href, _ in counts) and any(
        "disclosed=now" in href for href, _ in counts
    )
    for href, number in counts:
        listed = listed_sections(client.get(href).get_data(as_text=True))
        assert len(listed) == number, (href, number, sorted(listed))


def test_the_courses_filter_names_the_disclosure(login_as):
    page = text_of(login_as("katherine").get(f"/?term={SPRING}&active=1&disclosed=registration"))
    assert "Cost disclosed by the time registration opened ( remove the cost filter )" in page
    assert login_as("katherine").get(f"/?term={SPRING}&disclosed=nonsense").status_code == 200


def test_the_target_is_met_exactly_not_by_the_rounded_share(login_as, app):
    with app.app_context():
        db.session.execute(db.update(institution().__class__).values(coverage_target_percent=40))
        db.session.commit()
    rows = coverage_rows(login_as("katherine"))
    assert rows[1][:4] == ["Department of Mathematics", "5", "2", "40% meets the target"]  # most undisclosed first
    with app.app_context():
        db.session.execute(db.update(institution().__class__).values(coverage_target_percent=38))
        db.session.commit()
    assert coverage_rows(login_as("katherine"))[0][3] == "37% below the target"  # 3/8 = 37.5% < 38%


def test_the_csv_has_the_tables_rows(login_as):
    response = login_as("katherine").get(f"/progress/coverage.csv?term={SPRING}")
    assert (
        response.mimetype == "text/csv"
        and 'filename="progress-202710-coverage.csv"' in response.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        [
            "Organization",
            "Active sections",
            "Disclosed today",
            "Share today %",
            "Disclosed when registration opened",
            "Share then %",
            "Target %",
        ],
        ["All organizations", "8", "3", "37", "2", "25", "55"],
        ["Department of Mathematics", "5", "2", "40", "2", "40", "55"],
        ["Department of Computer Science", "3", "1", "33", "0", "0", "55"],
    ]


def test_without_a_registration_opening_the_then_column_is_empty(login_as, app):
    with app.app_context():
        db.session.execute(db.update(Term).where(Term.code == SPRING).values(registration_opens_at=None))
        db.session.commit()
    client = login_as("katherine")
    assert coverage_rows(client)[0] == ["All organizations", "8", "3", "37% below the target", "—", "—"]
    assert "No registration opening is set for Spring 2027 ( set it )" in text_of(
        client.get(f"/progress/?term={SPRING}")
    )
    assert list(csv.reader(io.StringIO(client.get(f"/progress/coverage.csv?term={SPRING}").get_data(as_text=True))))[
        1
    ] == ["All organizations", "8", "3", "37", "", "", "55"]


def test_a_registration_opening_still_to_come_counts_nothing_yet(login_as):
    client = login_as("katherine")  # Summer 2027's opens in 40 days
    assert coverage_rows(client, "202750")[0] == ["All organizations", "1", "0", "0% below the target", "—", "—"]
    assert "Registration opens" in text_of(client.get("/progress/?term=202750"))


def test_a_term_without_sections_says_so_and_divides_by_nothing(login_as, app, now):
    with app.app_context():
        empty = f.term(now)
        code = empty.code
        empty.registration_opens_at = now - timedelta(days=1)
        db.session.commit()
    client = login_as("katherine")
    page = client.get(f"/progress/?term={code}")
    assert page.status_code == 200
    assert f"{empty_name(app, code)} has no active sections, so there is no share to measure yet." in text_of(page)
    rows = list(csv.reader(io.StringIO(client.get(f"/progress/coverage.csv?term={code}").get_data(as_text=True))))
    assert rows == [
        [
            "Organization",
            "Active sections",
            "Disclosed today",
            "Share today %",
            "Disclosed when registration opened",
            "Share then %",
            "Target %",
        ]
    ]
    with app.app_context():
        found = coverage(
            db.session.scalars(select(User).where(User.email == "katherine@demo.edu")).one(),
            db.session.scalars(select(Term).where(Term.code == code)).one(),
            institution(),
            now,
        )
        assert found.empty and found.headline.share_now is None and found.headline.meets(0, 55) is None


def empty_name(app, code: str) -> str:
    with app.app_context():
        return db.session.scalars(select(Term.name).where(Term.code == code)).one()


def test_as_of_registration_counts_what_was_true_then(login_as, app, demo_data, now):
    """Registration opened 10 days ago. Placed before and canceled since: counted then, not now. Added by an edit since:
    now, not then. Removed by an edit since: then, not now. Answered before: both; answered since: now only."""
    with app.app_context():
        ada = demo_data.user("ada")
        order_1001 = demo_data.order(1001)
        # MATH 221 003 joins #1001 by an edit 5 days ago; MATH 221 002 left it 3 days ago.
        db.session.add(
            OrderSection(
                order_id=order_1001.id,
                section_id=_section("MATH 221", "003").id,
                claimed=True,
                added_at=now - timedelta(days=5),
            )
        )
        left = db.session.get(OrderSection, (order_1001.id, _section("MATH 221", "002").id))
        left.removed_at, left.claimed = now - timedelta(days=3), False
        # CS 150 001: an order placed 20 days ago, canceled 2 days ago.
        canceled = f.placed_order([_section("CS 150", "001")], ada, now - timedelta(days=20))
        canceled.status, canceled.canceled_at, canceled.canceled_by_id = (
            OrderStatus.CANCELED,
            now - timedelta(days=2),
            ada.id,
        )
        for link in db.session.scalars(select(OrderSection).where(OrderSection.order_id == canceled.id)):
            link.claimed = False
        # CS 150 002 answered "no materials needed" 11 days ago; MATH 340 001 yesterday.
        for course, label, days in (("CS 150", "002", 11), ("MATH 340", "001", 1)):
            db.session.add(
                NoMaterialsAnswer(
                    section_id=_section(course, label).id, answered_by_id=ada.id, answered_at=now - timedelta(days=days)
                )
            )
        db.session.commit()
    rows = {row[0]: row for row in coverage_rows(login_as("katherine"))}
    # Mathematics now: 221 001, 221 003, 340 001; then: 221 001, 221 002.
    assert rows["Department of Mathematics"] == [
        "Department of Mathematics",
        "5",
        "3",
        "60% meets the target",
        "2",
        "40% below the target",
    ]
    # Computer Science now: 150 002, 310 001 (#1002, placed 6 days ago); then: 150 001, 150 002.
    assert rows["Department of Computer Science"] == [
        "Department of Computer Science",
        "3",
        "2",
        "66% meets the target",
        "2",
        "66% meets the target",
    ]
    client = login_as("katherine")
    then = listed_sections(client.get(f"/?term={SPRING}&active=1&disclosed=registration").get_data(as_text=True))
    assert then == {
        ("MATH 221 Calculus I", "001"),
        ("MATH 221 Calculus I", "002"),
        ("CS 150 Introduction to Programming", "001"),
        ("CS 150 Introduction to Programming", "002"),
    }

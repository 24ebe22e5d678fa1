"""The Progress screen: who sees it and what, counts that match the Courses screen, CSV, "Remind now"."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from datetime import timedelta

import pytest

from orders import clock
from orders.domain.models import (
    AdminAuditEntry,
    Institution,
    NoMaterialsAnswer,
    Organization,
    OutboundEmail,
    ProgramMode,
    ProgressReminder,
    Section,
    SectionState,
    Term,
)
from orders.extensions import db
from tests import factories as f
from tests.helpers import sign_in, text_of

SPRING = "202710"


def _section(label_course: str, label: str) -> Section:
    subject, number = label_course.split()
    return db.session.execute(
        db.select(Section)
        .join(Section.course)
        .join(Section.term)
        .where(Term.code == SPRING, Section.label == label)
        .where(db.text("course.subject = :s and course.number = :n").bindparams(s=subject, n=number))
    ).scalar_one()


@pytest.fixture
def answered(app, demo_data, now):
    """CS 150 002 answered "no materials needed" (Alan), so every state has a section."""
    with app.app_context():
        section = _section("CS 150", "002")
        db.session.add(
            NoMaterialsAnswer(section_id=section.id, answered_by_id=demo_data.user("alan").id, answered_at=now)
        )
        db.session.commit()
    return demo_data


def board_counts(html: str) -> list[tuple[str, int]]:
    """(Courses link, number shown) for every count on the dashboard."""
    found = re.findall(r'<a href="(/\?[^"]+)">([0-9,]+)<span class="visually-hidden">', html)
    return [(htmllib.unescape(href), int(number.replace(",", ""))) for href, number in found]


def listed_sections(html: str) -> set[tuple[str, str]]:
    """(course, section label) pairs the Courses page lists (a section with two instructors is listed twice, counted
    once).
    """
    pairs = set()
    for title, labels in re.findall(
        r'<h4 class="offering-title">([^<]+)</h4>\s*<p class="meta">.*?· Sections? ([0-9A-Z, ]+?)\s*·', html, flags=re.S
    ):
        pairs.update((title.strip(), label.strip()) for label in labels.split(","))
    return pairs


def headline(client, term: str = SPRING) -> dict[str, str]:
    page = client.get(f"/progress/?term={term}").get_data(as_text=True)
    # The cards come in two lists (the sections, then the deadline and the students): read them all.
    block = "".join(part.split("</dl>", 1)[0] for part in page.split('<dl class="headline">')[1:])
    return {
        htmllib.unescape(dt): re.sub(r"<[^>]+>", " ", dd).split()[0]
        for dt, dd in re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", block, flags=re.S)
    }


def table_rows(client, dimension: str, term: str = SPRING) -> list[str]:
    page = client.get(f"/progress/{dimension}?term={term}").get_data(as_text=True)
    block = page.split(f'id="table-{dimension}"', 1)[1].split("</table>", 1)[0]
    return [htmllib.unescape(name) for name in re.findall(r'<th scope="row" data-label="[^"]+">([^<]+)</th>', block)]


# --- Who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "person,sees", [("katherine", True), ("grace", True), ("emmy", True), ("ada", False), ("mary", False)]
)
def test_progress_is_for_program_administrators_and_coordinators(login_as, person, sees):
    client = login_as(person)
    home = client.get("/", follow_redirects=True)  # a student's home is their Course materials
    nav = home.get_data(as_text=True).split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert ('href="/progress/"' in nav) is sees
    for url in (
        "/progress/",
        "/progress/organization.csv",
        f"/progress/remind?term={SPRING}&dimension=subject&key=MATH",
    ):
        assert client.get(url).status_code == (200 if sees else 403), url
    posted = client.post("/progress/remind", data={"term": SPRING, "dimension": "subject", "key": "MATH"})
    assert posted.status_code == (303 if sees else 403)


def test_default_term_is_the_open_one_and_the_select_changes_it(login_as):
    client = login_as("katherine")
    page = client.get("/progress/").get_data(as_text=True)
    assert '<option value="202710" selected>Spring 2027</option>' in page
    assert "<h2>Spring 2027</h2>" in page
    assert "<h2>Fall 2026</h2>" in client.get("/progress/?term=202630").get_data(as_text=True)
    fragment = client.get("/progress/?term=202630", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Push-Url"] == "/progress/?term=202630"
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="progress-board"') and "<h1>" not in body
    assert client.get("/progress/?term=nope").status_code == 404


def test_program_administrator_sees_everything(login_as, answered):
    client = login_as("katherine")
    figures = headline(client)
    # MATH 110 001 (Sophie's #1005) awaits approval: counted on its own, neither ordered nor not started
    assert (figures["Active sections"], figures["Ordered"], figures["No materials needed"], figures["Not started"]) == (
        "8",
        "3",
        "1",
        "3",
    )
    assert figures["Awaiting approval"] == "1"
    assert figures["Done"] == "50%"  # 4 of 8, rounded down
    assert (figures["Placed on time"], figures["Placed late"]) == ("3", "0")
    assert (
        figures["Enrolled students"] == "44"
    )  # enrollments: the 40 others, Mary's 2, Sofia's 2 (her dropped one not counted)
    assert table_rows(client, "organization") == [
        "Department of Mathematics",
        "Department of Computer Science",
    ]  # not started 2, 1


def test_a_coordinator_never_sees_counts_outside_their_grants(login_as, answered):
    client = login_as("grace")  # CS only
    figures = headline(client)
    assert (figures["Active sections"], figures["Ordered"], figures["No materials needed"], figures["Not started"]) == (
        "3",
        "1",
        "1",
        "1",
    )
    assert table_rows(client, "organization") == ["Department of Computer Science"]
    assert table_rows(client, "subject") == ["CS"]
    body = client.get(f"/progress/?term={SPRING}").get_data(as_text=True)
    assert "MATH" not in body and "Mathematics" not in body
    csv_text = client.get(f"/progress/subject.csv?term={SPRING}").get_data(as_text=True)
    assert "MATH" not in csv_text


def test_on_time_and_late(login_as, app, now):
    with app.app_context():
        term = db.session.scalars(db.select(Term).where(Term.code == SPRING)).one()
        term.period.soft_close_at = now - timedelta(days=8)
        db.session.commit()
    client = login_as("katherine")
    figures = headline(client)
    assert (figures["Placed on time"], figures["Placed late"]) == (
        "2",
        "1",
    )  # MATH 221 001/002 on #1001; CS 310 on #1002
    assert "(passed)" in text_of(client.get(f"/progress/?term={SPRING}"))


def test_students_rate_and_at_risk_sections(login_as):
    """Opt-out mode: 5 demo opt-outs among the enrollments of MATH 221 001/002 and CS 310 001 (on placed orders)."""
    client = login_as("katherine")
    figures = headline(client)
    with_orders = [
        row
        for row in csv.reader(
            io.StringIO(client.get(f"/progress/organization.csv?term={SPRING}").get_data(as_text=True))
        )
    ]
    header, rows = with_orders[0], {row[0]: row for row in with_orders[1:]}
    assert header[9] == "Opt-out rate %"
    assert figures["Opt-out rate"] == "25%"
    assert figures["At-risk sections"] == "2"
    assert rows["Department of Mathematics"][10] == "2" and rows["Department of Computer Science"][10] == "0"


# --- Every count is a link to exactly its sections -------------------------------------------------


@pytest.mark.parametrize("soft_close_days", [23, -8], ids=["all-on-time", "one-late"])
@pytest.mark.parametrize("person", ["katherine", "grace", "emmy"])
def test_each_count_equals_the_sections_its_courses_link_lists(login_as, answered, app, now, person, soft_close_days):
    with app.app_context():
        removed = _section("MATH 221", "002")  # on order #1001: a removed section is neither counted nor listed
        removed.state = SectionState.REMOVED
        # Soft close 8 days ago: #1001 (12 days ago) was on time, #1002 (CS 310, 6 days ago) late.
        removed.term.period.soft_close_at = now + timedelta(days=soft_close_days)
        db.session.commit()
    client = login_as(person)
    pages = [f"/progress/?term={SPRING}"] + [
        f"/progress/{table}?term={SPRING}" for table in ("organization", "subject", "campus")
    ]
    counts = [count for url in pages for count in board_counts(client.get(url).get_data(as_text=True))]
    assert len(counts) >= 10
    for href, number in counts:
        listed = listed_sections(client.get(href).get_data(as_text=True))
        assert len(listed) == number, (href, number, sorted(listed))


# --- CSV -------------------------------------------------------------------------------------------


def test_csv_has_the_tables_rows_in_order_and_defuses_formulas(login_as, answered, app, now):
    with app.app_context():
        org = db.session.scalars(db.select(Organization).where(Organization.code == "CS")).one()
        org.name = '=HYPERLINK("http://evil")'
        db.session.commit()
    client = login_as("katherine")
    response = client.get(f"/progress/organization.csv?term={SPRING}")
    assert response.mimetype == "text/csv" and response.is_streamed
    assert 'filename="progress-202710-organization.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:6] == [
        "Organization",
        "Active sections",
        "Ordered",
        "No materials needed",
        "Not started",
        "Percent done",
    ]
    assert rows[1][:6] == ["Department of Mathematics", "5", "2", "0", "2", "40"]  # and MATH 110 001 awaiting approval
    assert rows[1][-1] == "1" and rows[0][-1] == "Awaiting approval"
    assert rows[2][:6] == ['\'=HYPERLINK("http://evil")', "3", "1", "1", "1", "66"]
    assert client.get("/progress/nothing.csv").status_code == 404


# --- Remind now ------------------------------------------------------------------------------------


def _reminder_emails(app):
    with app.app_context():
        return db.session.scalars(
            db.select(OutboundEmail).where(OutboundEmail.kind.like("reminder_%")).order_by(OutboundEmail.id)
        ).all()


def test_remind_now_confirms_sends_once_per_day_and_audits(login_as, app, demo_data, client):
    katherine = login_as("katherine")
    confirm = katherine.get(f"/progress/remind?term={SPRING}&dimension=subject&key=MATH")
    assert "2 instructors will get an email" in text_of(confirm)  # Ada (MATH 221 003), Emmy (MATH 340)
    assert _reminder_emails(app) == []  # the confirmation sends nothing
    sent = katherine.post("/progress/remind", data={"term": SPRING, "dimension": "subject", "key": "MATH"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("#row-subject-MATH")
    emails = _reminder_emails(app)
    assert sorted(e.recipient for e in emails) == ["ada@demo.edu", "emmy@demo.edu"]
    ada = next(e for e in emails if e.recipient == "ada@demo.edu")
    assert "MATH 221 Calculus I, section 003" in ada.body_text
    assert "CS 150" not in ada.body_text  # the row's courses only (CS 150 001 is hers too, not started)
    assert (
        sent.headers["Location"] == f"/progress/subject?term={SPRING}#row-subject-MATH"
    )  # the row's table, without JavaScript
    page = katherine.get(f"/progress/subject?term={SPRING}").get_data(as_text=True)
    row = page.split('id="row-subject-MATH"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"Reminded 2 instructors at \d{1,2}:\d\d [AP]M", row)
    with app.app_context():
        entry = db.session.scalars(
            db.select(AdminAuditEntry).where(AdminAuditEntry.kind == "progress.remind_now")
        ).one()
        assert entry.actor.name == "Katherine Johnson"
        assert entry.target == "Spring 2027 progress: Subject MATH"
        assert entry.after["instructors"] == 2
        assert db.session.query(ProgressReminder).count() == 2

    # Whoever presses next, the same day: nothing is sent, and the page says so.
    emmy = app.test_client()
    sign_in(emmy, "emmy")
    assert "No instructor of Subject MATH needs a reminder now" in text_of(
        emmy.get(f"/progress/remind?term={SPRING}&dimension=subject&key=MATH")
    )
    again = emmy.post(
        "/progress/remind", data={"term": SPRING, "dimension": "subject", "key": "MATH"}, headers={"HX-Request": "true"}
    )
    assert "Nothing sent" in again.get_data(as_text=True)
    assert len(_reminder_emails(app)) == 2
    # The organization row holds the same instructors: also nothing today.
    with app.app_context():
        math = db.session.scalars(db.select(Organization).where(Organization.code == "MATH")).one().id
    katherine.post("/progress/remind", data={"term": SPRING, "dimension": "organization", "key": str(math)})
    assert len(_reminder_emails(app)) == 2


def test_remind_now_again_the_next_day(login_as, app, monkeypatch):
    katherine = login_as("katherine")
    katherine.post("/progress/remind", data={"term": SPRING, "dimension": "subject", "key": "CS"})
    first = len(_reminder_emails(app))
    assert first == 2  # Ada (CS 150 001), Alan (CS 150 002)
    later = clock.utcnow() + timedelta(days=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    tomorrow = app.test_client()
    sign_in(tomorrow, "katherine")
    tomorrow.post("/progress/remind", data={"term": SPRING, "dimension": "subject", "key": "CS"})
    assert len(_reminder_emails(app)) == 4


def test_a_coordinator_reminds_only_within_their_reach(login_as, app):
    grace = login_as("grace")  # CS only: the MATH row has nobody for her to remind
    assert "No instructor of Subject MATH needs a reminder now" in text_of(
        grace.get(f"/progress/remind?term={SPRING}&dimension=subject&key=MATH")
    )
    grace.post("/progress/remind", data={"term": SPRING, "dimension": "subject", "key": "MATH"})
    assert _reminder_emails(app) == []
    with app.app_context():
        main = db.session.execute(db.text("select id from campus where code = 'MAIN'")).scalar()
    grace.post("/progress/remind", data={"term": SPRING, "dimension": "campus", "key": str(main)})
    emails = _reminder_emails(app)
    assert sorted(e.recipient for e in emails) == ["ada@demo.edu", "alan@demo.edu"]
    assert all("MATH" not in e.body_text.split("All your courses")[0] for e in emails)


def test_a_race_inserts_each_marker_once(app, demo_data, now):
    from orders.domain.reminders.remind_now import _insert_markers

    with app.app_context():
        term = db.session.scalars(db.select(Term).where(Term.code == SPRING)).one()
        ada, katherine = demo_data.user("ada"), demo_data.user("katherine")
        today = now.date()
        assert _insert_markers(term, today, [ada.id], katherine, now) == {ada.id}
        assert _insert_markers(term, today, [ada.id], katherine, now) == set()


@pytest.mark.parametrize(
    "query",
    [
        "dimension=nope&key=1",
        "dimension=organization&key=abc",
        "dimension=organization&key=999999",
        "dimension=subject&key=ZZZ",
        "dimension=subject&key=",
    ],
)
def test_remind_now_for_an_unknown_row_is_a_404(login_as, query):
    client = login_as("katherine")
    assert client.get(f"/progress/remind?term={SPRING}&{query}").status_code == 404


def test_remind_now_refused_after_the_period_closed(login_as):
    client = login_as("katherine")
    response = client.get("/progress/remind?term=202630&dimension=subject&key=MATH")
    assert response.status_code == 403
    assert "has closed" in text_of(response)
    assert "Remind now" not in client.get("/progress/subject?term=202630").get_data(as_text=True)


def test_opt_in_mode_shows_the_opt_in_rate(login_as, app):
    """Opt-in mode: nobody in the demo opted in, so the rate is 0% and every section with rated students is at risk."""
    with app.app_context():
        db.session.scalars(db.select(Institution)).one().program_mode = ProgramMode.OPT_IN
        db.session.commit()
    client = login_as("katherine")
    figures = headline(client)
    assert figures["Opt-in rate"] == "0%" and "Opt-out rate" not in figures
    assert figures["At-risk sections"] == "3"  # MATH 221 001, 002 and CS 310 001: on placed orders, with students
    rows = list(csv.reader(io.StringIO(client.get(f"/progress/campus.csv?term={SPRING}").get_data(as_text=True))))
    assert rows[0][9] == "Opt-in rate %" and rows[1][9] == "0" and rows[1][10] == "3"


# --- The tables as fragments (htmx) or pages of their own --------------------------------------------


def test_the_board_loads_each_table_as_a_fragment_or_links_its_page(login_as):
    client = login_as("katherine")
    board = client.get(f"/progress/?term={SPRING}").get_data(as_text=True)
    for table in ("organization", "subject", "campus"):
        url = f"/progress/{table}?term={SPRING}"
        assert f'hx-get="{htmllib.escape(url)}" hx-trigger="load"' in board  # with htmx, in place
        assert f'<a href="{htmllib.escape(url)}">Show progress by {table}</a>' in board  # without JavaScript, its page
        fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert fragment.lstrip().startswith(f'<section aria-labelledby="table-{table}" id="progress-table-{table}">')
        assert "<h1>" not in fragment
        page = client.get(url).get_data(as_text=True)
        assert "<h1>Progress: Spring 2027</h1>" in page and f'href="/progress/?term={SPRING}">Back to Progress' in page
    assert 'id="row-subject-MATH"' not in board  # the board itself carries no table rows
    assert client.get(f"/progress/nothing?term={SPRING}").status_code == 404


def test_a_long_table_is_paged_in_the_same_order(login_as, app, now):
    with app.app_context():
        spring = db.session.scalars(db.select(Term).where(Term.code == SPRING)).one()
        for n in range(30):
            f.section(spring, subject=f"S{n:02d}", number="101", label="001")
        db.session.commit()
    client = login_as("katherine")
    first = client.get(f"/progress/subject?term={SPRING}").get_data(as_text=True)
    second = client.get(f"/progress/subject?term={SPRING}&page=2").get_data(as_text=True)
    first_rows = re.findall(r'<tr id="row-subject-([^"]+)">', first)
    second_rows = re.findall(r'<tr id="row-subject-([^"]+)">', second)
    assert len(first_rows) == 20 and len(second_rows) == 12  # MATH, CS and the 30 new subjects
    every = [
        row[0]
        for row in csv.reader(io.StringIO(client.get(f"/progress/subject.csv?term={SPRING}").get_data(as_text=True)))
    ][1:]
    assert first_rows + second_rows == every  # the CSV's order, page after page
    assert "rows 1–20 of 32" in first and "Page 1 of 2" in first
    assert f'href="/progress/subject?term={SPRING}&amp;page=2"' in first and 'hx-push-url="false"' in first
    assert "Page 2 of 2" in second and client.get(f"/progress/subject?term={SPRING}&page=9").status_code == 200

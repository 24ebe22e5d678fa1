"""Back office: Program Administrators download the order feed; everyone else gets a 403."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from orders import clock
from orders.domain.models import FeedRun, Term
from orders.extensions import db
from tests import factories as f
from tests import feed_story as story
from tests.feed_story import SPRING, at
from tests.helpers import sign_in

FULL = f"/admin/feed/download?term={SPRING}&kind=full"


@pytest.fixture
def frozen(app, monkeypatch):
    """The demo data loaded at story.FROZEN, and the clock an hour later."""
    with app.app_context():
        story.load_frozen_demo()
        db.session.remove()
    monkeypatch.setattr(clock, "utcnow", lambda: at("2026-11-20T16:00"))


@pytest.fixture
def admin(client, frozen):
    sign_in(client, "katherine")
    return client


def feed_run_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FeedRun))


def test_the_page_offers_both_downloads_for_the_open_term(admin):
    page = admin.get("/admin/feed/").get_data(as_text=True)
    assert '<label for="feed-term">Term</label>' in page
    assert '<option value="202710" selected>Spring 2027 (202710)</option>' in page
    assert '<label for="feed-since">Changes since</label>' in page and 'value="2026-11-13"' in page
    assert ">Download full feed</button>" in page and ">Download changes since date</button>" in page
    assert 'method="get"' in page
    assert "do not move the delta window" in page
    assert "America/Chicago" in page


def test_the_back_office_links_to_it_for_program_administrators_only(client, frozen):
    sign_in(client, "katherine")
    assert 'href="/admin/">Administration</a>' in client.get("/").get_data(as_text=True)
    assert 'href="/admin/feed/">Order feed</a>' in client.get("/admin/").get_data(as_text=True)
    client.post("/sign-out")
    sign_in(client, "ada")
    assert "/admin/feed/" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["ada", "alan", "emmy", "grace"])
@pytest.mark.parametrize(
    "url", ["/admin/feed/", FULL, f"/admin/feed/download?term={SPRING}&kind=delta&since=2026-11-01"]
)
def test_everyone_but_program_administrators_gets_403(client, frozen, who, url):
    sign_in(client, who)
    response = client.get(url)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "The back office is for Program Administrators only." in response.get_data(as_text=True)


def test_the_full_download_is_the_commands_file(app, admin, tmp_path):
    response = admin.get(FULL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="2026-11-20-202710-order-feed-full.csv"'
    assert response.is_streamed
    body = response.get_data()
    result = app.test_cli_runner().invoke(args=["export-feed", "--term", SPRING, "--full", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert body == (tmp_path / "2026-11-20-202710-order-feed-full.csv").read_bytes()
    assert body == (Path(__file__).resolve().parents[2] / "feed_golden" / "01-full.csv").read_bytes()


def test_changes_since_a_date_count_from_local_midnight_and_leave_the_window_alone(app, admin, tmp_path):
    with app.app_context():
        # 05:30 UTC on Nov 21 is still Nov 20 in Chicago; 09:30 UTC is Nov 21 there.
        story.remove_section(1001, "002", at("2026-11-21T05:30"))
        story.remove_line(1002, "Automata, Computability and Complexity", at("2026-11-21T09:30"))
        db.session.commit()
        db.session.remove()
    response = admin.get(f"/admin/feed/download?term={SPRING}&kind=delta&since=2026-11-21")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="2026-11-20-202710-order-feed-delta.csv"'
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("order_id,order_created,order_updated,sis_section_id,is_deleted,")
    assert [(line.split(",")[0], line.split(",")[4]) for line in lines[1:]] == [("1002", "false"), ("1002", "true")]

    response = admin.get(f"/admin/feed/download?term={SPRING}&kind=delta&since=2026-11-22")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "No order of Spring 2027 changed since 2026-11-22: there is nothing to download." in response.get_data(
        as_text=True
    )

    admin.get(FULL).get_data()
    assert feed_run_count(app) == 0
    result = app.test_cli_runner().invoke(args=["export-feed", "--term", SPRING, "--delta", "--out", str(tmp_path)])
    assert "The term's first delta: every order." in result.output, "downloads never move the delta window"


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("term=999999&kind=full", 404, "that term does not exist"),
        ("kind=full", 404, "that term does not exist"),
        ("term=" + "9" * 5000 + "&kind=full", 404, "that term does not exist"),
        (f"term={SPRING}&kind=everything", 400, "Choose “Download full feed” or “Download changes since date”."),
        (f"term={SPRING}", 400, "Choose “Download full feed”"),
        (f"term={SPRING}&kind=delta", 400, "Enter the date to download the changes since"),
        (f"term={SPRING}&kind=delta&since=2026-13-45", 400, "Enter the date to download the changes since"),
        (f"term={SPRING}&kind=delta&since=" + "1" * 5000, 400, "Enter the date to download the changes since"),
        (f"term={SPRING}&kind=delta&since=٢٠٢٦-١١-٠١", 400, "Enter the date to download the changes since"),
    ],
)
def test_bad_requests_get_a_clear_page_never_a_500(admin, query, status, message):
    response = admin.get(f"/admin/feed/download?{query}")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page
    assert 'role="alert"' in page and ">Download full feed</button>" in page


def test_the_page_lists_the_commands_recent_runs(app, admin, tmp_path):
    app.test_cli_runner().invoke(args=["export-feed", "--term", SPRING, "--delta", "--out", str(tmp_path)])
    page = admin.get("/admin/feed/").get_data(as_text=True)
    assert "2026-11-20-202710-order-feed-delta.csv</strong> — Spring 2027, delta," in page
    assert "4 rows, the term's first delta (every order)" in page


def test_a_download_runs_a_fixed_number_of_queries_whatever_the_size(app, admin, count_queries):
    def count() -> tuple[int, int]:
        with count_queries() as counter:
            body = admin.get(FULL).get_data(as_text=True)
        lines = body.splitlines()
        # The factory's orders never changed after placing: order_updated falls back to placed_at.
        factory_rows = [line.split(",") for line in lines[1:] if int(line.split(",")[0]) >= 5000]
        assert all(cells[1:3] == ["2026-11-19T12:00:00Z"] * 2 for cells in factory_rows)
        return counter.count, len(lines) - 1, len(factory_rows)

    small, small_rows, _ = count()
    with app.app_context():
        spring = db.session.scalars(select(Term).where(Term.code == SPRING)).one()
        katherine = story.user("katherine")
        for i in range(30):
            sections = [f.section(spring, subject="BIO", number="101", label=f"{200 + i}")]
            f.placed_order(sections, katherine, at("2026-11-19T12:00"))
        db.session.commit()
        db.session.remove()
    large, large_rows, factory_rows = count()
    assert large_rows == small_rows + 30 and factory_rows == 30
    assert small == large == 3, f"{small} statements for {small_rows} rows, {large} for {large_rows}"

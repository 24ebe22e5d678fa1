"""Back office: Program Administrators download the student billing feed; everyone else gets a 403."""
from __future__ import annotations

from pathlib import Path

import pytest

from orders import clock
from orders.extensions import db
from tests import feed_story as story
from tests.feed_story import SPRING, at
from tests.helpers import sign_in

DOWNLOAD = f"/admin/billing/download?term={SPRING}"
GOLDEN = Path(__file__).resolve().parents[2] / "feed_golden"


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


def test_the_page_offers_the_download_for_the_term_whose_window_is_open(admin):
    response = admin.get("/admin/billing/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<label for="billing-term">Term</label>' in page
    assert '<option value="202710" selected>Spring 2027 (202710): choice window open</option>' in page
    assert '<option value="202630">Fall 2026 (202630): choices final</option>' in page
    assert 'method="get"' in page and ">Download</button>" in page
    assert 'href="/admin/billing/" aria-current="page">Billing feed</a>' in page  # the tab
    assert "Program mode: opt-out" in page


def test_the_back_office_overview_links_to_it(admin):
    assert 'href="/admin/billing/">Billing feed</a>' in admin.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["ada", "grace", "mary"])
@pytest.mark.parametrize("url", ["/admin/billing/", DOWNLOAD])
def test_everyone_but_program_administrators_gets_403(client, frozen, who, url):
    sign_in(client, who)
    response = client.get(url)
    assert response.status_code == 403
    assert "The back office is for Program Administrators only." in response.get_data(as_text=True)


def test_signed_out_goes_to_sign_in(client, frozen):
    response = client.get(DOWNLOAD)
    assert response.status_code in (302, 303) and "/sign-in" in response.headers["Location"]


def test_the_download_is_the_commands_file(app, admin, tmp_path):
    response = admin.get(DOWNLOAD)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="2026-11-20-202710-student-billing.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    body = response.get_data()
    assert body == (GOLDEN / "billing-01-demo.csv").read_bytes()
    result = app.test_cli_runner().invoke(args=["export-billing", "--term", SPRING, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert body == (tmp_path / "2026-11-20-202710-student-billing.csv").read_bytes()


@pytest.mark.parametrize("query", ["term=999999", "", "term=" + "9" * 5000, "term=٢٠٢٧١٠"])
def test_an_unknown_term_gets_a_clear_page_never_a_500(admin, query):
    response = admin.get(f"/admin/billing/download?{query}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "that term does not exist" in page and 'role="alert"' in page and ">Download</button>" in page


def test_a_download_runs_a_fixed_number_of_queries_whatever_the_size(app, admin, count_queries):
    def count() -> tuple[int, int]:
        with count_queries() as counter:
            body = admin.get(DOWNLOAD).get_data(as_text=True)
        return counter.count, len(body.splitlines())

    small = count()
    with app.app_context():  # the zero-cost text joins order #1001: every MATH 221 student gains a row
        story.add_line(1001, "Calculus Volume 1", at("2026-11-20T15:30"))
        db.session.commit()
        db.session.remove()
    large = count()
    assert large[1] > small[1]
    assert large[0] == small[0], (small, large)


def test_the_download_neutralises_formula_cells_and_the_commands_file_stays_exact(app, admin, tmp_path):
    with app.app_context():
        story.item("Calculus: Early Transcendentals").title = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    body = admin.get(DOWNLOAD).get_data(as_text=True)
    assert "'=HYPERLINK" in body
    result = app.test_cli_runner().invoke(args=["export-billing", "--term", SPRING, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "2026-11-20-202710-student-billing.csv").read_text()
    assert "=HYPERLINK" in text and "'=HYPERLINK" not in text

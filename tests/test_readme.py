"""The README works for a newcomer as written (issue 27, item 10)."""
from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_no_command_calls_a_bare_flask_that_is_not_on_the_path():
    for title in (
        "Run the demo (one command)",
        "Try this first (five minutes)",
        "Run the tests (one command)",
        "Commands",
    ):
        for command in re.findall(r"`([^`]*flask --app app[^`]*)`", section(title)):
            assert ".venv/bin/flask" in command, command
    assert "ORDERS_ENV=development .venv/bin/flask --app app seed-demo --reset" in section("Commands")


def test_every_command_in_the_table_is_one_the_app_has(app):
    rows = re.findall(r"^\| `([a-z-]+)(?: [a-z]+)?[^`]*` \|", section("Commands"), flags=re.M)
    assert len(rows) >= 8
    known = set(app.cli.list_commands(None)) | {"run", "db"}
    assert set(rows) <= known, set(rows) - known


def test_the_development_sentence_reads_clearly():
    assert "Outside development set `ORDERS_ENV=development` only on your own machine" not in README
    assert "Set `ORDERS_ENV=development` only on your own machine" in section("Commands")


def test_a_five_minute_tour_comes_first_with_the_setup_times():
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    assert headings.index("Try this first (five minutes)") <= 2
    tour = section("Try this first (five minutes)")
    for step in ("ada@demo.edu", "Cancel Order", "#1001", "instance/mail/", "katherine@demo.edu", "Audit log"):
        assert step in tour, step
    assert re.search(r"first `make run` takes: measured at \d+ s", section("Run the demo (one command)"))
    assert "first `make test` takes" in section("Run the tests (one command)")


def test_the_history_csv_header_in_the_readme_is_the_one_the_app_writes():
    """Issue 38 item 10: the README's header lacked `Student prices` and `Total per student`."""
    from orders.web.screens.orders.history_export import HEADER

    history = section("Order history and Reorder")
    assert f"`{','.join(HEADER)}`" in history.replace("\n  ", " ").replace("`\n  `", "")


def test_the_readme_says_which_csv_files_are_neutralised_and_which_are_exact():
    """Issue 38 item 10: the billing download is neutralised, so it is not always the command's bytes."""
    billing = section("Billing feed")
    assert "raw (no spreadsheet formula neutralising)" not in billing
    assert "with every cell neutralised for spreadsheets" in billing and "the command's file stays exact" in billing
    feed = section("Order feed (feed version 1)")
    for served in ("billing feed's", "order history's", "Progress tables", "public course materials"):
        assert served in feed.replace("\n", " "), served

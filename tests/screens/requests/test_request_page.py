"""A content request's page and emails.

Who moved it and when, one badge colour per status (AA contrast), the section and session named.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

from tests.screens.requests.test_content_requests import seeded  # noqa: F401 (a fixture)


def resolve(css: str, value: str) -> str:
    name = re.fullmatch(r"var\((--[\w-]+)\)", value.strip())
    return re.search(re.escape(name.group(1)) + r": (#[0-9a-f]{6})", css).group(1) if name else value.strip()


def contrast(background: str, foreground: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(background), luminance(foreground)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_of_html(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace(" ·", " ·").strip()


def test_content_request_page_shows_who_moved_it_and_one_badge_colour_per_status(app, login_as, seeded):  # noqa: F811
    """Item 3: the status history names who approved and when; Approved is not Submitted's yellow."""
    client = login_as("katherine")
    client.post(
        f"/requests/{seeded['R2']}/status",
        data={
            "status": "approved",
            "version": "1",
            "fulfil_with": "new",
            "publisher": "MIT Press",
            "item_edition": "1st",
            "delivery": "eText",
            "price": "42.50",
        },
    )
    html = client.get(f"/requests/{seeded['R2']}").get_data(as_text=True)
    history = text_of_html(html.split("<h2>Status history</h2>", 1)[1].split("</ol>", 1)[0])
    assert re.search(r"Submitted by Alan Turing · \w+ \d+, \d{4}, \d+:\d\d [AP]M", history), history
    assert re.search(
        r"Approved by Katherine Johnson · \w+ \d+, \d{4}, \d+:\d\d [AP]M C[SD]T · fulfilled by Beta Automata", history
    ), history
    assert '<span class="status status-cr-approved">Approved</span>' in html
    assert "status-cr-submitted" in html  # the history's first step keeps its own colour


def test_status_badges_differ_and_meet_aa_contrast():
    css = (Path(__file__).parents[3] / "static" / "css" / "app.css").read_text()
    colours = {}
    for status in ("submitted", "researching", "approved", "denied", "canceled"):
        rule = re.search(r"\.status-cr-" + status + r" \{ background: ([^;]+); color: ([^;]+); \}", css).groups()
        colours[status] = tuple(resolve(css, c) for c in rule)
        assert contrast(*colours[status]) >= 4.5, (status, colours[status])
    assert len({bg for bg, _ in colours.values()}) == 5


def test_content_request_emails_name_the_section_and_session(app, login_as, seeded):  # noqa: F811
    from orders.worker.delivery import render as render_email
    from tests.screens.orders.test_edit import outbox

    client = login_as("katherine")
    client.post(f"/requests/{seeded['R1']}/comments", data={"text": "Looking into it"})
    emails = [e for e in outbox(app) if e.kind == "request_update"]
    assert emails
    for email in emails:
        rendered = render_email(email, app)
        assert "Section(s): 001, 002" in rendered.text and "Session: Regular Academic Session" in rendered.text
        assert '<th align="left">Section(s)</th><td>001, 002</td>' in rendered.html
        assert '<th align="left">Session</th><td>Regular Academic Session</td>' in rendered.html

"""Issue 27's smaller rough edges, through the HTTP layer: the admin tab bar on every back-office page,
the content request page's status history and badges, the expired-form page, and the words."""
from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

from tests.web.test_content_requests import seeded  # noqa: F401 (a fixture)


def test_order_feed_and_reminders_carry_the_admin_tab_bar(login_as):
    """Issue 27, item 8: every back-office page shows the same tabs, the current one marked."""
    client = login_as("katherine")
    for url, label in (("/admin/feed/", "Order feed"), ("/admin/reminders/", "Reminders"), ("/admin/audit", "Audit log")):
        html = client.get(url).get_data(as_text=True)
        assert '<nav class="admin-nav" aria-label="Administration">' in html, url
        assert f'aria-current="page">{label}</a>' in html, url


def test_content_request_page_shows_who_moved_it_and_one_badge_colour_per_status(app, login_as, seeded):  # noqa: F811
    """Item 3: the status history names who approved and when; Approved is not Submitted's yellow."""
    client = login_as("katherine")
    client.post(f"/requests/{seeded['R2']}/status", data={
        "status": "approved", "version": "1", "fulfil_with": "new", "publisher": "MIT Press", "item_edition": "1st",
        "delivery": "eText", "price": "42.50"})
    html = client.get(f"/requests/{seeded['R2']}").get_data(as_text=True)
    history = text_of_html(html.split("<h2>Status history</h2>", 1)[1].split("</ol>", 1)[0])
    assert re.search(r"Submitted by Alan Turing · \w+ \d+, \d{4}, \d+:\d\d [AP]M", history), history
    assert re.search(r"Approved by Katherine Johnson · \w+ \d+, \d{4}, \d+:\d\d [AP]M C[SD]T · fulfilled by Beta Automata", history), history
    assert '<span class="status status-cr-approved">Approved</span>' in html
    assert "status-cr-submitted" in html  # the history's first step keeps its own colour


def test_status_badges_differ_and_meet_aa_contrast():
    css = (Path(__file__).parents[2] / "static" / "css" / "app.css").read_text()
    colours = {}
    for status in ("submitted", "researching", "approved", "denied", "canceled"):
        rule = re.search(r"\.status-cr-" + status + r" \{ background: ([^;]+); color: ([^;]+); \}", css).groups()
        colours[status] = tuple(resolve(css, c) for c in rule)
        assert contrast(*colours[status]) >= 4.5, (status, colours[status])
    assert len({bg for bg, _ in colours.values()}) == 5


def resolve(css: str, value: str) -> str:
    name = re.fullmatch(r"var\((--[\w-]+)\)", value.strip())
    return re.search(re.escape(name.group(1)) + r": (#[0-9a-f]{6})", css).group(1) if name else value.strip()


def contrast(background: str, foreground: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    high, low = sorted((luminance(background), luminance(foreground)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_of_html(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace(" ·", " ·").strip()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_a_form_sent_after_signing_out_in_another_tab_says_the_session_ended(app, login_as):
    """Item 7: not the bare "That request could not be handled" page."""
    client = login_as("ada")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        prompt = client.get("/orders/1001/cancel").get_data(as_text=True)
        token = _token(prompt)
        other_tab = client.get("/orders/1001").get_data(as_text=True)
        assert client.post("/sign-out", data={"csrf_token": _token(other_tab)}).status_code in (302, 303)
        response = client.post("/orders/1001/cancel", data={"csrf_token": token, "version": "1"},
                               headers={"Referer": "http://localhost/orders/1001/cancel"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "<h1>Your session ended</h1>" in html and 'class="site-header"' in html
        assert 'href="/sign-in?next=/orders/1001/cancel"' in html.replace("%2F", "/")
        assert "could not be handled" not in html
        htmx = client.post("/orders/1001/cancel", data={"csrf_token": token, "version": "1"},
                           headers={"Referer": "http://localhost/orders/1001", "HX-Request": "true"})
        assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].replace("%2F", "/") == "/sign-in?next=/orders/1001"
        # A forged form from a signed-in user still gets the plain refusal.
        sign_in_page = client.get("/sign-in").get_data(as_text=True)
        client.post("/sign-in", data={"csrf_token": _token(sign_in_page), "email": "ada@demo.edu", "password": "orders-demo"})
        forged = client.post("/orders/1001/cancel", data={"version": "1"})
        assert forged.status_code == 400 and "Your form expired or was not sent from this site" in forged.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_term_without_sections_says_so_rather_than_blaming_filters(login_as):
    """Item 9: "No sections match these filters" with no filter set."""
    from tests.helpers import text_of

    ada = login_as("ada")
    page = text_of(ada.get("/?term=202750"))
    assert "You teach no sections in Summer 2027." in page and "match these filters" not in page
    assert "No sections match these filters." in text_of(ada.get("/?term=202750&q=zzz"))
    fragment = text_of(ada.get("/?term=202750", headers={"HX-Request": "true"}))
    assert "You teach no sections in Summer 2027." in fragment


def test_content_request_emails_name_the_section_and_session(app, login_as, seeded):  # noqa: F811
    from orders.worker.delivery import render as render_email
    from tests.web.test_edit import outbox

    client = login_as("katherine")
    client.post(f"/requests/{seeded['R1']}/comments", data={"text": "Looking into it"})
    emails = [e for e in outbox(app) if e.kind == "request_update"]
    assert emails
    for email in emails:
        rendered = render_email(email, app)
        assert "Section(s): 001, 002" in rendered.text and "Session: Regular Academic Session" in rendered.text
        assert "<th align=\"left\">Section(s)</th><td>001, 002</td>" in rendered.html
        assert "<th align=\"left\">Session</th><td>Regular Academic Session</td>" in rendered.html

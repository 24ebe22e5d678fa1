"""The plain-text part of every kind of email, compared line for line with golden files (issue 37, item 1).

One story on the demo data at frozen times (tests/feed_story.py), through the same routes and commands
people use: an order placed for an instructor (with a content request), an order changed, a content
request moved on, an order canceled, a student's opt-out, then send-reminders on the first day and in the
last days of the choice window. Each email is rendered from its outbox row as the mail worker renders it.
UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
"""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from orders import clock
from orders.cli.reminders import run_once
from orders.domain.models import ContentRequest, Institution, Order, OrderingPolicy, Organization, OutboundEmail
from orders.extensions import db
from orders.worker.delivery import render
from tests import feed_story as story
from tests.helpers import sign_in
from tests.screens.ordering.test_ordering import add, item_id, place, start
from tests.screens.requests.test_content_requests import request_form, version_on

GOLDEN = Path(__file__).resolve().parent.parent / "mail_golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# Golden file -> (outbox kind, recipient): one of each template, receipts and notices of the order emails.
CASES = {
    "order_placed-receipt": ("placed_receipt", "grace@demo.edu"),
    "order_placed-notice": ("placed_notice", "alan@demo.edu"),
    "order_changed-receipt": ("changed_receipt", "ada@demo.edu"),
    "content_request_update": ("request_update", "grace@demo.edu"),
    "order_canceled-receipt": ("cancel_receipt", "katherine@demo.edu"),
    "order_canceled-notice": ("cancel_notice", "alan@demo.edu"),
    "choice_receipt": ("choice_receipt", "mary@demo.edu"),
    "reminder_opening": ("reminder_opening", "emmy@demo.edu"),
    "reminder_closing": ("reminder_closing", "grace@demo.edu"),
    "student_materials": ("student_materials", "mary@demo.edu"),
    "student_choose_by": ("student_choose_by", "mary@demo.edu"),
    "review_digest": ("review_digest", "emmy@demo.edu"),
    "order_review-returned": ("review_returned", "sophie@demo.edu"),
    "order_review-awaits": ("review_awaits", "emmy@demo.edu"),
    "order_review-approved": ("review_approved", "sophie@demo.edu"),
}

# Row ids differ between databases (PostgreSQL sequences survive the suite's DELETEs): name them instead.
_IDS = [
    (re.compile(r"/requests/\d+"), "/requests/<id>"),
    (re.compile(r"/ordering/start/\d+/\d+"), "/ordering/start/<course>/<term>"),
    (re.compile(r"instructor=\d+"), "instructor=<user>"),
]


def normalised(text: str) -> str:
    for pattern, name in _IDS:
        text = pattern.sub(name, text)
    return text


@pytest.fixture
def story_rendered(app, client, monkeypatch) -> dict:
    """Run the story; return every golden case as the worker renders it (its text and HTML parts)."""
    moment = story.FROZEN
    monkeypatch.setattr(clock, "utcnow", lambda: moment)
    with app.app_context():
        story.load_frozen_demo()
        db.session.scalars(select(Institution)).one().reminders_enabled = True
        # Ada's change below is applied at once; review (docs/spec.md §8) has its own part of the story.
        mathematics = db.session.scalars(select(Organization).where(Organization.name.contains("Mathematics"))).one()
        mathematics.ordering_policy = OrderingPolicy.OPEN
        db.session.commit()
        db.session.remove()

    # Grace orders CS 150 for Alan: a catalog item and a requested title; receipt to her, notice to him.
    sign_in(client, "grace")
    draft = start(client, app, "CS", "150", instructor=_alan(app))
    add(client, draft, item_id(app, "Python Crash Course"))
    client.post(f"/ordering/drafts/{draft}/request-title", data=request_form("The Missing Book", "0-306-40615-2"))
    assert place(client, draft).status_code == 303
    client.post("/sign-out")

    # Ada adds a title to #1001 and makes it recommended.
    sign_in(client, "ada")
    thomas = item_id(app, "Thomas' Calculus")
    client.post("/orders/1001/edit/items", data={"item_id": str(thomas)})
    client.post(f"/orders/1001/edit/items/{thomas}/requirement", data={"requirement": "recommended"})
    assert client.post("/orders/1001/edit/submit", data={"version": "1", "royalty": "no"}).status_code == 303
    client.post("/sign-out")

    # Mary opts out of a required title while the choice window is open.
    sign_in(client, "mary")
    from tests.screens.students.test_materials import CALCULUS, choice_url, ids

    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    assert client.post(choice_url(mary), data={"student": mary["student"], "version": 0}).status_code == 303
    client.post("/sign-out")

    # Katherine moves the request on with a comment, then cancels Alan's CS 310 order (#1002).
    sign_in(client, "katherine")
    with app.app_context():
        request_id = db.session.scalars(
            select(ContentRequest.id).where(ContentRequest.title == "The Missing Book")
        ).one()
    client.post(
        f"/requests/{request_id}/status",
        data={"status": "researching", "version": version_on(client, request_id), "comment": "Asking the publisher"},
    )
    assert client.post("/orders/1002/cancel", data={"version": "1"}).status_code == 303
    client.post("/sign-out")

    # send-reminders the next morning (opening, student materials, and the approvers' digest: Sophie's #1005 has
    # waited four days) and in the window's last days.
    with app.app_context():
        run_once(story.FROZEN + timedelta(hours=18))
        db.session.remove()

    # Mathematics back under approval: Emmy returns #1005 with a reason, Sophie submits it again, Emmy approves it.
    with app.app_context():
        db.session.scalars(
            select(Organization).where(Organization.name.contains("Mathematics"))
        ).one().ordering_policy = OrderingPolicy.APPROVAL
        db.session.commit()
        db.session.remove()
    sign_in(client, "emmy")
    assert (
        client.post("/orders/1005/return", data={"version": "1", "reason": "Please use the 8th edition."}).status_code
        == 303
    )
    client.post("/sign-out")
    sign_in(client, "sophie")
    resubmit = re.search(
        r'href="(/ordering/drafts/\d+)/review"[^>]*>Edit and submit again',
        client.get("/orders/1005").get_data(as_text=True),
    ).group(1)
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"', client.get(f"{resubmit}/review").get_data(as_text=True)
    )
    assert client.post(f"{resubmit}/place", data={"version": version.group(1), "royalty": "no"}).status_code == 303
    client.post("/sign-out")
    sign_in(client, "emmy")
    with app.app_context():
        waiting = db.session.scalars(select(Order.version).where(Order.number == 1005)).one()
    assert client.post("/orders/1005/approve", data={"version": str(waiting)}).status_code == 303
    client.post("/sign-out")

    with app.app_context():
        run_once(story.FROZEN + timedelta(days=19))
        db.session.remove()

    found = {}
    with app.app_context():
        for name, (kind, recipient) in CASES.items():
            emails = list(
                db.session.scalars(
                    select(OutboundEmail).where(OutboundEmail.kind == kind, OutboundEmail.recipient == recipient)
                )
            )
            assert len(emails) == 1, (name, len(emails))
            found[name] = render(emails[0])
        db.session.remove()
    return found


@pytest.fixture
def story_emails(story_rendered) -> dict[str, str]:
    """Every golden case's text part."""
    return {name: normalised(rendered.text) for name, rendered in story_rendered.items()}


def _alan(app) -> int:
    with app.app_context():
        return story.user("alan").id


def test_every_email_kind_has_a_golden_text_part(story_emails):
    templates = {name.split("-")[0] for name in CASES} | {"reminder"}
    shipped = {p.stem for p in (Path(__file__).resolve().parents[2] / "templates" / "emails").glob("[!_]*.txt")}
    assert shipped <= templates, shipped - templates
    for name, text in story_emails.items():
        golden = GOLDEN / f"{name}.txt"
        if UPDATE:
            golden.write_text(text)
        assert text == golden.read_text(), f"{name} differs from {golden.name}:\n{text}"


def test_each_material_and_the_total_stand_on_their_own_lines(story_emails):
    """The receipts' materials list: one title per line, the total on a line of its own, nothing run together."""
    placed = story_emails["order_placed-receipt"].splitlines()
    assert "  - Python Crash Course (ISBN 9781718502703) — $29.99 — Required" in placed
    assert "  - The Missing Book (ISBN 9780306406157) — content request, Submitted, no price yet — Required" in placed
    assert "Total per student: $29.99" in placed
    changed = story_emails["order_changed-receipt"].splitlines()
    assert "  - Calculus: Early Transcendentals (ISBN 9780357693544) — $89.99 — Required" in changed
    assert "  - Thomas' Calculus (ISBN 9780134439020) — $74.99 — Recommended" in changed
    assert "Total per student: $164.98" in changed
    for name, text in story_emails.items():
        assert "RequiredTotal" not in text and "RecommendedTotal" not in text, name
        assert not re.search(r"(Required|Recommended) *  - ", text), name


def test_every_html_email_opens_with_the_institutions_band(story_rendered, app):
    """Issue 37: the HTML emails were unbranded. Each opens with the institution's name and logo on its accent."""
    from devtools.demo import DEMO_ACCENT
    from devtools.demo_logo import demo_logo_png
    from orders.domain.branding import read_logo

    logo_url = f"http://orders.test/brand/logo-{read_logo(demo_logo_png()).digest[:16]}"
    for name, rendered in story_rendered.items():
        band = rendered.html.split("<body", 1)[1].split("</table>", 1)[0]
        assert f"background:{DEMO_ACCENT};color:#ffffff" in band, name
        assert f'<img src="{logo_url}" alt="" width="48" height="48"' in band, name
        assert "Demo State University</span>" in band, name


def test_every_html_email_template_has_the_band():
    """A new kind of email gets the band too: it extends the layout or includes emails/_brand.html."""
    emails = Path(__file__).resolve().parents[2] / "templates" / "emails"
    bare = [
        p.name
        for p in emails.glob("[!_]*.html")
        if '{% extends "emails/_layout.html" %}' not in p.read_text()
        and '{% include "emails/_brand.html" %}' not in p.read_text()
    ]
    assert bare == []

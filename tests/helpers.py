"""What many test modules share: the environment, the demo password's hash, and small actions."""
from __future__ import annotations

import html as htmllib
import os
import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from devtools import demo

IN_CI = os.environ.get("CI", "").lower() == "true"
# Under pytest-xdist each worker gets its own PostgreSQL database (<name>_gw0, <name>_gw1, ...),
# created on first use by tests/conftest.py, so workers never see each other's rows.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
SHARED_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_DATABASE_URL = (
    f"{SHARED_DATABASE_URL}_{XDIST_WORKER}"
    if SHARED_DATABASE_URL and SHARED_DATABASE_URL.startswith("postgresql") and XDIST_WORKER
    else SHARED_DATABASE_URL
)
# The demo password under a one-iteration PBKDF2 hash: sign-in works as in production, but a check
# costs microseconds instead of scrypt's ~0.2 s. The tests of sign-in itself ask for the real hash
# (the `real_password_hash` marker), and so does one browser flow.
DEMO_PASSWORD_HASH = generate_password_hash(demo.DEMO_PASSWORD, method="pbkdf2:sha256:1")
REAL_DEMO_PASSWORD_HASH = generate_password_hash(demo.DEMO_PASSWORD)


def ensure_worker_database() -> str:
    """TEST_DATABASE_URL, after creating this xdist worker's own database beside the shared one if missing."""
    if TEST_DATABASE_URL != SHARED_DATABASE_URL and TEST_DATABASE_URL not in _CREATED:
        name = make_url(TEST_DATABASE_URL).database
        admin = create_engine(SHARED_DATABASE_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            admin.dispose()
        _CREATED.add(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


_CREATED: set[str] = set()


def require_postgres() -> str:
    """The URL of the test PostgreSQL database; skipped locally without one, a failure under CI."""
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        return ensure_worker_database()
    if IN_CI:
        pytest.fail("CI=true but TEST_DATABASE_URL does not point at PostgreSQL")
    pytest.skip("set TEST_DATABASE_URL=postgresql+psycopg://... to run PostgreSQL tests")


def text_of(response) -> str:
    """The visible text of an HTML response, whitespace folded."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def sign_in(client, first_name: str, password: str = demo.DEMO_PASSWORD):
    """Sign the test client in as a demo user."""
    response = client.post("/sign-in", data={"email": f"{first_name}@demo.edu", "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until `target` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} never received focus after {limit} presses of Tab")


def marker_survives(page) -> None:
    """A full navigation would wipe this property."""
    assert page.evaluate("window.__e2eSamePage") is True



def set_marker(page) -> list[str]:
    """Mark the document and record every later load event: htmx swaps must leave both untouched."""
    page.evaluate("window.__e2eSamePage = true")
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    return loads



def no_dialogs(page) -> list[str]:
    """Record any native dialog (window.confirm and friends): the app must never open one."""
    seen: list[str] = []

    def record(dialog):
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen



def open_every_organization(app) -> None:
    """Every organization's ordering policy `open` (docs/spec.md §8): for tests about ordering or editing itself,
    which the demo's Mathematics (under `approval`) would otherwise send to review."""
    from sqlalchemy import update

    from orders.domain.models import OrderingPolicy, Organization
    from orders.extensions import db

    with app.app_context():
        db.session.execute(update(Organization).values(ordering_policy=OrderingPolicy.OPEN))
        db.session.commit()
        db.session.remove()

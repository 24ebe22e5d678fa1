"""Shared fixtures: one app and database per session, data reset between tests."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import create_app
from devtools import demo
from devtools.sqlcount import StatementCounter
from orders.domain.models import Order, User
from orders.extensions import db
from tests.helpers import (
    DEMO_PASSWORD_HASH,
    REAL_DEMO_PASSWORD_HASH,
    TEST_DATABASE_URL,
    ensure_worker_database,
    sign_in,
)


def database_url() -> str:
    """PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file shared by every thread."""
    if TEST_DATABASE_URL:
        return ensure_worker_database()
    handle, path = tempfile.mkstemp(prefix="orders-test-", suffix=".sqlite3")
    os.close(handle)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def app():
    """The app under test, with an empty schema."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url()})
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after each test that touched the app, so tests never see each other's rows."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        try:
            if request.node.get_closest_marker("derived_drift_allowed") is None:
                _assert_no_drift(request.node.nodeid)
        finally:  # a drift fails its own test only: the next test still starts empty
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())


def _assert_no_drift(test: str) -> None:
    """Whatever a test wrote, through whichever path, reach and the Progress counts followed (orders.domain.upkeep)."""
    from orders.domain import reach_table, section_counts
    from orders.domain.models import Institution, ProgramMode

    mode = db.session.scalar(select(Institution.program_mode).limit(1)) or ProgramMode.OPT_OUT
    reach, counts = reach_table.drift(db.session), section_counts.drift(db.session, mode)
    assert not reach and not counts, f"{test} left the derived tables behind the data: {reach.samples + counts.samples}"


@pytest.fixture
def app_ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Demo:
    """Handles on the demo data: users by first name and orders by number."""

    now: datetime

    def user(self, first_name: str) -> User:
        return db.session.scalars(select(User).where(User.email == f"{first_name}@demo.edu")).one()

    def order(self, number: int) -> Order:
        return db.session.scalars(select(Order).where(Order.number == number)).one()


@pytest.fixture
def demo_data(request, app, now):
    """The docs/spec.md §5 demo set, loaded fresh (with the real scrypt hash under `real_password_hash`)."""
    real = request.node.get_closest_marker("real_password_hash") is not None
    with app.app_context():
        demo.load_demo(now, password_hash=REAL_DEMO_PASSWORD_HASH if real else DEMO_PASSWORD_HASH)
        db.session.commit()
        db.session.remove()
    return Demo(now)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client, demo_data):
    """login_as("ada") signs the client in and returns it."""

    def _login(first_name: str):
        sign_in(client, first_name)
        return client

    return _login


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.count"""
    with app.app_context():
        engine = db.engine
    return lambda: StatementCounter(engine)


def days(n: float) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def csrf_on(app):
    """CSRF protection as in production (the suite otherwise runs with it off, to keep tests short)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free port, and the app pointed at it."""
    from tests.smtp import SMTPServer

    server = SMTPServer()
    server.start()
    previous = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = server.port
    yield server
    server.stop()
    app.config["MAIL_PORT"] = previous


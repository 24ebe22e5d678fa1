"""Shared fixtures: one app and database per session, data reset between tests."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import create_app
from orders import demo
from orders.extensions import db
from orders.models import Order, User
from orders.sqlcount import StatementCounter

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# One real hash for the whole run: hashing is deliberately slow.
DEMO_PASSWORD_HASH = generate_password_hash(demo.DEMO_PASSWORD)


def database_url() -> str:
    """PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file shared by every thread."""
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
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
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


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
def demo_data(app, now):
    """The SPEC section 5 demo set, loaded fresh."""
    with app.app_context():
        demo.load_demo(now, password_hash=DEMO_PASSWORD_HASH)
        db.session.commit()
        db.session.remove()
    return Demo(now)


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, first_name: str, password: str = demo.DEMO_PASSWORD):
    """Sign the test client in as a demo user."""
    response = client.post("/sign-in", data={"email": f"{first_name}@demo.edu", "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


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


def require_postgres():
    """The URL of the test PostgreSQL database; skipped locally without one, a failure under CI."""
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        return TEST_DATABASE_URL
    if IN_CI:
        pytest.fail("CI=true but TEST_DATABASE_URL does not point at PostgreSQL")
    pytest.skip("set TEST_DATABASE_URL=postgresql+psycopg://... to run PostgreSQL tests")


def days(n: float) -> timedelta:
    return timedelta(days=n)

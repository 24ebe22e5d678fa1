"""A locked or unreachable database answers 503 with Retry-After in bounded time (docs/spec.md §7 Reliability)."""
from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from datetime import datetime, timezone

import psycopg
import pytest

from app import create_app
from devtools import demo
from orders.extensions import db
from tests.helpers import DEMO_PASSWORD_HASH, require_postgres, text_of


def assert_busy_page(response, elapsed: float, limit: float) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == "30"
    assert "The database is busy or unreachable" in text_of(response)
    assert elapsed < limit, f"took {elapsed:.1f} s"


@pytest.fixture
def sqlite_app():
    """An app on its own SQLite file (WAL, a short busy timeout), with the demo data."""
    handle, path = tempfile.mkstemp(prefix="orders-locked-", suffix=".sqlite3")
    os.close(handle)
    application = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DATABASE_BUSY_TIMEOUT_SECONDS": 0.3})
    with application.app_context():
        db.create_all()
        demo.load_demo(datetime.now(timezone.utc), password_hash=DEMO_PASSWORD_HASH)
        db.session.commit()
        db.session.remove()
    yield application, path
    with application.app_context():
        db.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def test_sqlite_runs_in_wal_mode(sqlite_app):
    application, path = sqlite_app
    with application.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_locked_sqlite_database_answers_503_and_pages_still_read(sqlite_app):
    application, path = sqlite_app
    client = application.test_client()
    reader = application.test_client()
    assert reader.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"}).status_code == 303
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        response = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "wrong"})
        assert_busy_page(response, time.monotonic() - started, 3)
        assert reader.get("/").status_code == 200  # WAL: reading pages do not wait for the writer
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"}).status_code == 303


def test_an_unreachable_database_answers_503_quickly():
    application = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://orders:orders@127.0.0.1:1/none"})
    started = time.monotonic()
    response = application.test_client().post("/sign-in", data={"email": "ada@demo.edu", "password": "x"})
    assert_busy_page(response, time.monotonic() - started, 10)


def test_a_held_postgres_row_lock_answers_503_within_the_lock_timeout(app, demo_data):
    url = require_postgres()
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_LOCK_TIMEOUT_MS": 300})
    holder = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        # Another transaction holds Ada's row: signing her in must insert a session that references it.
        holder.execute("SELECT id FROM app_user WHERE email = 'ada@demo.edu' FOR UPDATE")
        started = time.monotonic()
        response = application.test_client().post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"})
        assert_busy_page(response, time.monotonic() - started, 5)
    finally:
        holder.rollback()
        holder.close()
        with application.app_context():
            db.engine.dispose()
    assert (
        application.test_client()
        .post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"})
        .status_code
        == 303
    )


def test_postgres_sessions_carry_statement_and_lock_timeouts(app):
    require_postgres()
    with app.app_context():
        assert db.session.execute(db.text("SHOW statement_timeout")).scalar() == "15s"
        assert db.session.execute(db.text("SHOW lock_timeout")).scalar() == "5s"

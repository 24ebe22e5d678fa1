"""The committed migrations build exactly the schema the models describe, and seed-demo runs on it."""
from __future__ import annotations

import tempfile
import uuid
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from app import create_app
from orders.domain.models import Order, User
from orders.extensions import db
from tests.helpers import TEST_DATABASE_URL


@pytest.fixture
def scratch_database_url():
    """An empty database of the same kind the suite runs on."""
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        name = f"orders_migration_{uuid.uuid4().hex[:8]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()
    else:
        with tempfile.NamedTemporaryFile(suffix=".sqlite3") as handle:
            yield f"sqlite:///{handle.name}"


def test_migrations_match_models_and_seed_demo_loads(scratch_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_database_url})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == [], diff
        assert (
            db.session.scalar(select(func.count()).select_from(User)) == 48
        )  # 6 staff (Sophie Germain: docs/spec.md §5, §8), 42 students
        assert sorted(db.session.scalars(select(Order.number))) == [1001, 1002, 1003, 1004, 1005]
        db.session.remove()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "--reset" in again.output
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    reset = runner.invoke(args=["seed-demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 5
        db.session.remove()
        db.engine.dispose()


def test_migrating_a_fresh_sqlite_database_warns_nothing(tmp_path):
    """Issue 37 item 4: `make run`, seed-demo and seed-bulk printed an SAWarning that looked like a failure."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    with app.app_context(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        upgrade()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
    assert [str(w.message) for w in caught if issubclass(w.category, SAWarning)] == []

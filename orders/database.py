"""Database connection settings: every wait is bounded, so a locked or unreachable database is a 503.

SQLite runs in WAL mode (readers never wait for the writer) with a busy timeout; PostgreSQL gets a
connect timeout and per-session statement and lock timeouts.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.pool import Pool


def engine_options(config: dict) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS for the configured database URL."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if url.startswith("sqlite"):
        connect_args.setdefault("timeout", float(config["DATABASE_BUSY_TIMEOUT_SECONDS"]))
    elif url.startswith("postgresql"):
        options.setdefault("pool_timeout", float(config["DATABASE_POOL_TIMEOUT_SECONDS"]))
        connect_args.setdefault("connect_timeout", int(config["DATABASE_CONNECT_TIMEOUT_SECONDS"]))
        connect_args.setdefault(
            "options",
            f"-c statement_timeout={int(config['DATABASE_STATEMENT_TIMEOUT_MS'])}"
            f" -c lock_timeout={int(config['DATABASE_LOCK_TIMEOUT_MS'])}",
        )
    options["connect_args"] = connect_args
    return options


def _sqlite_wal(dbapi_connection, connection_record) -> None:
    """Every new SQLite connection: write-ahead logging, so pages keep reading while one request writes."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # persistent; a no-op once set, ignored in memory
    except sqlite3.OperationalError:
        pass  # another connection holds a lock while the mode is being switched: the next connect sets it
    finally:
        cursor.close()


def register() -> None:
    """Install the SQLite connect hook once per process."""
    if not event.contains(Pool, "connect", _sqlite_wal):
        event.listen(Pool, "connect", _sqlite_wal)

"""Database connection settings: every wait is bounded, so a locked, unreachable or frozen database is a 503.

SQLite runs in WAL mode (readers never wait for the writer) with a busy timeout. PostgreSQL gets, in
the connection itself: a connect timeout, TCP keepalives and `tcp_user_timeout` (a peer that stops
acknowledging is dropped), and per-session statement and lock timeouts; the pool a checkout timeout.
Those all rely on the server or its kernel answering. A server that is frozen (stopped, swapped out,
stuck on I/O) while its kernel still ACKs would hold a request forever, so a client-side watchdog
shuts the socket of any statement, the pool's checkout ping included, unanswered after
DATABASE_CLIENT_TIMEOUT_SECONDS: psycopg then fails it at once, the pool drops the connection,
and the request answers 503 (orders/web/errors.py).
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

log = logging.getLogger(__name__)


def engine_options(config: dict) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS for the configured database URL."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if url.startswith("sqlite"):
        connect_args.setdefault("timeout", float(config["DATABASE_BUSY_TIMEOUT_SECONDS"]))
    elif url.startswith("postgresql"):
        options.setdefault("pool_timeout", float(config["DATABASE_POOL_TIMEOUT_SECONDS"]))
        # The checkout ping runs under the watchdog instead (install_watchdog): SQLAlchemy's own has no bound.
        options["pool_pre_ping"] = False
        connect_args.setdefault("connect_timeout", int(config["DATABASE_CONNECT_TIMEOUT_SECONDS"]))
        idle = int(config.get("DATABASE_KEEPALIVES_IDLE_SECONDS", 10))
        connect_args.setdefault("keepalives", 1)
        connect_args.setdefault("keepalives_idle", idle)
        connect_args.setdefault("keepalives_interval", max(1, idle // 2))
        connect_args.setdefault("keepalives_count", 3)
        connect_args.setdefault("tcp_user_timeout", int(config.get("DATABASE_TCP_USER_TIMEOUT_MS", 10000)))
        connect_args.setdefault("prepare_threshold", prepare_threshold(config.get("DATABASE_PREPARE_THRESHOLD", "5")))
        if str(config.get("DATABASE_STARTUP_OPTIONS", "on")).lower() not in ("off", "0", "false", "no"):
            connect_args.setdefault("options", startup_options(config))
    options["connect_args"] = connect_args
    return options


def session_settings(config) -> dict[str, str]:
    """The settings every PostgreSQL session starts with (behind PgBouncer: its connect_query, as SET statements)."""
    return {
        "statement_timeout": str(int(config["DATABASE_STATEMENT_TIMEOUT_MS"])),
        "lock_timeout": str(int(config["DATABASE_LOCK_TIMEOUT_MS"])),
        # JIT compiling pays off for long analytic queries, not for pages: it added ~90 ms to the
        # Progress statement (estimated cost over jit_above_cost) to save a few.
        "jit": "off",
    }


def startup_options(config) -> str:
    """session_settings as libpq's startup `options`."""
    return " ".join(f"-c {name}={value}" for name, value in session_settings(config).items())


def prepare_threshold(value) -> int | None:
    """DATABASE_PREPARE_THRESHOLD: the run of a statement on a connection from which psycopg prepares it
    (server-side, planned once); "none" never prepares (PgBouncer in transaction pooling before 1.21)."""
    text = str(value).strip().lower()
    if text in ("none", "off", "", "never"):
        return None
    return max(0, int(text))


class Watchdog:
    """One thread per process: shuts the socket of any PostgreSQL call that outlives its deadline."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deadlines: dict[int, tuple[float, int]] = {}  # id(dbapi connection) -> (deadline, socket fd)
        self.pid: int | None = None
        self.fired = 0

    def _ensure_thread(self) -> None:
        if self.pid != os.getpid():  # first use, or in a forked gunicorn worker (threads do not survive fork)
            self.pid = os.getpid()
            self.deadlines.clear()
            threading.Thread(target=self._run, name="db-watchdog", daemon=True).start()

    def arm(self, dbapi_connection, seconds: float) -> None:
        try:
            fd = dbapi_connection.fileno()
        except Exception:  # already closed: nothing to watch
            return
        with self.lock:
            self._ensure_thread()
            self.deadlines[id(dbapi_connection)] = (time.monotonic() + seconds, fd)

    def disarm(self, dbapi_connection) -> None:
        with self.lock:
            self.deadlines.pop(id(dbapi_connection), None)

    def _run(self) -> None:
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            with self.lock:
                late = [(key, fd) for key, (deadline, fd) in self.deadlines.items() if deadline <= now]
                for key, _ in late:
                    del self.deadlines[key]
            for _, fd in late:
                self._shut(fd)

    def _shut(self, fd: int) -> None:
        """Shut the socket under psycopg (through a duplicate descriptor): its wait ends with an error."""
        self.fired += 1
        log.warning("Database call unanswered past DATABASE_CLIENT_TIMEOUT_SECONDS: dropping its connection")
        try:
            duplicate = socket.socket(fileno=os.dup(fd))
        except OSError:
            return
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            duplicate.close()


WATCHDOG = Watchdog()


def install_watchdog(engine: Engine, seconds: float) -> None:
    """Bound every statement of a PostgreSQL engine, and ping each connection at checkout under the same bound."""
    if engine.dialect.name != "postgresql" or seconds <= 0 or getattr(engine, "_orders_watchdog", False):
        return
    engine._orders_watchdog = True

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn, cursor, statement, parameters, context, executemany):
        WATCHDOG.arm(conn.connection.dbapi_connection, seconds)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn, cursor, statement, parameters, context, executemany):
        WATCHDOG.disarm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "handle_error")
    def _disarm_on_error(context):
        if context.connection is not None and context.connection.connection is not None:
            dbapi = context.connection.connection.dbapi_connection
            if dbapi is not None:
                WATCHDOG.disarm(dbapi)

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, connection_record, connection_proxy):
        """SQLAlchemy's pre-ping, bounded: a connection that does not answer is replaced (DisconnectionError)."""
        WATCHDOG.arm(dbapi_connection, seconds)
        try:
            dbapi_connection.execute("SELECT 1", prepare=False)
            if not dbapi_connection.autocommit:
                # not ROLLBACK: that would drop psycopg's prepared statements (transactions.py)
                dbapi_connection.commit()
        except Exception as error:
            raise exc.DisconnectionError(f"the database did not answer the checkout ping: {error}") from error
        finally:
            WATCHDOG.disarm(dbapi_connection)


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

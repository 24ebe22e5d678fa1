"""Issue 28 defect 13: a frozen PostgreSQL (connections open, nothing answered) is a 503 within the bound.

A TCP proxy in the test stands between the app and PostgreSQL and can freeze: it keeps every
connection open and its kernel keeps ACKing, but forwards nothing, as a stopped server would.
(Freezing the real server is not an option on a shared machine.) The probe found the pool's
checkout ping waiting for as long as the freeze lasted.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from orders.database import engine_options
from orders.extensions import db
from tests.helpers import require_postgres, text_of
from tests.smtp import free_port


class FreezableProxy:
    """Forwards 127.0.0.1:<port> to the database; freeze() stops forwarding without closing anything."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.frozen = threading.Event()
        self.stopped = threading.Event()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            self.sockets.append(client)
            if self.frozen.is_set():
                continue  # accepted by the kernel, never answered: a frozen postmaster
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(0.2)
        while not self.stopped.is_set():
            if self.frozen.is_set():
                time.sleep(0.05)  # hold the bytes: the peer's kernel has ACKed them, nobody answers
                continue
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            while self.frozen.is_set() and not self.stopped.is_set():
                time.sleep(0.05)  # read just as the freeze began: held too
            try:
                sink.sendall(data)
            except OSError:
                return

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self.stopped.set()
        for sock in [self.listener, *self.sockets]:
            try:
                sock.close()
            except OSError:
                pass


@pytest.fixture
def frozen_setup(app, demo_data):
    url = make_url(require_postgres())
    proxy = FreezableProxy(url.host or "127.0.0.1", url.port or 5432)
    application = create_app({
        "SQLALCHEMY_DATABASE_URI": url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        "DATABASE_CLIENT_TIMEOUT_SECONDS": 1.0, "DATABASE_CONNECT_TIMEOUT_SECONDS": 2,
    })
    yield application, proxy
    proxy.close()
    with application.app_context():
        db.engine.dispose()


def answer_within(client, seconds: float, *args, **kwargs):
    """The response, or a failure if none came within `seconds` (the old code hangs as long as the freeze)."""
    result = {}
    worker = threading.Thread(target=lambda: result.update(response=client.post(*args, **kwargs)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"no answer within {seconds} s: the request hangs on the frozen database"
    return result["response"]


def test_a_frozen_database_answers_503_instead_of_hanging(frozen_setup):
    application, proxy = frozen_setup
    client = application.test_client()
    wrong = {"email": "ada@demo.edu", "password": "wrong"}
    assert client.post("/sign-in", data=wrong).status_code == 401  # a pooled connection, through the proxy
    proxy.freeze()
    # Checkout ping on the pooled connection: unanswered -> dropped after 1 s; a new connection: connect
    # timeout 2 s. Well within 20 s, where the old code was still waiting.
    response = answer_within(application.test_client(), 20, "/sign-in", data=wrong)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30" and "The database is busy or unreachable" in text_of(response)


def test_a_statement_the_frozen_database_never_answers_fails_within_the_bound(frozen_setup):
    application, proxy = frozen_setup
    errors = []

    def run():
        with application.app_context():
            db.session.execute(text("SELECT 1"))  # the connection is checked out and in a transaction
            proxy.freeze()
            try:
                db.session.execute(text("SELECT 2"))
            except Exception as error:  # noqa: BLE001 - the test reports what it was
                errors.append(error)
            finally:
                db.session.remove()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the statement still waits on the frozen database"
    assert errors and type(errors[0]).__name__ == "OperationalError"


def test_postgres_engines_bound_every_wait():
    options = engine_options(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u:p@db.example/orders",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "DATABASE_POOL_TIMEOUT_SECONDS": 10,
            "DATABASE_CONNECT_TIMEOUT_SECONDS": 5,
            "DATABASE_STATEMENT_TIMEOUT_MS": 15000,
            "DATABASE_LOCK_TIMEOUT_MS": 5000,
            "DATABASE_TCP_USER_TIMEOUT_MS": 10000,
            "DATABASE_KEEPALIVES_IDLE_SECONDS": 10,
        }
    )
    args = options["connect_args"]
    assert options["pool_timeout"] == 10 and options["pool_pre_ping"] is False  # the bounded ping replaces it
    assert args["connect_timeout"] == 5 and args["tcp_user_timeout"] == 10000
    assert (args["keepalives"], args["keepalives_idle"], args["keepalives_interval"], args["keepalives_count"]) == (
        1,
        10,
        5,
        3,
    )
    assert "statement_timeout=15000" in args["options"] and "lock_timeout=5000" in args["options"]


def test_the_connection_carries_keepalives_and_tcp_user_timeout(app):
    require_postgres()
    with app.app_context():
        assert db.session.execute(text("SHOW tcp_user_timeout")).scalar() in (
            "0",
            "10s",
            "10000ms",
        )  # server side: its own
        raw = db.session.connection().connection.dbapi_connection
        info = raw.info.get_parameters()
        assert info.get("tcp_user_timeout") == "10000" and info.get("keepalives") == "1"


def test_the_statement_timeout_alone_turns_a_lock_wait_into_a_503(app, demo_data):
    """With no lock_timeout at all, the statement_timeout still bounds the wait (server side)."""
    import psycopg

    url = require_postgres()
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "DATABASE_LOCK_TIMEOUT_MS": 0, "DATABASE_STATEMENT_TIMEOUT_MS": 400}
    )
    holder = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        holder.execute("SELECT id FROM app_user WHERE email = 'ada@demo.edu' FOR UPDATE")
        response = answer_within(
            application.test_client(), 20, "/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"}
        )
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    finally:
        holder.rollback()
        holder.close()
        with application.app_context():
            db.engine.dispose()

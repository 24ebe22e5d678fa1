"""Issue 38 item 7: under gunicorn, /healthz answers while every worker thread waits on a frozen database.

gunicorn runs deploy/gunicorn.conf.py (one worker, two threads here) against PostgreSQL through the
freezable proxy of test_frozen_database.py, with the database bounds raised to a minute so that the
requests reading the database stay blocked for the whole test. Once the proxy holds a connection for
each thread (both threads are waiting on the frozen server) and a third request is queued behind them,
/healthz must still answer, before any of those requests has: under the stock gthread worker it waited
in the same queue until a thread came free.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from orders.web.ops.probe_worker import probe_answer
from tests.helpers import require_postgres
from tests.integration.test_frozen_database import FreezableProxy
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
THREADS = 2
HANG = 20  # seconds without an answer that count as a hang (the database bounds are 60 s)


def wait_until(condition, what: str, seconds: float = HANG) -> None:
    """Poll `condition` (no fixed sleep: it returns as soon as it holds); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def get(port: int, path: str, timeout: float = HANG) -> tuple[int, bytes]:
    """One HTTP/1.1 GET on its own connection: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


class Answers:
    """Requests sent in the background; each records its status (or error) when its answer comes."""

    def __init__(self):
        self.done: list = []

    def send(self, port: int, path: str) -> None:
        def run():
            try:
                self.done.append(get(port, path, timeout=120)[0])
            except OSError as error:
                self.done.append(error)

        threading.Thread(target=run, daemon=True).start()


@contextmanager
def gunicorn(tmp_path, database_url: str, **settings: str):
    """deploy/gunicorn.conf.py serving the app on a free port (one worker, THREADS threads); yields the port."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SECRET_KEY="test", GUNICORN_BIND=f"127.0.0.1:{port}",
               GUNICORN_WORKERS="1", GUNICORN_THREADS=str(THREADS), GUNICORN_TIMEOUT="300", DATABASE_URL=database_url,
               **settings)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = open(tmp_path / "gunicorn.log", "wb")
    server = subprocess.Popen([GUNICORN, "-c", "deploy/gunicorn.conf.py", "app:create_app()"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)

    def answering() -> bool:
        try:
            return get(port, "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    try:
        wait_until(answering, "gunicorn to start")
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def gunicorn_on_a_freezable_database(app, demo_data, tmp_path):
    url = make_url(require_postgres())
    proxy = FreezableProxy(url.host or "127.0.0.1", url.port or 5432)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    bounds = dict(
        DATABASE_CONNECT_TIMEOUT_SECONDS="60", DATABASE_CLIENT_TIMEOUT_SECONDS="60", DATABASE_POOL_TIMEOUT_SECONDS="60"
    )
    try:
        with gunicorn(tmp_path, through_proxy, **bounds) as port:
            yield port, proxy
            proxy.close()  # the blocked requests fail now, so the worker stops within its graceful timeout
    finally:
        proxy.close()


@pytest.mark.postgres
def test_healthz_answers_while_every_worker_thread_waits_on_a_frozen_database(gunicorn_on_a_freezable_database):
    port, proxy = gunicorn_on_a_freezable_database
    proxy.freeze()  # before any request read the database: each thread will open a connection of its own
    blocked = Answers()
    for _ in range(THREADS + 1):  # one per thread, and one more queued behind them
        blocked.send(port, "/course-materials/")
    # The frozen proxy accepts each thread's connection and never answers it (connect timeout: a minute).
    wait_until(lambda: len(proxy.sockets) >= THREADS, "both worker threads to wait on the frozen database")
    status, body = get(port, "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert blocked.done == [], "the database requests were answered first: the threads were not busy"
    head_status, head_body = get(port, "/healthz?probe=1")  # a query string is still the probe
    assert head_status == 200 and head_body


def keep_alive_exchange(port: int, paths: list[str], method: str = "GET") -> list[tuple[int, bytes]]:
    """Several requests on one kept-alive connection, the last one closing it: (status, head) of each."""
    with socket.create_connection(("127.0.0.1", port), timeout=HANG) as sock:
        for index, path in enumerate(paths):
            close = "close" if index == len(paths) - 1 else "keep-alive"
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: {close}\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [(int(part.split(b" ", 2)[0]), part) for part in data.split(b"HTTP/1.1 ")[1:]]


def test_the_probe_worker_serves_ordinary_traffic_too(app, demo_data, tmp_path):
    """On the suite's database: pages through the pool, kept-alive connections, /healthz after a page."""
    with gunicorn(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]) as port:
        assert get(port, "/sign-in")[0] == 200 and get(port, "/course-materials/")[0] == 200
        answers = keep_alive_exchange(port, ["/sign-in", "/healthz"])
        assert [status for status, _ in answers] == [200, 200]
        with socket.create_connection(("127.0.0.1", port), timeout=HANG) as sock:
            sock.sendall(b"HEAD /healthz HTTP/1.0\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.parametrize(
    "head, answered",
    [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"GET /healthz?x=1 HTTP/1.0\r\n\r\n", True),
        (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", False),  # the head has not all arrived: the pool reads it
        (b"GET /healthzz HTTP/1.1\r\n\r\n", False),
        (b"POST /healthz HTTP/1.1\r\n\r\n", False),
        (b"GET /readyz HTTP/1.1\r\n\r\n", False),
        (b"\x16\x03\x01\x02\x00", False),  # TLS
    ],
)
def test_only_a_whole_healthz_request_is_answered_by_the_main_thread(head, answered):
    answer = probe_answer(head)
    assert (answer is not None) is answered
    if answer:
        consumed, response = answer
        assert consumed == len(head) and response.startswith(b"HTTP/1.1 200 OK\r\n")
        assert response.endswith(b'{"status":"ok"}\n') is head.startswith(b"GET")

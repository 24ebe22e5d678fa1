"""Scale out: two app processes (gunicorn, as production runs it) on one PostgreSQL database are one app.

Every piece of shared state lives in PostgreSQL: the signed-in session (user_session), the sign-in
throttle (sign_in_failure, sign_in_lock), the orders, reach and counts. A browser behind a load
balancer that sends each request to either process notices nothing: it signs in on one, acts on the
other, is throttled by the two together, and signing out on one signs it out of both.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from devtools.demo import DEMO_PASSWORD
from tests.helpers import require_postgres
from tests.servers import free_port, gunicorn

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Production cookies are Secure: sign-in is refused over plain HTTP, so the load balancer says the browser's
# connection was HTTPS (the processes run with PROXY_FIX_X_PROTO=1, as behind the README's TLS proxy).
THROUGH_TLS_PROXY = {"X-Forwarded-Proto": "https"}


class Browser:
    """One browser's cookies, sent to whichever process a request goes to (as behind a load balancer)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(
        self, port: int, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"User-Agent": "two-processes", **(headers or {})}  # strong session protection ties the session to it
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response.status, dict(response.headers), text

    def token(self, port: int, path: str) -> str:
        status, _, text = self.request(port, "GET", path)
        assert status == 200, (path, status)
        return CSRF.search(text).group(1)

    def sign_in(self, port: int, email: str, password: str) -> int:
        token = self.token(port, "/sign-in")
        status, _, _ = self.request(
            port,
            "POST",
            "/sign-in",
            {"csrf_token": token, "email": email, "password": password},
            headers=THROUGH_TLS_PROXY | {"Referer": f"https://127.0.0.1:{port}/sign-in"},
        )
        return status


@pytest.fixture
def two_processes(app, demo_data):
    """Two gunicorn processes serving the test database with one secret key; yields their ports."""
    url = require_postgres()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(
        ORDERS_ENV="production",
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(32),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT="1",
        PUBLIC_BASE_URL="http://127.0.0.1",
        PYTHONPATH=str(ROOT),
        PROXY_FIX_X_PROTO="1",
    )
    ports = [free_port(), free_port()]
    processes = [gunicorn(port, env) for port in ports]
    try:
        for port, process in zip(ports, processes):
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn stopped: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "gunicorn did not start listening within 60 s"
                    time.sleep(0.1)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_sign_in_on_one_act_on_the_other_sign_out_of_both(two_processes):
    a, b = two_processes
    ada = Browser()
    assert ada.sign_in(a, "ada@demo.edu", DEMO_PASSWORD) == 303
    status, _, courses = ada.request(b, "GET", "/")  # the session made on A is known to B
    assert status == 200 and "Your courses" in courses
    token = ada.token(b, "/orders/1001/cancel")
    status, headers, _ = ada.request(b, "POST", "/orders/1001/cancel", {"csrf_token": token, "version": "1"})
    assert status == 303 and headers["Location"].endswith("/orders/1001")
    status, _, summary = ada.request(a, "GET", "/orders/1001")  # A reads what B changed
    assert status == 200 and "Canceled" in summary
    status, _, courses = ada.request(a, "GET", "/?q=MATH+221")  # and its reach rows and counts followed on B
    assert "Start order" in courses
    token = ada.token(a, "/")
    assert ada.request(a, "POST", "/sign-out", {"csrf_token": token})[0] == 303
    status, headers, _ = ada.request(b, "GET", "/")  # signed out on A: B no longer knows the session
    assert status == 302 and "/sign-in" in headers["Location"]


def test_the_sign_in_throttle_counts_across_both_processes(two_processes):
    a, b = two_processes
    guesser = Browser()
    for attempt in range(5):  # 5 wrong passwords for one account from one address, spread over both
        assert guesser.sign_in((a, b)[attempt % 2], "grace@demo.edu", f"wrong-{attempt}") == 401
    for port in (a, b):  # the pair is locked on both: even the right password waits
        token = guesser.token(port, "/sign-in")
        status, _, page = guesser.request(
            port,
            "POST",
            "/sign-in",
            {"csrf_token": token, "email": "grace@demo.edu", "password": DEMO_PASSWORD},
            headers=THROUGH_TLS_PROXY | {"Referer": f"https://127.0.0.1:{port}/sign-in"},
        )
        assert status == 429 and "Too many" in page, (port, status)
    assert Browser().sign_in(b, "katherine@demo.edu", DEMO_PASSWORD) == 303  # another account is not held up

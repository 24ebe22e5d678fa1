"""Two gunicorn servers on one database: the login on one, the launch on the other, the roster from the first.

Nothing of a launch lives in a process: the state, the nonce, the launch data and the session are rows.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from orders.domain.lti import connections
from orders.domain.models import LtiLaunch
from orders.extensions import db
from tests.lti_platform import LEARNER, FakePlatform
from tests.servers import free_port, gunicorn

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def _serve(database_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, ORDERS_ENV="development", SECRET_KEY="two-workers-secret", DATABASE_URL=database_url,
               PYTHONPATH=str(ROOT))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # Two threads, as deploy/gunicorn.conf.py runs: the roster's token request makes the LMS fetch our key set.
    return gunicorn(port, env, text=True)


def _wait_until_up(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped: {process.stderr.read()[-2000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)  # polling a starting server, not waiting a fixed time
    pytest.fail(f"gunicorn at {base} did not answer within {STARTUP_SECONDS} s")


@pytest.fixture
def two_servers(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    ports = [free_port(), free_port()]
    processes = [_serve(url, port) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for process, base in zip(processes, bases):
            _wait_until_up(process, base)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_login_on_one_worker_launch_on_the_other(app, demo_data, two_servers):
    first, second = two_servers
    platform = FakePlatform().start()
    try:
        platform.tool_launch_url, platform.tool_jwks_url = f"{first}/lti/launch", f"{first}/lti/jwks"
        platform.members = [
            {
                "user_id": "lms-user-mary",
                "name": "Mary Somerville",
                "email": "mary@demo.edu",
                "status": "Active",
                "roles": [LEARNER],
            }
        ]
        with app.app_context():
            connections.register(platform.registration_fields(), actor=None, now=demo_data.now, allow_http=True)
            db.session.commit()
        browser = requests.Session()
        login = browser.get(
            f"{first}/lti/login", params=platform.login_params("ada"), allow_redirects=False, timeout=10
        )
        assert login.status_code == 302, login.text[:500]
        fields = platform.answer_login_redirect(login.headers["Location"])
        landed = browser.post(f"{second}/lti/launch", data=fields, allow_redirects=False, timeout=10)
        assert landed.status_code == 303, landed.text[:500]
        assert urlsplit(landed.headers["Location"]).path == "/"
        courses = browser.get(f"{second}{landed.headers['Location']}", timeout=10)
        assert courses.status_code == 200 and "MATH 221" in courses.text
        with app.app_context():
            launch_id = db.session.scalar(select(LtiLaunch.id))
        roster = browser.get(
            f"{first}/lti/launches/{launch_id}/roster", timeout=20
        )  # the launch data from the database
        assert roster.status_code == 200 and "Mary Somerville" in roster.text
        replayed = requests.post(
            f"{first}/lti/launch", data=fields, cookies=browser.cookies, allow_redirects=False, timeout=10
        )
        assert replayed.status_code == 400 and "already used" in replayed.text
    finally:
        platform.stop()

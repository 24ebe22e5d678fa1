"""README "Production" as an operator pastes it (issue 37, item 3): the marked block runs, start to end, against
PostgreSQL, then the app it started answers /healthz and /readyz, lets the Program Administrator it created sign
in, and serves /metrics only with the token.

How it runs the block: in a temporary directory that links to this checkout's code (as a deployment has it:
no devtools), with its own throwaway database, a free port and a known metrics token in place of the block's
values, and the test's own virtualenv in place of the two install lines (installing takes minutes and needs
the network; `make` and CI install the same requirements.txt). Everything else runs as written, in its own
process group, which the test kills at the end (gunicorn and the mail worker the block left running).

HTTPS: the block sets PROXY_FIX_X_PROTO=1, as behind the TLS proxy the README asks for, so the test signs in the
way that proxy would forward it (X-Forwarded-Proto: https); the same page fetched as plain HTTP, around the
proxy, must say the site has to be reached over HTTPS (item 2).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tests.helpers import require_postgres
from tests.servers import free_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MARKER = "<!-- production-block"
INSTALL_LINES = ("python3 -m venv .venv", ".venv/bin/pip install -r requirements.txt")
# What a deployment holds of the checkout (devtools stays out: production has no seed-demo).
DEPLOYED = ("app.py", "orders", "migrations", "templates", "static", "deploy", "examples", "requirements.txt")
ADMIN_PASSWORD = "a long admin password"
METRICS_TOKEN = "readme-test-metrics-token"
BLOCK_SECONDS = 120


def production_block() -> str:
    """The fenced block right after the marker comment, exactly as the README has it."""
    assert README.count(MARKER) == 1, "README must mark exactly one production block"
    after = README.split(MARKER, 1)[1]
    match = re.match(r"[^\n]*-->\n```sh\n(.*?)\n```\n", after, re.S)
    assert match, "the marker must sit right above a ```sh block"
    return match.group(1)


def with_values(block: str, values: dict[str, str]) -> str:
    """The block with the value of each `export NAME=...` line named in `values` replaced (each must be there)."""
    lines = []
    for line in block.splitlines():
        name = re.match(r"export ([A-Z_]+)=.+$", line)
        if name and name.group(1) in values:
            line = f"export {name.group(1)}='{values.pop(name.group(1))}'"
        lines.append(line)
    assert not values, f"the block no longer exports {sorted(values)}"
    return "\n".join(lines)


@pytest.fixture
def throwaway_database():
    """An empty database beside the test one, dropped afterwards."""
    admin_url = require_postgres()
    name = f"orders_readme_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def deployment(tmp_path) -> Path:
    """A directory laid out as the checkout is, linking to its code and to the test's virtualenv."""
    for name in DEPLOYED:
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    return tmp_path


def _stop_group(process: subprocess.Popen) -> None:
    """End the block's process group (gunicorn, its workers, the mail worker) and wait until it is gone.

    SIGINT: gunicorn's quick shutdown (TERM waits out its graceful timeout); the mail worker stops on either."""
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)  # polling for the processes to exit, not waiting a fixed time
    os.killpg(process.pid, signal.SIGKILL)


def test_the_production_block_runs_and_the_app_it_starts_works(deployment, throwaway_database):
    assert shutil.which("curl") and shutil.which("python3"), "the block needs curl and python3 (README's apt-get line)"
    block = production_block()
    for line in INSTALL_LINES:
        assert line in block.splitlines(), f"the block must install with `{line}`"
    for line in ("export PROXY_FIX_X_FOR=1 PROXY_FIX_X_PROTO=1", ".venv/bin/flask --app app db upgrade"):
        assert line in block.splitlines(), line
    # The administrator's psql lines create the role and database the block's DATABASE_URL names.
    default_url = make_url(re.search(r"export DATABASE_URL='([^']+)'", block).group(1))
    admin_lines = README.split(MARKER, 1)[0].rsplit("```sh\n", 1)[1]
    assert f"CREATE ROLE {default_url.username} LOGIN PASSWORD '{default_url.password}'" in admin_lines
    assert f"CREATE DATABASE {default_url.database} OWNER {default_url.username}" in admin_lines

    port = free_port()
    script = with_values(
        "\n".join(line for line in block.splitlines() if line not in INSTALL_LINES),
        {"DATABASE_URL": throwaway_database, "GUNICORN_BIND": f"127.0.0.1:{port}", "METRICS_TOKEN": METRICS_TOKEN},
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ORDERS_", "FLASK_", "PROMETHEUS_", "GUNICORN_"))
        and k not in ("DATABASE_URL", "SECRET_KEY", "METRICS_TOKEN")
    }
    env.update(ORDERS_ADMIN_PASSWORD=ADMIN_PASSWORD, GUNICORN_WORKERS="1")  # the prompt's answer; a lighter gunicorn
    log = deployment / "block.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "-e", "-c", script],
            cwd=deployment,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            status = process.wait(timeout=BLOCK_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the block did not finish within {BLOCK_SECONDS} s:\n{log.read_text()[-3000:]}")
        printed = log.read_text()
        assert status == 0, printed[-3000:]
        assert '"status":"ok"' in printed.replace(" ", "") and "Changes applied." in printed
        assert "Created Your Name <you@example.edu> a Program Administrator" in printed
        check_the_running_app(f"http://127.0.0.1:{port}", port)
    finally:
        _stop_group(process)


def check_the_running_app(base: str, port: int) -> None:
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "migrations": "ok", "outbox": "ok"}

    # Around the proxy, over plain HTTP: the sign-in page says why nobody could sign in.
    assert "This site must be reached over HTTPS" in requests.get(f"{base}/sign-in", timeout=10).text

    # Through the proxy (it says the browser's connection was HTTPS): the Secure cookie is the browser's to keep.
    https = {"X-Forwarded-Proto": "https"}
    page = requests.get(f"{base}/sign-in", headers=https, timeout=10)
    assert page.status_code == 200 and "This site must be reached over HTTPS" not in page.text
    assert "Secure" in page.headers["Set-Cookie"]
    cookie = f"session={page.cookies['session']}"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    signed_in = requests.post(
        f"{base}/sign-in",
        timeout=30,
        allow_redirects=False,
        data={
            "csrf_token": token,
            "email": "you@example.edu",
            "password": ADMIN_PASSWORD,
        },
        headers={**https, "Cookie": cookie, "Referer": f"https://127.0.0.1:{port}/sign-in"},
    )
    assert signed_in.status_code == 303, signed_in.text[-1500:]
    session = {**https, "Cookie": f"session={signed_in.cookies['session']}"}
    courses = requests.get(f"{base}/?term=202710", headers=session, timeout=10)  # no ordering period yet: name the term
    assert courses.status_code == 200 and "MATH 221 Calculus I" in courses.text  # the SIS import's sections
    admin = requests.get(f"{base}/admin/", headers=session, timeout=10)
    assert admin.status_code == 200 and "Administration" in admin.text

    assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
    wrong = requests.get(f"{base}/metrics", headers={"Authorization": "Bearer not-the-token"}, timeout=10)
    assert wrong.status_code == 401
    metrics = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert metrics.status_code == 200 and "orders_http_requests_total" in metrics.text

"""The race tests once more, through PgBouncer in transaction pooling: what a deployment behind it runs.

Debian's PgBouncer is 1.18, which cannot carry prepared statements across transaction pooling
(max_prepared_statements came with 1.21): the app runs there with DATABASE_PREPARE_THRESHOLD=none
(psycopg never prepares) and DATABASE_STARTUP_OPTIONS=off (PgBouncer refuses libpq's startup
`options`; its connect_query sets the same timeouts and jit=off). Every shared state being in
PostgreSQL, the same guarded UPDATEs, unique indexes and advisory locks give exactly one winner.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orders.config import Config
from orders.database import session_settings
from tests.helpers import IN_CI, SHARED_DATABASE_URL, require_postgres
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
RACE_TESTS = [
    "tests/integration/test_order_races.py",
    "tests/integration/test_back_office_races.py",
    "tests/integration/test_catalog_races.py",
    "tests/integration/test_feed_delta_races.py",
    "tests/integration/test_sign_in_races.py",
    "tests/integration/test_progress_remind_race.py",
]


def _config() -> dict:
    return {name: getattr(Config, name) for name in dir(Config) if name.isupper()}


def _pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None
    )
    if found is None:
        if IN_CI:
            pytest.fail("CI=true but pgbouncer is not installed (.ci/run installs Debian's package)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


@pytest.fixture
def pgbouncer():
    """PgBouncer on a free port in front of the test server, transaction pooling; yields its port."""
    require_postgres()
    binary = _pgbouncer_binary()
    server = make_url(SHARED_DATABASE_URL)
    port = free_port()
    tmp_path = Path(tempfile.mkdtemp(prefix="orders-pgbouncer-"))
    settings = "; ".join(f"SET {name} = {value}" for name, value in session_settings(_config()).items())
    (tmp_path / "userlist.txt").write_text(f'"{server.username}" "{server.password}"\n')
    (tmp_path / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={server.host or '127.0.0.1'} port={server.port or 5432} connect_query='{settings}'\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {tmp_path / 'userlist.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = 25\nmax_client_conn = 300\nadmin_users = {server.username}\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"logfile = {tmp_path / 'pgbouncer.log'}\npidfile = {tmp_path / 'pgbouncer.pid'}\n"
    )
    command = [binary, str(tmp_path / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root (CI): as postgres, like Debian's service
        owner = pwd.getpwnam("postgres")
        for path in (tmp_path, *tmp_path.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            if process.poll() is not None:
                pytest.fail(
                    f"pgbouncer stopped at start: {process.stderr.read().decode()[:500] if process.stderr else ''}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_the_race_tests_pass_through_pgbouncer_in_transaction_pooling(pgbouncer):
    server = make_url(SHARED_DATABASE_URL)
    name = f"{server.database}_bouncer"
    admin = create_engine(SHARED_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    through = server.set(host="127.0.0.1", port=pgbouncer, database=name).render_as_string(hide_password=False)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(TEST_DATABASE_URL=through, DATABASE_PREPARE_THRESHOLD="none", DATABASE_STARTUP_OPTIONS="off", CI="true")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", *RACE_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in summary and "skipped" not in summary and "failed" not in summary, summary
    # The run went through the pooler: its admin console counts the transactions it carried to that database.
    console = server.set(host="127.0.0.1", port=pgbouncer, database="pgbouncer").render_as_string(hide_password=False)
    with psycopg.connect(console.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        stats = {row[0]: row for row in connection.cursor(binary=False).execute("SHOW STATS", prepare=False).fetchall()}
    assert stats[name][1] > 100, stats.get(name)  # total_xact_count: the tests' setup and requests

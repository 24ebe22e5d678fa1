"""The benchmark database: PostgreSQL up, bulk data loaded once per parameter set (a marker says which)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://orders:orders@127.0.0.1:5432/orders_bench"
MARKER_PREFIX = "orders-bench-data "
MAX_AGE = timedelta(days=7)  # the open term is relative to load time; reload before it drifts


def ensure_postgres(log) -> None:
    """Start the machine's PostgreSQL and create the role and databases (the CI script, idempotent)."""
    result = subprocess.run(["bash", str(ROOT / ".ci" / "start-postgres")], capture_output=True, text=True)
    if result.returncode != 0:
        log(f"  .ci/start-postgres failed ({result.stderr.strip()[:200]}); trying the server as it is")


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... -> postgresql://... for psycopg itself."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _fingerprint(sizes: dict) -> dict:
    """What the data depends on: the sizes, the generator and the schema."""
    digest = hashlib.sha256()
    for path in [ROOT / "devtools" / "bulk.py", *sorted((ROOT / "migrations" / "versions").glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return {**sizes, "code": digest.hexdigest()[:16]}


def _read_marker(conn) -> dict | None:
    comment = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
    ).fetchone()[0]
    if not comment or not comment.startswith(MARKER_PREFIX):
        return None
    try:
        return json.loads(comment[len(MARKER_PREFIX) :])
    except ValueError:
        return None


def _placed_orders(conn) -> int:
    try:
        return conn.execute("SELECT count(*) FROM course_order WHERE status = 'placed'").fetchone()[0]
    except psycopg.Error:
        return 0


def ensure_loaded(database_url: str, env: dict, sizes: dict, *, force: bool, min_placed: int, log) -> dict:
    """Load the bulk data unless the same parameters are already there, fresh and with orders left to cancel."""
    wanted = _fingerprint(sizes)
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        marker = _read_marker(conn)
        placed = _placed_orders(conn)
        dbname = conn.info.dbname
    reason = None
    if force:
        reason = "--reload"
    elif marker is None:
        reason = "no marker"
    elif {k: v for k, v in marker.items() if k != "loaded_at"} != wanted:
        reason = "parameters or generator changed"
    elif datetime.now(timezone.utc) - datetime.fromisoformat(marker["loaded_at"]) > MAX_AGE:
        reason = "data older than 7 days"
    elif placed < min_placed:
        reason = f"only {placed} placed orders left to cancel"
    if reason is None:
        log(f"  reusing data loaded {marker['loaded_at']} ({placed:,} placed orders)")
        return marker
    log(f"  loading bulk data ({reason}) ...")
    started = time.perf_counter()
    args = [sys.executable, "-m", "flask", "--app", "app", "seed-bulk", "--reset"]
    for key in ("sections", "instructors", "coordinators", "orders", "students", "enrollments", "seed"):
        args += [f"--{key}", str(sizes[key])]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"seed-bulk failed:\n{result.stdout}\n{result.stderr}")
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # a steady-state database: visibility map set, statistics fresh
        marker = {**wanted, "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        conn.execute(f"COMMENT ON DATABASE {dbname} IS " + _quote(MARKER_PREFIX + json.dumps(marker, sort_keys=True)))
    log(f"  loaded in {time.perf_counter() - started:.0f} s: {result.stdout.strip().splitlines()[0]}")
    return marker


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def reset_outbox(database_url: str) -> None:
    """Start each run with an empty outbox, so the mail worker only sees this run's emails."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("DELETE FROM outbound_email")


def pick(database_url: str, *, seed: int, summary_orders: int, cancel_orders: int) -> dict:
    """The users and orders the scenarios use, chosen deterministically from the data."""
    import random

    rng = random.Random(seed)
    with psycopg.connect(libpq_url(database_url)) as conn:
        numbers = [row[0] for row in conn.execute("SELECT number FROM course_order ORDER BY number")]
        placed = [
            row[0] for row in conn.execute("SELECT number FROM course_order WHERE status = 'placed' ORDER BY number")
        ]
        instructor = conn.execute(
            """
            SELECT u.id, u.email, count(*) FROM app_user u
            JOIN teaching_assignment ta ON ta.user_id = u.id
            JOIN section s ON s.id = ta.section_id
            JOIN ordering_period p ON p.term_id = s.term_id
            WHERE p.closes_at > (now() AT TIME ZONE 'UTC')
            GROUP BY u.id, u.email ORDER BY count(*) DESC, u.id LIMIT 1
            """
        ).fetchone()
        coordinator_id = conn.execute("SELECT id FROM app_user WHERE email = 'coord-large@bulk.edu'").fetchone()[0]
        # Instructors of the large coordinator's open-term sections (campus Main): whom they switch between.
        switch_ids = [
            row[0]
            for row in conn.execute(
                """
            SELECT DISTINCT ta.user_id FROM teaching_assignment ta JOIN section s ON s.id = ta.section_id
            JOIN ordering_period p ON p.term_id = s.term_id
            WHERE p.opens_at <= (now() AT TIME ZONE 'UTC') AND p.closes_at > (now() AT TIME ZONE 'UTC')
              AND s.campus_id = 1
            ORDER BY ta.user_id
            """
            )
        ]
        # The public lookup: the open term and a sample of its sections (most have a placed order).
        public_term = conn.execute(
            "SELECT t.id, t.code FROM term t JOIN ordering_period p ON p.term_id = t.id "
            "WHERE p.opens_at <= (now() AT TIME ZONE 'UTC') AND p.closes_at > (now() AT TIME ZONE 'UTC') "
            "ORDER BY t.code LIMIT 1"
        ).fetchone()
        public_sections = [
            row[0]
            for row in conn.execute(
                "SELECT sis_id FROM section WHERE term_id = %s AND sis_id IS NOT NULL AND state = 'active' ORDER BY id",
                (public_term[0],),
            )
        ]
    rng.shuffle(placed)
    cancel = placed[:cancel_orders]
    probe = placed[cancel_orders : cancel_orders + 5]  # canceled through the test client for query counts
    return dict(
        summary_numbers=rng.sample(numbers, min(summary_orders, len(numbers))),
        cancel_numbers=cancel,
        probe_cancel_numbers=probe,
        instructor_id=instructor[0],
        instructor_email=instructor[1],
        instructor_current_sections=instructor[2],
        coordinator_id=coordinator_id,
        switch_instructor_ids=rng.sample(switch_ids, min(200, len(switch_ids))),
        public_term_code=public_term[1],
        public_section_ids=rng.sample(public_sections, min(500, len(public_sections))),
    )

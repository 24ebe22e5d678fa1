"""The SIS import at the bulk data's size: 20,000 sections, 2,200 staff, 21,000 teaching assignments,
30,000 students and 120,000 enrollments.

Generates the dump (devtools/sis_sample.py), empties a database of its own (`<bench database>_sis`,
created when missing; never the scenarios' data), migrates it, then times `flask import-sis` as a
subprocess twice: the first import (everything inserted) and a rerun of the same dump (no changes),
each with its peak memory (ru_maxrss). Targets: under 60 s and under 30 s.

    .venv/bin/python -m bench.sis [--database-url postgresql+psycopg://...]   # this measurement alone
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.data import ROOT, libpq_url

SIZES = dict(sections=20000, users=2200, assignments=21000, students=30000, enrollments=120000)


def database_url(bench_url: str) -> str:
    """The bench database's URL with `_sis` appended to its name."""
    base, _, name = bench_url.rpartition("/")
    return f"{base}/{name.split('?')[0]}_sis"


def _ensure_empty(url: str, bench_url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(libpq_url(bench_url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _timed(args: list[str], env: dict) -> tuple[float, float, str, int]:
    """Run a command; (wall seconds, peak RSS in MB, output, exit status)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output, process.returncode


def measure(url: str, env: dict, log, *, bench_url: str | None = None) -> dict:
    """Time the first import and the rerun of a bulk-sized dump into the (emptied) database at `url`."""
    from devtools.sis_sample import write_sample_dump

    _ensure_empty(url, bench_url or url)
    env = {**env, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    migrated = subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True)
    if migrated.returncode != 0:
        raise SystemExit(f"db upgrade failed:\n{migrated.stderr}")
    with tempfile.TemporaryDirectory(prefix="orders-sis-") as directory:
        rows = write_sample_dump(Path(directory), **SIZES)
        first = _timed(flask + ["import-sis", directory], env)
        if first[3] != 0:
            raise SystemExit(f"import-sis failed:\n{first[2]}")
        rerun = _timed(flask + ["import-sis", directory], env)
    result = {
        "rows": rows,
        "first_seconds": round(first[0], 1),
        "first_peak_rss_mb": round(first[1]),
        "rerun_seconds": round(rerun[0], 1),
        "rerun_peak_rss_mb": round(rerun[1]),
        "rerun_no_changes": "No changes." in rerun[2],
    }
    log(f"  first import {result['first_seconds']} s (peak {result['first_peak_rss_mb']} MB), "
        f"rerun {result['rerun_seconds']} s (peak {result['rerun_peak_rss_mb']} MB, "
        f"{'no changes' if result['rerun_no_changes'] else 'CHANGED'})")
    return result


def main(argv=None) -> int:
    from bench.data import DEFAULT_DATABASE_URL

    parser = argparse.ArgumentParser(prog="python -m bench.sis", description=__doc__)
    parser.add_argument("--database-url", help="database to empty and import into (default: the bench database + _sis)")
    args = parser.parse_args(argv)
    bench_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = {**os.environ, "ORDERS_ENV": "production", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-sis-import")}
    measure(args.database_url or database_url(bench_url), env, print, bench_url=args.database_url or bench_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

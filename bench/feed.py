"""The order feed at scale: `export-feed --full` for terms of the bulk data, rows/s and peak RSS.

`measure()` runs `python -m bench.feed --term CODE` once per term in a fresh process, so each peak
RSS is that export's own. It exports the term with the most rows and the one with the fewest: if the
rows are streamed, the memory the export adds stays the same whatever the term's size.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.data import libpq_url
from bench.server import ROOT


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def terms_by_rows(database_url: str) -> list[tuple[str, int]]:
    """(term code, feed rows) for every term with placed or canceled orders, most rows first."""
    import psycopg

    with psycopg.connect(libpq_url(database_url)) as conn:
        return conn.execute(
            """
            SELECT t.code, count(*) FROM course_order o
            JOIN term t ON t.id = o.term_id
            JOIN order_section os ON os.order_id = o.id
            JOIN order_line l ON l.order_id = o.id
            WHERE o.status IN ('placed', 'canceled')
            GROUP BY t.code ORDER BY count(*) DESC, t.code
            """
        ).fetchall()


def run_one(term_code: str) -> dict:
    """In this process: the app, a warm connection, then one full export into a temporary directory."""
    from app import create_app
    from orders import clock
    from orders.cli.feed import export
    from orders.domain.feed.export import plan_full
    from orders.domain.lookups import find_term
    from orders.extensions import db

    app = create_app()
    with app.app_context(), tempfile.TemporaryDirectory(prefix="orders-feed-bench-") as out_dir:
        term = find_term(term_code)
        before = _peak_rss_mb()
        started = time.perf_counter()
        result = export(plan_full(term, clock.utcnow()), out_dir)
        seconds = time.perf_counter() - started
        size = os.path.getsize(result.path)
        db.session.remove()
    return {
        "term": term_code,
        "rows": result.rows,
        "orders": result.orders,
        "seconds": round(seconds, 3),
        "rows_per_second": round(result.rows / seconds) if seconds else None,
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def export_in_own_process(module: str, code: str, database_url: str, env: dict) -> dict:
    """Run `python -m <module> --term CODE` (a fresh process, so its peak RSS is the export's) and read its figures."""
    done = subprocess.run([sys.executable, "-m", module, "--term", code], cwd=ROOT,
                          env={**env, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{module} export failed for {code}:\n{done.stdout}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(database_url: str, env: dict, log) -> dict:
    """Export the largest and the smallest term, each in its own process; log and return the figures."""
    terms = terms_by_rows(database_url)
    picked = [terms[0][0]] + ([terms[-1][0]] if len(terms) > 1 else [])
    runs = []
    for code in picked:
        run = export_in_own_process("bench.feed", code, database_url, env)
        runs.append(run)
        log(
            f"  full feed {run['term']}: {run['rows']:,} rows ({run['orders']:,} orders, {run['bytes'] / 1e6:.1f} MB) "
            f"in {run['seconds']:.2f} s = {run['rows_per_second']:,} rows/s; peak RSS {run['peak_rss_mb']:.0f} MB "
            f"({run['peak_rss_mb'] - run['rss_before_mb']:+.0f} MB during the export)"
        )
    return {"runs": runs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__)
    parser.add_argument("--term", required=True, help="term code")
    args = parser.parse_args(argv)
    print(json.dumps(run_one(args.term)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The billing feed at scale: `export-billing` for terms of the bulk data, rows/s and peak RSS.

`measure()` runs `python -m bench.billing --term CODE` once per term in a fresh process, so each peak
RSS is that export's own: the term with the most billing rows (the open term: ~90,000 enrollments)
and the smallest term that has any (the closed term). Streamed rows keep the memory the export adds
the same whatever the term's size.

    .venv/bin/python -m bench.billing --term CODE      # one export, JSON on stdout
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

from bench.data import libpq_url
from bench.feed import export_in_own_process


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def terms_by_enrollments(database_url: str) -> list[tuple[str, int]]:
    """(term code, enrollments) for every term with enrollments, most first."""
    import psycopg

    with psycopg.connect(libpq_url(database_url)) as conn:
        return conn.execute(
            "SELECT t.code, count(*) FROM enrollment e JOIN section s ON s.id = e.section_id "
            "JOIN term t ON t.id = s.term_id "
            "GROUP BY t.code ORDER BY count(*) DESC, t.code"
        ).fetchall()


def run_one(term_code: str) -> dict:
    """In this process: the app, a warm connection, then one export into a temporary directory."""
    from app import create_app
    from orders import clock
    from orders.domain.billing.export import export
    from orders.domain.institution import institution
    from orders.domain.lookups import find_term
    from orders.extensions import db

    app = create_app()
    with app.app_context(), tempfile.TemporaryDirectory(prefix="orders-billing-bench-") as out_dir:
        term = find_term(term_code)
        mode = institution().program_mode
        before = _peak_rss_mb()
        started = time.perf_counter()
        result = export(term, mode, clock.utcnow(), out_dir)
        seconds = time.perf_counter() - started
        size = os.path.getsize(result.path)
        db.session.remove()
    return {
        "term": term_code,
        "rows": result.rows,
        "billable": result.billable,
        "seconds": round(seconds, 3),
        "rows_per_second": round(result.rows / seconds) if seconds else None,
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def measure(database_url: str, env: dict, log) -> dict:
    """Export the term with the most enrollments and the one with the fewest, each in its own process."""
    terms = terms_by_enrollments(database_url)
    if not terms:
        log("  no enrollments in the bench data: billing export skipped")
        return {"runs": []}
    picked = [terms[0][0]] + ([terms[-1][0]] if len(terms) > 1 else [])
    runs = []
    for code in picked:
        run = export_in_own_process("bench.billing", code, database_url, env)
        runs.append(run)
        log(
            f"  billing feed {run['term']}: {run['rows']:,} rows ({run['billable']:,} billable, "
            f"{run['bytes'] / 1e6:.1f} MB) in {run['seconds']:.2f} s = {run['rows_per_second']:,} rows/s; "
            f"peak RSS {run['peak_rss_mb']:.0f} MB "
            f"({run['peak_rss_mb'] - run['rss_before_mb']:+.0f} MB during the export)"
        )
    return {"runs": runs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.billing", description=__doc__)
    parser.add_argument("--term", required=True, help="term code")
    args = parser.parse_args(argv)
    print(json.dumps(run_one(args.term)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

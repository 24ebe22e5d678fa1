"""python -m bench.statements: each hot page's statements as PostgreSQL sees them (pg_stat_statements).

Runs the hot pages of `python -m bench.profile` in-process (Flask test client, production configuration)
against a database whose server loads pg_stat_statements with planning tracked
(`shared_preload_libraries = 'pg_stat_statements'`, `pg_stat_statements.track_planning = on`, then
`CREATE EXTENSION pg_stat_statements` in the database, `GRANT pg_read_all_stats TO <role>` and
`GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO <role>`). Per page:
the statistics are reset, N requests are sent, and the normalized statements it ran are listed with
their calls, how many were planned, and mean plan and execution times. A page whose statements keep
the same text is planned a few times and then runs prepared (psycopg prepares from the 5th run on a
connection): "plans" far below "calls". Nothing is asserted; this only reports.

    BENCH_DATABASE_URL=postgresql+psycopg://orders:orders@127.0.0.1:5433/orders_bench \\
        .venv/bin/python -m bench.statements -n 200 --out bench/results/issue-36-statements.md
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from bench import data
from bench.__main__ import PASSWORD, SIZES, environment
from bench.profile import _requester, scenarios
from bench.queries import _CSRF, BASE_URL, _client

ROOT = Path(__file__).resolve().parent.parent
_BOOKKEEPING = ("pg_stat_statements", "SELECT $1", "COMMIT", "BEGIN", "ROLLBACK", "SHOW ", "select pg_catalog.version")


def run(n: int, only: str | None) -> list[dict]:
    database_url = os.environ.get("BENCH_DATABASE_URL", data.DEFAULT_DATABASE_URL)
    env = environment(database_url, 8000, 2525)
    os.environ.update(
        {k: env[k] for k in ("ORDERS_ENV", "DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "MAIL_SERVER", "MAIL_PORT")}
    )
    from app import create_app

    picked = data.pick(database_url, seed=SIZES["seed"], summary_orders=2000, cancel_orders=4000)
    from bench.csvstream import open_term_code

    picked["open_term_code"] = open_term_code(database_url)
    stats = psycopg.connect(data.libpq_url(database_url), autocommit=True)
    try:
        stats.execute("SELECT count(*) FROM pg_stat_statements")
    except psycopg.Error as error:
        raise SystemExit(
            f"pg_stat_statements is not available in this database ({str(error).strip()}); see this module's docstring"
        ) from None
    with stats.cursor() as cursor:
        tail = [
            r[0]
            for r in cursor.execute(
                "SELECT number FROM course_order WHERE status = 'placed' ORDER BY number DESC LIMIT %s", (n + 10,)
            )
        ]
    app = create_app()
    logging.getLogger("orders.request").setLevel(logging.WARNING)
    clients: dict = {}
    results = []
    for sc in scenarios(picked, tail):
        if only and only.lower() not in sc["name"].lower():
            continue
        client = (
            app.test_client()
            if sc["email"] is None
            else clients.get(sc["email"]) or clients.setdefault(sc["email"], _client(app, sc["email"], PASSWORD))
        )
        posts = sc["name"].startswith("Cancel")
        token = (
            _CSRF.search(client.get(sc["requests"][0][1], base_url=BASE_URL).get_data(as_text=True)).group(1)
            if posts
            else None
        )
        one = _requester(client, sc["requests"], token, sc["name"])
        stats.execute("SELECT pg_stat_statements_reset()")
        for _ in range(n):
            one()
        rows = stats.execute(
            """SELECT query, calls, plans, mean_plan_time, mean_exec_time, rows FROM pg_stat_statements
               WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
               ORDER BY calls DESC, query"""
        ).fetchall()
        statements = [
            dict(query=" ".join(q.split())[:140], calls=c, plans=p, plan_ms=pt, exec_ms=et, rows=r)
            for q, c, p, pt, et, r in rows
            if not q.lstrip().startswith(_BOOKKEEPING)
        ]
        results.append(dict(name=sc["name"], requests=n, statements=statements))
        print(f"  {sc['name']}: {len(statements)} normalized statements", file=sys.stderr, flush=True)
    stats.close()
    return results


def markdown(results: list[dict], title: str) -> str:
    lines = [
        f"# {title}",
        "",
        f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} · `python -m bench.statements` · in-process, one "
        f"request at a time; load average {os.getloadavg()[0]:.2f}. Per page: pg_stat_statements reset, N requests, "
        "every normalized statement it ran (the checkout ping, COMMIT and the like left out).",
        "",
    ]
    for page in results:
        per_request = sum(s["calls"] for s in page["statements"]) / page["requests"]
        lines += [
            f"## {page['name']} ({page['requests']} requests, {len(page['statements'])} normalized statements, "
            f"{per_request:.1f} per request)",
            "",
            "| calls | planned | mean plan ms | mean exec ms | rows/call | statement |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for s in page["statements"]:
            query = s["query"].replace("|", "\\|")
            lines.append(
                f"| {s['calls']} | {s['plans']} | {s['plan_ms']:.3f} | {s['exec_ms']:.3f} | "
                f"{s['rows'] / max(s['calls'], 1):.1f} | `{query}` |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__)
    parser.add_argument("-n", type=int, default=100, help="requests per page")
    parser.add_argument("--only", help="the pages whose name contains this")
    parser.add_argument("--out", help="write the markdown here")
    parser.add_argument("--title", default="Hot pages' statements in pg_stat_statements")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    text = markdown(run(args.n, args.only), args.title)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

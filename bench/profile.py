"""python -m bench.profile: the hot pages in-process (Flask test client), CPU per request and where it goes.

Same database and production configuration as `python -m bench` (run it once to load the data).
Each scenario: a warm-up, N timed requests (process CPU and wall, median), then N more under
pyinstrument, whose samples are charged to the innermost frame of a known kind: SQL build/compile
(sqlalchemy.sql, the ORM's compile state), DB wait (psycopg), ORM row processing (sqlalchemy.orm
loading/attributes, engine results), template (jinja2, markupsafe, *.html), app code (orders/),
framework/other (flask, werkzeug, the rest). A cursor-execute listener gives the driver's wall time
as a check on "DB wait". No timing is asserted anywhere; this only reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import data
from bench.__main__ import (
    ADMIN,
    COORDINATOR,
    PASSWORD,
    PROGRESS_TABLE,
    SIZES,
    STUDENT,
    STUDENT_PAGE,
    TYPEAHEAD,
    environment,
    public_section_paths,
)
from bench.queries import _CSRF, BASE_URL, _client

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["SQL build/compile", "DB wait", "ORM rows", "template", "app code", "framework/other"]


def classify(path: str | None) -> str | None:
    """The kind of a frame's file, or None to look at its caller."""
    if not path:
        return None
    p = path.replace("\\", "/")
    if "/psycopg" in p:
        return "DB wait"
    if "/sqlalchemy/sql/" in p or p.endswith("/sqlalchemy/orm/context.py") or "/sqlalchemy/engine/default.py" in p:
        return "SQL build/compile"
    if (
        "/sqlalchemy/orm/" in p
        or "/sqlalchemy/engine/result.py" in p
        or "/sqlalchemy/engine/cursor.py" in p
        or "/sqlalchemy/engine/row.py" in p
    ):
        return "ORM rows"
    if "/jinja2/" in p or "/markupsafe/" in p or p.endswith(".html") or p.endswith(".txt"):
        return "template"
    if "/orders/" in p and "/site-packages/" not in p:
        return "app code"
    if "/sqlalchemy/" in p:
        return "SQL build/compile"  # engine/base.py etc.: statement execution plumbing
    return None


def breakdown(root) -> dict[str, float]:
    """Seconds of samples per category, each self-time charged to the innermost classified frame."""
    totals = dict.fromkeys(CATEGORIES, 0.0)
    stack = [(root, "framework/other")]
    while stack:
        frame, inherited = stack.pop()
        kind = classify(frame.file_path) or inherited
        self_time = frame.time - sum(child.time for child in frame.children)
        totals[kind] += max(self_time, 0.0)
        stack.extend((child, kind) for child in frame.children)
    return totals


def scenarios(picked: dict, placed_tail: list[int]) -> list[dict]:
    """(name, email, list of (method, path, headers)) for each hot page; paths cycle."""
    term = picked["open_term_code"]
    hx = {"HX-Request": "true"}
    out = [
        dict(
            name="Order summary (admin)",
            email=ADMIN,
            requests=[("GET", f"/orders/{n}", {}) for n in picked["summary_numbers"][:200]],
        ),
        dict(name="Courses (busiest instructor)", email=picked["instructor_email"], requests=[("GET", "/", {})]),
        dict(name="Courses (large coordinator, p1)", email=COORDINATOR, requests=[("GET", "/", {})]),
        dict(
            name="Instructor switch (htmx)",
            email=COORDINATOR,
            requests=[("GET", f"/?instructor={i}", hx) for i in picked["switch_instructor_ids"]],
        ),
        dict(
            name="Instructor type-ahead (htmx)",
            email=COORDINATOR,
            requests=[("GET", f"/instructors?instructor_name={t}", hx) for t in TYPEAHEAD],
        ),
        dict(name="Order history (admin, p1)", email=ADMIN, requests=[("GET", "/orders", {})]),
        dict(name="Order history (large coordinator, p1)", email=COORDINATOR, requests=[("GET", "/orders", {})]),
        dict(name="Student page", email=STUDENT, requests=[("GET", f"{STUDENT_PAGE}?term={term}", {})]),
        dict(name="Progress (admin)", email=ADMIN, requests=[("GET", "/progress/", {})]),
        dict(name="Progress table by subject (htmx, admin)", email=ADMIN, requests=[("GET", PROGRESS_TABLE, hx)]),
        dict(
            name="Public section page",
            email=None,
            requests=[("GET", p, {}) for p in public_section_paths(picked)[:200]],
        ),
        dict(
            name="Cancel POST (htmx, admin)",
            email=ADMIN,
            requests=[("POST", f"/orders/{n}/cancel", hx) for n in placed_tail],
        ),
    ]
    return out


def _requester(client, reqs: list, token: str | None, name: str):
    """A function sending the next request of the cycle; returns the response's size."""
    position = {"i": 0}

    def one() -> int:
        method, path, headers = reqs[position["i"] % len(reqs)]
        position["i"] += 1
        body = None
        if method == "POST":
            body = {"csrf_token": token, "version": "1"}
            headers = {**headers, "Referer": f"{BASE_URL}{path}"}
        response = client.open(path, method=method, data=body, headers=headers, base_url=BASE_URL)
        assert response.status_code in (200, 304), (name, path, response.status_code)
        return len(response.get_data())

    return one


def run(n: int, only: str | None) -> list[dict]:
    from pyinstrument import Profiler
    from sqlalchemy import event

    database_url = os.environ.get("BENCH_DATABASE_URL", data.DEFAULT_DATABASE_URL)
    env = environment(database_url, 8000, 2525)
    os.environ.update(
        {k: env[k] for k in ("ORDERS_ENV", "DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "MAIL_SERVER", "MAIL_PORT")}
    )
    from app import create_app  # after the environment: the config classes read it at import
    from orders.extensions import db

    picked = data.pick(database_url, seed=SIZES["seed"], summary_orders=2000, cancel_orders=4000)
    from bench.csvstream import open_term_code

    picked["open_term_code"] = open_term_code(database_url)
    import psycopg

    with psycopg.connect(data.libpq_url(database_url)) as conn:
        # Orders the bench's cancel scenario will not pick first: the newest placed numbers.
        tail = [
            r[0]
            for r in conn.execute(
                "SELECT number FROM course_order WHERE status = 'placed' ORDER BY number DESC LIMIT %s", (3 * n + 6,)
            )
        ]

    app = create_app()
    import logging

    logging.getLogger("orders.request").setLevel(logging.WARNING)  # one line per request would swamp the report
    with app.app_context():
        engine = db.engine
    wait = {"s": 0.0, "count": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        wait["s"] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        wait["count"] += 1

    clients: dict = {}
    results = []
    for sc in scenarios(picked, tail):
        if only and only.lower() not in sc["name"].lower():
            continue
        if sc["email"] is None:
            client = app.test_client()
        else:
            if sc["email"] not in clients:
                clients[sc["email"]] = _client(app, sc["email"], PASSWORD)
            client = clients[sc["email"]]
        reqs = sc["requests"]
        posts = sc["name"].startswith("Cancel")
        token = None
        if posts:
            page = client.get(reqs[0][1], base_url=BASE_URL).get_data(as_text=True)
            token = _CSRF.search(page).group(1)
        one = _requester(client, reqs, token, sc["name"])
        size = 0
        for _ in range(3 if not posts else 2):
            size = one()
        cpu, wall = [], []
        wait.update(s=0.0, count=0)
        for _ in range(n):
            c0, w0 = time.process_time(), time.perf_counter()
            one()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        driver_ms = wait["s"] * 1000 / n
        statements = wait["count"] / n
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        for _ in range(n):
            one()
        profiler.stop()
        parts = breakdown(profiler.last_session.root_frame())
        total = sum(parts.values()) or 1.0
        results.append(
            dict(
                name=sc["name"],
                cpu_ms=statistics.median(cpu),
                wall_ms=statistics.median(wall),
                driver_ms=driver_ms,
                statements=statements,
                bytes=size,
                parts={k: v * 1000 / n for k, v in parts.items()},
                shares={k: v / total for k, v in parts.items()},
            )
        )
        print(
            f"  {sc['name']}: cpu {results[-1]['cpu_ms']:.1f} ms, wall {results[-1]['wall_ms']:.1f} ms",
            file=sys.stderr,
            flush=True,
        )
    with app.app_context():
        db.engine.dispose()
    return results


def markdown(results: list[dict], n: int, title: str) -> str:
    import subprocess

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    lines = [
        f"# {title}",
        "",
        f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} · commit {commit} · `python -m bench.profile "
        f"-n {n}` · "
        f"in-process Flask test client, production config, bench database; one request at a time; load average "
        f"{os.getloadavg()[0]:.2f}.",
        "",
        "CPU and wall: medians of N timed requests. Breakdown: pyinstrument (wall ms per request, sampled over N more "
        "requests), each sample charged to the innermost frame of a known kind. Driver: cursor-execute wall ms per "
        "request from an SQLAlchemy listener.",
        "",
        "| scenario | CPU ms | wall ms | SQL/req | driver ms | " + " | ".join(CATEGORIES) + " | bytes |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(CATEGORIES) + "---:|",
    ]
    for r in results:
        cells = " | ".join(f"{r['parts'][k]:.1f} ({r['shares'][k]:.0%})" for k in CATEGORIES)
        lines.append(
            f"| {r['name']} | {r['cpu_ms']:.1f} | {r['wall_ms']:.1f} | {r['statements']:.1f} | "
            f"{r['driver_ms']:.1f} | {cells} | {r['bytes']:,} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("-n", type=int, default=30, help="timed requests per scenario (and as many profiled)")
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run everything this many times; keep each scenario's run with the least CPU (the machine is shared)",
    )
    parser.add_argument("--out", help="write the markdown table to this file (e.g. bench/results/profile-before.md)")
    parser.add_argument("--title", default="In-process profile of the hot pages")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    runs = [run(args.n, args.only) for _ in range(max(1, args.repeat))]
    results = [min(same, key=lambda r: r["cpu_ms"]) for same in zip(*runs)]
    text = markdown(results, args.n, args.title + (f" (least CPU of {args.repeat} runs)" if args.repeat > 1 else ""))
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

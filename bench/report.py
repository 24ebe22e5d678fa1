"""The results table: printed, and written to bench/results/latest.md and latest.json."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _fmt_bytes(n: int) -> str:
    return f"{n / 1000:.1f} kB"


def check(value, limit, *, at_least: bool) -> str:
    if value is None:
        return "n/a"
    ok = value >= limit if at_least else value <= limit
    return "PASS" if ok else "FAIL"


def markdown(result: dict) -> str:
    meta = result["meta"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {meta['finished_at']} · commit {meta['commit']} · {meta['cpus']} CPUs · PostgreSQL {meta['postgres']} · "
        f"`{meta['server']}` · wrk, {meta['connections']} connections, {meta['seconds']} s per scenario, "
        f"baseline {meta['baseline_seconds']} s before and after each.",
        "",
        f"Data: {meta['data']}.",
        "",
        (
            "| scenario | req/s | p50 ms | p95 ms | p99 ms | baseline req/s | ratio | SQL/request | bytes raw "
            "| bytes gzip | HTTP statuses |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in result["scenarios"]:
        run = s["run"]
        lines.append(
            f"| {s['title']} | {run['rps']:.0f} | {run['p50_ms']:.1f} | {run['p95_ms']:.1f} | {run['p99_ms']:.1f} | "
            f"{s['baseline_rps']:.0f} | {s['ratio']:.1%} | {s['queries'] if s['queries'] is not None else '—'} | "
            f"{_fmt_bytes(s['bytes']['raw'])} | {_fmt_bytes(s['bytes']['gzip'])} | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(run['statuses'].items()))}"
            f"{' errors ' + str(run['errors']) if run['errors'] else ''} |"
        )
    weight = result["first_load"]
    lines += [
        "",
        f"Order summary first load (HTML + CSS + JS): {_fmt_bytes(weight['raw'])} raw, "
        f"**{_fmt_bytes(weight['gzip'])} gzipped** "
        f"(served compressed by the app: {result['served_encoding']}).",
        "",
        "| part | raw | gzip | Cache-Control |",
        "|---|---:|---:|---|",
    ]
    for part in weight["parts"]:
        lines.append(
            f"| `{part['url']}` | {_fmt_bytes(part['raw'])} | {_fmt_bytes(part['gzip'])} | "
            f"{part['cache_control'] or '—'} |"
        )
    lines += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | **{t['result']}** |")
    mail = result.get("mail")
    if mail:
        lines += [
            "",
            f"During the cancel scenario the SMTP server stalled {mail['stall_seconds']:.0f} s per message and one "
            f"`flask send-mail --loop` worker ran: {mail['enqueued']} emails written to the outbox, "
            f"{mail['sent']} delivered by the end of the scenario "
            f"({mail['smtp_received']} accepted by the SMTP server), "
            f"{mail['pending']} pending or in flight, {mail['failed']} failed.",
        ]
    if result.get("reminders"):
        from bench.reminders import describe

        lines += ["", "## send-reminders (one term, rolled back)", ""] + [
            f"- {line}" for line in describe(result["reminders"])
        ]
    sis = result.get("sis_import")
    if sis:
        rows = sis["rows"]
        lines += [
            "",
            "SIS import (`flask import-sis`, a subprocess, bench/sis.py) of a dump with "
            f"{rows['sections.csv']:,} sections, {rows['users.csv']:,} users and "
            f"{rows['teaching_assignments.csv']:,} teaching assignments into an empty database: "
            f"**{sis['first_seconds']} s** (peak {sis['first_peak_rss_mb']} MB); the same dump again: "
            f"**{sis['rerun_seconds']} s** "
            f"(peak {sis['rerun_peak_rss_mb']} MB, {'no changes' if sis['rerun_no_changes'] else 'CHANGED'}).",
        ]
    lines += feed_lines(result.get("feed"))
    lines += billing_lines(result.get("billing"))
    csv_result = result.get("csv")
    if csv_result:
        lines += [
            "",
            f"## Order history CSV (streamed; `{csv_result['server']}`, worker idle RSS "
            f"{csv_result['idle_rss_kb'] / 1024:.0f} MB after sign-in and one history page; VmHWM already includes "
            "the sign-in's 32 MB scrypt hash)",
            "",
            (
                "| download | rows | MB | seconds | first byte ms | worker RSS before MB | peak RSS sampled MB "
                "| VmHWM after MB |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for run in csv_result["runs"]:
            lines.append(
                f"| `{run['path']}` | {run['rows']:,} | {run['bytes'] / 1e6:.1f} | {run['seconds']:.1f} | "
                f"{run['first_byte_ms']:.0f} | {run['rss_before_kb'] / 1024:.0f} | "
                f"{run['rss_peak_sampled_kb'] / 1024:.0f} | {run['hwm_after_kb'] / 1024:.0f} |"
            )
    lines += ["", "## SQL statements per request (first sample)", ""]
    for name, q in result["queries"].items():
        lines.append(f"- **{name}**: {q['queries']} (samples: {q['per_request']})")
        lines += [f"  - `{s}`" for s in q["statements"]]
    return "\n".join(lines) + "\n"


def feed_lines(feed: dict | None) -> list[str]:
    """The order feed's rows/s and peak RSS (`export-feed --full`, one process per term)."""
    if not feed:
        return []
    lines = [
        "",
        "## Order feed (`export-feed --full`, one process per term)",
        "",
        "| term | rows | orders | seconds | rows/s | file | peak RSS | RSS added by the export |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in feed["runs"]:
        lines.append(
            f"| {run['term']} | {run['rows']:,} | {run['orders']:,} | {run['seconds']:.2f} | "
            f"{run['rows_per_second']:,} | {run['bytes'] / 1e6:.1f} MB | {run['peak_rss_mb']:.0f} MB | "
            f"{run['peak_rss_mb'] - run['rss_before_mb']:+.0f} MB |"
        )
    return lines


def billing_lines(billing: dict | None) -> list[str]:
    """The billing feed's rows/s and peak RSS (`export-billing`, one process per term)."""
    if not billing or not billing.get("runs"):
        return []
    lines = [
        "",
        "## Billing feed (`export-billing`, one process per term)",
        "",
        "| term | rows | billable | seconds | rows/s | file | peak RSS | RSS added by the export |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in billing["runs"]:
        lines.append(
            f"| {run['term']} | {run['rows']:,} | {run['billable']:,} | {run['seconds']:.2f} | "
            f"{run['rows_per_second']:,} | {run['bytes'] / 1e6:.1f} MB | {run['peak_rss_mb']:.0f} MB | "
            f"{run['peak_rss_mb'] - run['rss_before_mb']:+.0f} MB |"
        )
    return lines


def write(result: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    path = RESULTS / "latest.md"
    path.write_text(markdown(result))
    return path


def table(result: dict) -> str:
    """The console version: one line per scenario, then the targets."""
    rows = [
        f"{'scenario':44} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'base':>7} {'ratio':>6} {'SQL':>4} {'raw':>8} "
        f"{'gzip':>8}"
    ]
    for s in result["scenarios"]:
        run = s["run"]
        rows.append(
            f"{s['title'][:44]:44} {run['rps']:7.0f} {run['p50_ms']:7.1f} {run['p95_ms']:7.1f} {run['p99_ms']:7.1f} "
            f"{s['baseline_rps']:7.0f} {s['ratio']:6.1%} {s['queries'] if s['queries'] is not None else '-':>4} "
            f"{_fmt_bytes(s['bytes']['raw']):>8} {_fmt_bytes(s['bytes']['gzip']):>8}"
        )
    rows.append(
        f"order summary first load: {_fmt_bytes(result['first_load']['raw'])} raw, "
        f"{_fmt_bytes(result['first_load']['gzip'])} gzip"
    )
    for run in (result.get("feed") or {}).get("runs", []):
        rows.append(
            f"order feed full {run['term']}: {run['rows']:,} rows in {run['seconds']:.2f} s "
            f"({run['rows_per_second']:,} rows/s), peak RSS {run['peak_rss_mb']:.0f} MB "
            f"({run['peak_rss_mb'] - run['rss_before_mb']:+.0f} MB during the export)"
        )
    for run in (result.get("billing") or {}).get("runs", []):
        rows.append(
            f"billing feed {run['term']}: {run['rows']:,} rows in {run['seconds']:.2f} s "
            f"({run['rows_per_second']:,} rows/s), peak RSS {run['peak_rss_mb']:.0f} MB "
            f"({run['peak_rss_mb'] - run['rss_before_mb']:+.0f} MB during the export)"
        )
    for run in result.get("csv", {}).get("runs", []):
        rows.append(
            f"CSV {run['path']}: {run['rows']:,} rows, {run['bytes'] / 1e6:.1f} MB in {run['seconds']:.1f} s, "
            f"worker peak RSS {run['rss_peak_sampled_kb'] / 1024:.0f} MB sampled (before "
            f"{run['rss_before_kb'] / 1024:.0f} MB)"
        )
    rows += [f"{t['result']:4}  {t['target']}: {t['measured']}" for t in result["targets"]]
    return "\n".join(rows)

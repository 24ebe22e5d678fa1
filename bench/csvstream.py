"""The order history CSV streamed from gunicorn, with the serving worker's memory watched while it runs.

A dedicated gunicorn with one worker and one thread serves the downloads, so the worker that
streams is known and nothing else runs in it. Its resident set (VmRSS, sampled every 10 ms) and
its high-water mark (VmHWM, the kernel's own peak) are read from /proc. A smaller download (one
term) runs first: when memory is flat, streaming every order peaks no higher than streaming a few.
VmHWM is reported too, but signing in (scrypt hashing takes 32 MB) sets it before any download.
"""
from __future__ import annotations

import http.client
import os
import threading
import time
from pathlib import Path

from bench.client import USER_AGENT, Browser
from bench.mailstall import free_port
from bench.server import BASELINE_PATH, Process, gunicorn_args, wait_until_serving

CHUNK = 64 * 1024


def _children(parent: int) -> list[int]:
    """Pids whose parent is `parent` (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def _download(port: int, browser: Browser, path: str, worker: int) -> dict:
    """Read the whole CSV in chunks while a thread samples the worker's RSS."""
    peak = {"rss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak["rss"] = max(peak["rss"], memory_kb(worker)["VmRSS"])
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    before = memory_kb(worker)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Cookie": browser.cookie_header()})
    response = conn.getresponse()
    first_byte = None
    size = lines = 0
    while True:
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
            break
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    conn.close()
    done.set()
    sampler.join()
    after = memory_kb(worker)
    return {
        "path": path,
        "status": response.status,
        "transfer_encoding": response.getheader("Transfer-Encoding") or "",
        "content_type": response.getheader("Content-Type") or "",
        "rows": max(0, lines - 1),
        "bytes": size,
        "seconds": round(elapsed, 2),
        "first_byte_ms": round((first_byte or elapsed) * 1000, 1),
        "rss_before_kb": before["VmRSS"],
        "rss_peak_sampled_kb": max(peak["rss"], after["VmRSS"]),
        "hwm_after_kb": after["VmHWM"],
    }


def open_term_code(database_url: str) -> str:
    """The code of the term whose ordering period is open (the bulk data has exactly one)."""
    import psycopg

    from bench.data import libpq_url

    with psycopg.connect(libpq_url(database_url)) as conn:
        return conn.execute(
            "SELECT t.code FROM term t JOIN ordering_period p ON p.term_id = t.id "
            "WHERE p.opens_at <= (now() AT TIME ZONE 'UTC') AND p.closes_at > (now() AT TIME ZONE 'UTC') "
            "ORDER BY t.code LIMIT 1"
        ).fetchone()[0]


def measure(env: dict, results_dir: Path, email: str, password: str, paths: list[str], log) -> dict:
    """Serve with one gunicorn worker, sign in, warm the history page, then download each path."""
    port = free_port()
    with Process(
        gunicorn_args(1, 1, port), {**env, "ORDERS_BENCH": "1"}, results_dir / "gunicorn-csv.log.tmp"
    ) as gunicorn:
        wait_until_serving(port, BASELINE_PATH, gunicorn)
        workers = _children(gunicorn.proc.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one gunicorn worker, found {workers}")
        worker = workers[0]
        browser = Browser(port)
        browser.sign_in(email, password)
        browser.request("GET", "/orders")  # the worker has loaded everything a page needs
        idle = memory_kb(worker)
        runs = []
        for path in paths:
            run = _download(port, browser, path, worker)
            runs.append(run)
            log(
                f"  {path}: {run['rows']:,} rows, {run['bytes'] / 1e6:.1f} MB in {run['seconds']:.1f} s "
                f"(first byte {run['first_byte_ms']:.0f} ms); worker RSS {run['rss_before_kb'] / 1024:.0f} MB before, "
                f"peak {run['rss_peak_sampled_kb'] / 1024:.0f} MB sampled, high-water mark "
                f"{run['hwm_after_kb'] / 1024:.0f} MB"
            )
    return {
        "idle_rss_kb": idle["VmRSS"],
        "idle_hwm_kb": idle["VmHWM"],
        "runs": runs,
        "server": "gunicorn --workers 1 --threads 1",
    }

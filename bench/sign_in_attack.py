"""A password-guessing client against /sign-in, on loopback, in bounded loops.

    python -m bench.sign_in_attack [--seconds 8]

Serves the demo data (a fresh SQLite file) with gunicorn as the README's production command does
(4 workers x 2 threads), then measures, in one run on one machine:

1. the rate one guessing client achieves (requests/s and password checks the server actually ran);
2. another signed-in user's Courses page latency, alone and while 12 guessing threads run.

Every loop is bounded by time and count; everything talks to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.client import Browser
from bench.server import ROOT, Process, gunicorn_args, wait_until_serving

VICTIM = ("katherine@demo.edu", "orders-demo")
TARGET = "ada@demo.edu"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def guess(port: int, deadline: float, statuses: Counter, lock: threading.Lock, limit: int = 5000) -> None:
    """One guessing client: a fresh CSRF token, then wrong passwords until the deadline."""
    browser = Browser(port)
    token = browser.csrf_token("/sign-in")
    for attempt in range(limit):
        if time.monotonic() >= deadline:
            break
        status, _, _ = browser.request(
            "POST", "/sign-in", form={"csrf_token": token, "email": TARGET, "password": f"guess-{attempt}"}
        )
        with lock:
            statuses[status] += 1


def page_latencies(browser: Browser, deadline: float, limit: int = 400) -> list[float]:
    """The victim's Courses page, sequentially, until the deadline; milliseconds each."""
    times = []
    for _ in range(limit):
        if time.monotonic() >= deadline:
            break
        start = time.perf_counter()
        status, _, _ = browser.request("GET", "/")
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"victim page answered {status}")
    return times


def run_attack(port: int, threads: int, seconds: float) -> Counter:
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    workers = [threading.Thread(target=guess, args=(port, deadline, statuses, lock)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    return statuses, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="orders-attack-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'attack.sqlite3'}",
        "SECRET_KEY": "attack-measurement-" + "x" * 20,
        "ORDERS_ENV": "development",  # plain http cookies on loopback
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "seed-demo", "--reset"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    with Process(gunicorn_args(4, 2, port), env, folder / "gunicorn.log") as server:
        wait_until_serving(port, "/sign-in", server)
        victim = Browser(port)
        victim.sign_in(*VICTIM)
        page_latencies(victim, time.monotonic() + 1)  # warm up
        alone = page_latencies(victim, time.monotonic() + args.seconds / 2)

        statuses, workers = run_attack(port, 1, args.seconds)
        for worker in workers:
            worker.join()
        single = sum(statuses.values()) / args.seconds
        print(f"one guessing client: {single:.1f} requests/s over {args.seconds:.0f} s, statuses {dict(statuses)}")

        time.sleep(1)
        statuses, workers = run_attack(port, 12, args.seconds)
        time.sleep(0.5)
        under_attack = page_latencies(victim, time.monotonic() + args.seconds - 1)
        for worker in workers:
            worker.join()
        total = sum(statuses.values())
        print(f"12 guessing threads: {total / args.seconds:.1f} requests/s, statuses {dict(statuses)}")
        for name, times in (("alone", alone), ("under attack", under_attack)):
            p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
            print(
                f"victim Courses page {name}: median {statistics.median(times):.0f} ms, "
                f"p90 {p90:.0f} ms, max {max(times):.0f} ms over {len(times)} requests"
            )


if __name__ == "__main__":
    main()

"""/healthz latency under gunicorn while PostgreSQL is frozen and clients keep asking for database pages.

    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.healthz_frozen [WORKER_CLASS ...]

The database needs the demo data (`flask --app app seed-demo`). For each worker class (default: gunicorn's
stock gthread, then orders.web.ops.probe_worker.ProbeThreadWorker) it serves deploy/gunicorn.conf.py
(4 workers x 2 threads, the app's default database bounds) through the freezable proxy of
tests/integration/test_frozen_database.py, warms the pools, freezes the proxy, starts CLIENTS (32)
clients looping on /course-materials/, then times PROBES (12) /healthz requests, one a second.
The figures are in deploy/README.md.
"""
from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.integration.test_frozen_database import FreezableProxy
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLASSES = ("gthread", "orders.web.ops.probe_worker.ProbeThreadWorker")


def get(port: int, path: str, timeout: float) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def measure(url: str, worker_class: str, clients: int, probes: int) -> list[float]:
    parsed = make_url(url)
    proxy = FreezableProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SECRET_KEY="bench", GUNICORN_BIND=f"127.0.0.1:{port}",
               GUNICORN_WORKER_CLASS=worker_class,
               DATABASE_URL=parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py", "app:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz", 1) == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for _ in range(20):  # every worker's pool holds connections before the freeze
            get(port, "/course-materials/", 30)
        proxy.freeze()

        def load() -> None:
            while not stop.is_set():
                try:
                    get(port, "/course-materials/", 120)
                except OSError:
                    pass

        for _ in range(clients):
            threading.Thread(target=load, daemon=True).start()
        time.sleep(2)  # the clients fill every worker thread
        seconds = []
        for _ in range(probes):
            started = time.monotonic()
            status = get(port, "/healthz", 120)
            seconds.append(time.monotonic() - started)
            print(f"  {worker_class}: /healthz {status} in {seconds[-1]:.3f} s", flush=True)
            time.sleep(1)
        return seconds
    finally:
        stop.set()
        proxy.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    url = os.environ["BENCH_DATABASE_URL"]
    clients, probes = int(os.environ.get("CLIENTS", "32")), int(os.environ.get("PROBES", "12"))
    for worker_class in sys.argv[1:] or DEFAULT_CLASSES:
        seconds = measure(url, worker_class, clients, probes)
        print(f"{worker_class}: median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s, "
              f"over 1 s: {sum(s > 1 for s in seconds)} of {len(seconds)}")


if __name__ == "__main__":
    main()

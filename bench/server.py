"""Child processes the benchmark starts and stops: gunicorn and the mail worker."""
from __future__ import annotations

import http.client
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE_PATH = "/_bench/baseline"


def gunicorn_args(workers: int, threads: int, port: int) -> list[str]:
    """The production command (README), pointed at bench.wsgi:app, which only adds the baseline route."""
    return [
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "bench.wsgi:app",
    ]


class Process:
    """A child process stopped by its own pid on exit."""

    def __init__(self, args: list[str], env: dict, log_path: Path):
        self.args = args
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *self.args], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_until_serving(port: int, path: str, proc: Process, timeout: float = 30) -> None:
    """Poll until the server answers 200 on `path`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited early; see {proc.log_path}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not come up; see {proc.log_path}")

"""Real servers the integration tests start: a free local port, and gunicorn serving the app as deployed."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(port: int, env: dict[str, str], *, text: bool = False) -> subprocess.Popen:
    """One gunicorn worker with two threads, as deploy/gunicorn.conf.py runs them, serving the app on `port`."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2", "--bind", f"127.0.0.1:{port}",
         "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=text,
    )

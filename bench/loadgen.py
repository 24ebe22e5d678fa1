"""Load generation with wrk (Debian's package): a Lua script replays prepared requests, bounded in time and count."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.client import USER_AGENT

LUA = Path(__file__).resolve().parent / "lua" / "requests.lua"


def ensure_wrk(log) -> str:
    """Path of wrk, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("  wrk not found; installing Debian's package (apt-get install -y wrk) ...")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is required: apt-get install wrk")
    return found


@dataclass
class Run:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict
    statuses: dict

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def run_wrk(
    wrk: str,
    port: int,
    lines: list[str],
    work_dir: Path,
    *,
    seconds: float,
    connections: int,
    cookie: str | None = None,
    headers: dict | None = None,
    once: bool = False,
    max_requests: int = 1_000_000,
    name: str = "scenario",
) -> Run:
    """Closed loop: `connections` clients on one wrk thread, each sending its next request as soon as
    the last answer arrives, for `seconds` (and at most `max_requests`; with once=True every line once)."""
    requests_file = work_dir / f"{name}.requests.tmp"
    requests_file.write_text("\n".join(lines) + "\n")
    args = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    args += [
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        str(requests_file),
        str(max_requests),
        "1" if once else "0",
        "1",
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    line = next((text for text in result.stdout.splitlines() if text.startswith("BENCH-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-500:]} {result.stderr[-500:]}")
    data = json.loads(line[len("BENCH-JSON ") :])
    duration = data["duration_us"] / 1e6
    return Run(
        requests=data["requests"],
        seconds=round(duration, 2),
        rps=round(data["requests"] / duration, 1) if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors={k: v for k, v in data["errors"].items() if v},
        statuses=data["statuses"],
    )

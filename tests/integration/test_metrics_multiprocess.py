"""Metrics under gunicorn (several worker processes): with PROMETHEUS_MULTIPROC_DIR any worker's
/metrics answers for all of them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import sys
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "METRICS_TOKEN": "t"})
client = app.test_client()
for _ in range(int(sys.argv[2])):
    assert client.get("/healthz").status_code == 200
if sys.argv[3] == "scrape":
    from orders.extensions import db
    with app.app_context():
        db.create_all()
    body = client.get("/metrics", headers={"Authorization": "Bearer t"}).get_data(as_text=True)
    line, = [l for l in body.splitlines() if l.startswith('orders_http_requests_total{endpoint="ops.healthz"')]
    print(line.rsplit(" ", 1)[1])
"""


def run(tmp_path, count: int, mode: str) -> str:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), PYTHONPATH=str(ROOT))
    url = f"sqlite:///{tmp_path / 'metrics.sqlite3'}"
    result = subprocess.run([sys.executable, "-c", WORKER, url, str(count), mode], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_any_process_scrapes_the_counts_of_every_process(tmp_path):
    run(tmp_path, 3, "count")  # one worker
    run(tmp_path, 4, "count")  # another
    assert run(tmp_path, 1, "scrape") == "8.0"  # the scraping worker's own request too

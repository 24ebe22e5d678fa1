"""The app exactly as production builds it, plus, only when ORDERS_BENCH=1, a trivial baseline route.

gunicorn serves `bench.wsgi:app` with the production flags; the baseline measures what the stack
(gunicorn, Flask, the app's before/after-request hooks, the session cookie) costs on its own, so
every scenario is reported as a ratio to it.
"""
from __future__ import annotations

import os

from flask import Flask

from app import create_app
from bench.server import BASELINE_PATH
from orders.web.guards import public


def register_baseline(app: Flask) -> None:
    """GET /_bench/baseline answers "ok": no database, no templates."""

    @public
    def baseline() -> str:
        """The benchmark's yardstick."""
        return "ok"

    app.add_url_rule(BASELINE_PATH, "bench_baseline", baseline)


def create_bench_app() -> Flask:
    """create_app() from the environment, with the baseline route when benchmarking."""
    application = create_app()
    if os.environ.get("ORDERS_BENCH") == "1":
        register_baseline(application)
    return application


app = create_bench_app()

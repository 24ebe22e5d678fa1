"""GET /healthz (alive), GET /readyz (ready for traffic), GET /metrics (Prometheus, bearer token only).

None of them reads or sets the session: a load balancer's probes leave no cookie and no session row.
"""
from __future__ import annotations

import hmac
from functools import wraps

from flask import Response, abort, current_app, jsonify

from orders import clock
from orders.extensions import db
from orders.web.guards import GUARD_ATTRIBUTE, public
from orders.web.ops import health, metrics
from orders.web.screens.ops import bp


def metrics_token_only(view):
    """Only a request carrying `Authorization: Bearer <METRICS_TOKEN>`; unset token: the route does not exist."""

    @wraps(view)
    def guarded(*args, **kwargs):
        from flask import request

        expected = current_app.config.get("METRICS_TOKEN") or ""
        if not expected:
            abort(404)
        given = request.headers.get("Authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            return Response(
                "A bearer token is required.\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
            )
        return view(*args, **kwargs)

    setattr(guarded, GUARD_ATTRIBUTE, "metrics_token")
    return guarded


@bp.route("/healthz")
@public
def healthz():
    """The process is alive and answering; touches no database (under gunicorn the worker's main thread answers
    first: orders/web/ops/probe_worker.py)."""
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz():
    """Ready for traffic: the database answers in time, migrations are at head, the outbox is not stuck."""
    checks = health.readiness(clock.now())
    db.session.remove()  # nothing to keep; a failed check must not leave a broken transaction behind
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return jsonify(status="unavailable", failing=failing, checks=checks), 503, {"Retry-After": "10"}
    return jsonify(status="ok", checks=checks)


@bp.route("/metrics")
@metrics_token_only
def scrape():
    """Every metric in the Prometheus text format (all gunicorn workers' in multiprocess mode)."""
    body, content_type = metrics.exposition()
    return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})

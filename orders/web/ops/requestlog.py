"""One log line per request (request id, user id, endpoint, status, duration), as text or JSON lines."""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from flask import Flask, g, request

from orders.web.ops import metrics

log = logging.getLogger("orders.request")


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: one JSON object per line, with a request's fields at the top level."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "request", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def use_json_logs() -> None:
    """Every handler of the root logger writes JSON lines."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())


def _user_id() -> int | None:
    """The signed-in user's id, if this request loaded one (never a query of its own)."""
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def register(app: Flask) -> None:
    """Time each request, count it in the metrics and log it."""
    if str(app.config.get("LOG_FORMAT", "")).lower() == "json":
        use_json_logs()

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        metrics.observe_request(request.endpoint, request.method, response.status_code, seconds)
        if request.endpoint != "static":  # the fingerprinted files would drown the log
            fields = {
                "request_id": g.get("request_id"), "user_id": _user_id(), "method": request.method,
                "endpoint": request.endpoint, "path": request.path[:200], "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            }
            log.info(
                "%s %s %s %s user=%s %.1f ms id=%s", fields["method"], fields["path"], fields["status"], fields["endpoint"],
                fields["user_id"] if fields["user_id"] is not None else "-", fields["duration_ms"], fields["request_id"],
                extra={"request": fields},
            )
        return response

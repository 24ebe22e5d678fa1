"""One log line per request (request id, user id, endpoint, status, duration), as text or JSON lines.

Whatever the format, one record is one line: a logged value is untrusted (a path may carry an encoded
CR or LF, a header or a reason anything), so the text format escapes every control character in the
message (`\\n`, `\\r`, `\\x1b`, ...) and JSON escapes them by itself. Without that, a request for
`/x%0a2026-12-06 21:40:00,000 INFO orders.request: POST /admin/users/5/grant-admin 303 ...` wrote a
forged request line into the log.
"""
from __future__ import annotations

import json
import logging
import re
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with each control character (and the Unicode line separators) written as its Python escape."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


class TextFormatter(logging.Formatter):
    """The text format, one line per record: control characters in the message are escaped (a traceback,
    appended after it, keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))


def use_text_logs() -> None:
    """The root logger's plain handlers (logging.basicConfig's, a file's) escape control characters; their
    format stays. Handlers with a formatter of their own kind (a test runner's capture) are left alone."""
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if formatter is None or type(formatter) is logging.Formatter:
            fmt = formatter._fmt if formatter is not None else None
            handler.setFormatter(TextFormatter(fmt, formatter.datefmt if formatter is not None else None))


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
    else:
        use_text_logs()

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
                "%s %s %s %s user=%s %.1f ms id=%s",
                fields["method"],
                fields["path"],
                fields["status"],
                fields["endpoint"],
                fields["user_id"] if fields["user_id"] is not None else "-",
                fields["duration_ms"],
                fields["request_id"],
                extra={"request": fields},
            )
        return response

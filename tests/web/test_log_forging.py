"""Issue 38 item 4: no logged value can forge a log line (orders/web/ops/requestlog.py).

With the default text format, a path carrying an encoded LF wrote a second, forged request line (a
Program Administrator granting admin rights). Each record must stay one line in both formats, whatever
the path, a header or a reason holds.
"""
from __future__ import annotations

import io
import json
import logging

import pytest

from app import create_app

FORGED = (
    "2031-01-01 21:40:00,000 INFO orders.request: POST /admin/users/5/grant-admin 303 admin.users user=1 2.0 ms id=x"
)
PATH = "/x%0a" + FORGED.replace(" ", "%20") + "%0d%1b[2J%e2%80%a8"


@pytest.fixture
def captured(app):
    """A plain handler on the root logger, as logging.basicConfig leaves one, then an app built with it in place."""

    def build(log_format: str):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        application = create_app(
            {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "LOG_FORMAT": log_format}
        )
        handlers.append(handler)
        return application, stream

    handlers: list[logging.Handler] = []
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # a migration run earlier in this process (alembic's fileConfig) leaves it at WARNING
    yield build
    root.setLevel(level)
    for handler in handlers:
        root.removeHandler(handler)


def test_an_encoded_line_break_in_the_path_stays_inside_its_text_log_line(captured):
    application, stream = captured("text")
    assert application.test_client().get(PATH).status_code == 404
    lines = stream.getvalue().splitlines()
    requests = [line for line in lines if " orders.request: " in line]
    assert len(requests) == 1, lines  # no second, forged request line
    assert not any(line.startswith("2031-01-01") for line in lines), lines
    assert "/x\\n2031-01-01 21:40:00,000 INFO orders.request: POST /admin/users/5/grant-admin" in requests[0]
    assert "\\r\\x1b[2J\\u2028" in requests[0] and "\x1b" not in stream.getvalue()


def test_any_logged_value_is_escaped_and_a_traceback_keeps_its_lines(captured):
    _, stream = captured("text")
    log = logging.getLogger("orders.test")
    log.warning("Refused a reason: %s", "ok\r\nFAKE 2031-01-01 INFO orders.request: forged")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("Unhandled %s", "value\nwith a break")
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("Refused a reason: ok\\r\\nFAKE 2031-01-01 INFO orders.request: forged")
    assert lines[1].endswith("Unhandled value\\nwith a break") and lines[2] == "Traceback (most recent call last):"


def test_json_lines_stay_one_object_per_line(captured):
    application, stream = captured("json")
    application.test_client().get(PATH)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    (request,) = [entry for entry in entries if entry["logger"] == "orders.request"]
    assert request["path"].startswith("/x\n2031-01-01")

"""Issue 28, what an operator needs: /healthz, /readyz, /metrics and one log line per request."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from app import create_app
from orders import clock
from orders.domain.models import EmailStatus, OutboundEmail
from orders.extensions import db
from orders.web.ops.health import migration_heads

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def at_head(app):
    """The test schema (made by create_all) stamped as migrated to the code's head."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            for head in migration_heads():
                connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    yield
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE alembic_version")


def add_email(app, *, due_minutes_ago: float, status=EmailStatus.PENDING):
    now = clock.utcnow()
    with app.app_context():
        db.session.execute(
            insert(OutboundEmail).values(
                kind="test",
                recipient="someone@demo.edu",
                subject="s",
                body_text="b",
                body_html="b",
                status=status,
                attempts=0,
                created_at=now - timedelta(minutes=due_minutes_ago + 5),
                next_attempt_at=now - timedelta(minutes=due_minutes_ago),
            )
        )
        db.session.commit()


def no_cookie(response):
    assert "Set-Cookie" not in response.headers, response.headers.get("Set-Cookie")


def test_healthz_answers_without_a_database():
    unreachable = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://orders:orders@127.0.0.1:1/none"})
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    no_cookie(response)


def test_readyz_is_ready_when_the_database_answers_at_head_and_mail_moves(app, client, at_head):
    add_email(app, due_minutes_ago=1)  # due a minute ago: the worker is about to send it
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "outbox": "ok"}}
    no_cookie(response)


def test_readyz_names_a_schema_behind_the_migrations(app, client):
    response = client.get("/readyz")  # create_all, never migrated: no alembic_version
    assert response.status_code == 503
    assert response.json["failing"] == ["migrations"] and "db upgrade" in response.json["checks"]["migrations"]
    no_cookie(response)


def test_readyz_names_a_stuck_outbox(app, client, at_head, monkeypatch):
    monkeypatch.setitem(app.config, "READY_OUTBOX_MAX_OVERDUE_SECONDS", 600)
    add_email(app, due_minutes_ago=11)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["failing"] == ["outbox"]
    assert "mail worker" in response.json["checks"]["outbox"]


def test_readyz_ignores_mail_that_is_backing_off(app, client, at_head, monkeypatch):
    """An SMTP outage is not a stuck worker: rows wait for their next attempt, which is not due yet."""
    add_email(app, due_minutes_ago=-30)
    assert client.get("/readyz").status_code == 200


def test_readyz_names_an_unreachable_database():
    unreachable = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://orders:orders@127.0.0.1:1/none"})
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["failing"] == ["database"]
    assert response.json["checks"]["database"].startswith("unreachable")


def test_probes_need_no_csrf_and_do_not_start_a_session(app, client, demo_data, csrf_on):
    for url in ("/healthz", "/readyz"):
        response = client.get(url)
        no_cookie(response)
        assert response.status_code in (200, 503)
    assert client.get_cookie("session") is None


def test_metrics_do_not_exist_without_a_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_bearer_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def metric(body: str, name: str, labels: str = "") -> float:
    """The value of one sample in the text format."""
    prefix = f"{name}{{{labels}}} " if labels else f"{name} "
    for line in body.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    raise AssertionError(f"no sample {prefix!r}")


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    no_cookie(response)
    return response.get_data(as_text=True)


def test_metrics_count_requests_latency_outbox_and_throttles(app, client, demo_data, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setattr(
        "orders.web.screens.auth.views.check_password_hash", lambda stored, given: given == "orders-demo"
    )
    before = scrape(client)
    healthz = 'endpoint="ops.healthz",method="GET",status="200"'
    start = metric(before, "orders_http_requests_total", healthz) if healthz in before else 0.0
    throttled = metric(before, "orders_sign_in_throttled_total")
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page")
    for _ in range(7):  # five failures lock the account; the next attempts are refused (429)
        client.post("/sign-in", data={"email": "ada@demo.edu", "password": "wrong"})
    add_email(app, due_minutes_ago=1)
    add_email(app, due_minutes_ago=1, status=EmailStatus.FAILED)
    body = scrape(client)
    assert metric(body, "orders_http_requests_total", healthz) == start + 3
    assert metric(body, "orders_http_requests_total", 'endpoint="unmatched",method="GET",status="404"') >= 1
    assert metric(body, "orders_http_request_duration_seconds_count", 'endpoint="ops.healthz"') >= 3
    assert metric(body, "orders_sign_in_throttled_total") >= throttled + 2
    assert metric(body, "orders_outbox_pending") == 1 and metric(body, "orders_outbox_failed") == 1
    assert 300 <= metric(body, "orders_outbox_oldest_pending_age_seconds") < 3600
    assert metric(body, "orders_sis_imports_total") == 0
    assert "# TYPE orders_feed_runs_total counter" in body


def test_one_log_line_per_request_with_id_user_endpoint_status_and_duration(app, login_as, caplog):
    client = login_as("ada")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="orders.request"):
        response = client.get("/")
    (record,) = [r for r in caplog.records if r.name == "orders.request"]
    fields = record.request
    assert fields["request_id"] == response.headers["X-Request-ID"] and len(fields["request_id"]) == 32
    assert fields["endpoint"] == "courses.index" and fields["status"] == 200 and fields["duration_ms"] >= 0
    assert isinstance(fields["user_id"], int)
    assert response.headers["X-Request-ID"] in record.getMessage()


def test_json_log_lines(app, login_as, caplog):
    from orders.web.ops.requestlog import JsonFormatter

    client = login_as("ada")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="orders.request"):
        client.get("/healthz")
    (record,) = [r for r in caplog.records if r.name == "orders.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["endpoint"] == "ops.healthz" and line["status"] == 200 and line["level"] == "INFO"
    assert set(line) >= {"time", "message", "request_id", "user_id", "method", "path", "duration_ms"}


def test_x_request_id_is_accepted_only_from_a_trusted_proxy(app, client, monkeypatch):
    sent = {"X-Request-ID": "from-the-proxy-42"}
    assert client.get("/healthz", headers=sent).headers["X-Request-ID"] != "from-the-proxy-42"
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", "127.0.0.1")
    assert client.get("/healthz", headers=sent).headers["X-Request-ID"] == "from-the-proxy-42"
    assert (
        client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"] != "bad id <script>"
    )


def test_order_events_carry_the_request_id(app, login_as):
    from sqlalchemy import select

    from orders.domain.models import EventKind, OrderEvent

    client = login_as("ada")
    response = client.post("/orders/1001/cancel", data={"version": "1"})
    with app.app_context():
        event = db.session.scalars(select(OrderEvent).where(OrderEvent.kind == EventKind.CANCELED)).one()
        assert event.request_id == response.headers["X-Request-ID"]

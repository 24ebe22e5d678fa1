"""Production hardening (docs/spec.md §7): the development key, security headers, input limits, the back link."""
from __future__ import annotations

import pytest

from app import create_app
from orders.config import DEVELOPMENT_KEY, Config, DevelopmentConfig, config_from_environment
from orders.web.parsing import parse_id, parse_page, parse_version
from tests.helpers import text_of


@pytest.mark.parametrize(
    "env,expected",
    [
        ({"FLASK_DEBUG": "1"}, Config),
        ({"FLASK_DEBUG": "1", "ORDERS_ENV": "production"}, Config),
        ({}, Config),
        ({"ORDERS_ENV": "staging"}, Config),
        ({"ORDERS_ENV": "development"}, DevelopmentConfig),
    ],
)
def test_only_orders_env_development_selects_development(monkeypatch, env, expected):
    for name in ("FLASK_DEBUG", "ORDERS_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config_from_environment() is expected


def test_flask_debug_alone_never_starts_with_the_development_key(monkeypatch):
    monkeypatch.delenv("ORDERS_ENV", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setattr(Config, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app()


def test_the_development_key_is_refused_outside_development(monkeypatch):
    monkeypatch.setattr(Config, "SECRET_KEY", DEVELOPMENT_KEY)
    monkeypatch.setattr(Config, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    with pytest.raises(RuntimeError, match="development key"):
        create_app(Config)


def test_the_development_key_answers_only_loopback(monkeypatch):
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY", DEVELOPMENT_KEY)
    monkeypatch.setattr(DevelopmentConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    client = create_app(DevelopmentConfig).test_client()
    remote = client.get("/sign-in", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert remote.status_code == 403 and "development key" in text_of(remote)
    # /healthz: the empty in-memory database has no institution, which the sign-in page reads (its lookup link)
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 403


def test_production_sends_hsts_and_a_strict_csp(monkeypatch):
    monkeypatch.setattr(Config, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(Config, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    response = create_app(Config).test_client().get("/sign-in", base_url="https://orders.example.edu")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csp = response.headers["Content-Security-Policy"]
    assert "form-action 'self'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "Server" not in response.headers


def test_development_sends_no_hsts(client, demo_data):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


@pytest.mark.parametrize(
    "url",
    ["/orders/2147483648", "/orders/9223372036854775808", "/orders/" + "9" * 5000, "/orders/%C2%B2", "/orders/%D9%A1"],
)
def test_ids_past_int4_or_not_ascii_are_404(login_as, url):
    assert login_as("ada").get(url).status_code == 404


def test_largest_int4_id_is_a_plain_404(login_as):
    response = login_as("katherine").get("/orders/2147483647")
    assert response.status_code == 404 and "no order #2147483647" in text_of(response)


@pytest.mark.parametrize("where", ["query", "form", "email"])
def test_nul_bytes_are_a_400(client, demo_data, where):
    if where == "query":
        response = client.get("/sign-in?next=/%00")
    elif where == "form":
        response = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "a\x00b"})
    else:
        response = client.post("/sign-in", data={"email": "ada\x00@demo.edu", "password": "x"})
    assert response.status_code == 400 and "NUL" in text_of(response)


def test_an_oversized_body_gets_the_friendly_413_page(login_as):
    response = login_as("ada").post("/orders/1001/cancel", data={"version": "1", "pad": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than this site accepts" in text_of(response)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("1", 1),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("0", None),
        ("²", None),
        ("١", None),
        ("9" * 5000, None),
        (" 1", None),
        ("-1", None),
        ("", None),
        (None, None),
        ("00012", 12),
    ],
)
def test_parse_id_accepts_only_short_ascii_digits(value, expected):
    assert parse_id(value) == expected


def test_parse_page_and_version():
    assert parse_page("3") == 3 and parse_page("²") == 1 and parse_page("100001") == 1 and parse_page(None) == 1
    assert parse_version("0") == 0 and parse_version("²") is None


def test_courses_filters_ignore_odd_numbers(login_as):
    client = login_as("katherine")
    for query in ("page=²", "page=" + "9" * 5000, "instructor=" + str(2**63), "instructor=²", "page=2147483648"):
        assert client.get(f"/?{query}").status_code == 200, query


def test_the_back_link_names_only_instructors_the_user_may_order_for(app, login_as):
    from orders.domain.models import User
    from orders.extensions import db

    with app.app_context():
        ids = {u.email.split("@")[0]: u.id for u in db.session.query(User)}
    client = login_as("ada")
    # Ada (an instructor, not a coordinator) asks for order #1001 with a back link naming Katherine.
    page = text_of(client.get(f"/orders/1001?back=instructor%3D{ids['katherine']}"))
    assert "Katherine" not in page and "Back to courses" in page
    page = text_of(client.get(f"/orders/1001?back=instructor%3D{ids['ada']}"))
    assert "Back to Ada Lovelace's courses" in page
    client.post("/sign-out")
    grace = login_as("grace")  # coordinator for CS: Alan teaches CS, Emmy teaches only MATH
    assert "Back to Alan Turing's courses" in text_of(grace.get(f"/orders/1002?back=instructor%3D{ids['alan']}"))
    assert "Emmy" not in text_of(grace.get(f"/orders/1002?back=instructor%3D{ids['emmy']}"))
    assert grace.get(f"/orders/1002?back=instructor%3D{'9' * 5000}").status_code == 200

"""Errors never show internals; cookies and headers are set as docs/spec.md §7 asks."""
from __future__ import annotations

import pytest

from app import create_app
from orders.config import Config
from tests.helpers import text_of


def test_unexpected_error_is_a_calm_500(app, login_as, monkeypatch):
    client = login_as("ada")

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("orders.web.screens.orders.views.order_events", explode)
    response = client.get("/orders/1001")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in text_of(response)
    assert "secret internal detail" not in body and "Traceback" not in body


def test_unknown_page_is_a_friendly_404(client, demo_data):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address." in text_of(response)


def test_session_cookie_flags(client, demo_data):
    response = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_requires_a_secret_and_secure_cookies(monkeypatch):
    monkeypatch.setattr(Config, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(Config)
    monkeypatch.setattr(Config, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(Config, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    assert create_app(Config).config["SESSION_COOKIE_SECURE"] is True


def test_security_headers(client, demo_data):
    response = client.get("/sign-in")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Request-ID"]


def test_html_and_assets_are_gzipped_and_assets_cached_for_a_year(client, demo_data):
    import gzip
    import re

    page = client.get("/sign-in", headers={"Accept-Encoding": "gzip, br"})
    assert page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.data).decode()
    assert "<h1>Sign in</h1>" in html and "Accept-Encoding" in page.headers["Vary"]
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', html)
    assert len(assets) == 3  # stylesheet, htmx, our enhancement script
    for url in assets:
        asset = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert asset.status_code == 200
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert asset.headers.get("Content-Encoding") == "gzip" or len(asset.data) < 512
        body = gzip.decompress(asset.data) if asset.headers.get("Content-Encoding") else asset.data
        plain = client.get(url)  # a client without gzip gets the same bytes uncompressed
        assert "Content-Encoding" not in plain.headers and plain.data == body

"""Production reached over plain HTTP (issue 37, item 2): the session cookie is Secure there, so the browser
drops it and signing in used to answer "Your session ended… perhaps in another tab". Now the sign-in page and
the refused POST say what is wrong: the site must be reached over HTTPS (README, "Production").

The browser is the test client without a cookie jar's help: a POST carries no cookie, as a browser that
dropped the Secure cookie sends none. Behind a TLS proxy (X-Forwarded-Proto: https, PROXY_FIX_X_PROTO=1)
nothing of this shows and signing in works.
"""
from __future__ import annotations

import re

import pytest

from app import create_app
from tests.helpers import text_of

HTTPS_NEEDED = "This site must be reached over HTTPS"


@pytest.fixture
def production_cookies(app):
    """The cookie flags and CSRF as in production (ORDERS_ENV unset), on the suite's app."""
    saved = {key: app.config[key] for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "WTF_CSRF_ENABLED")}
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, WTF_CSRF_ENABLED=True)
    yield app
    app.config.update(saved)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_over_plain_http_the_sign_in_page_warns_and_the_post_says_https(production_cookies, demo_data):
    browser = production_cookies.test_client()
    page = browser.get("/sign-in")
    assert page.status_code == 200
    assert HTTPS_NEEDED in text_of(page) and "README" in text_of(page)
    token = csrf_token(page.get_data(as_text=True))
    browser.delete_cookie("session")  # what the browser does with a Secure cookie it got over http
    response = browser.post("/sign-in", data={"csrf_token": token, "email": "ada@demo.edu", "password": "orders-demo"})
    assert response.status_code == 400
    text = text_of(response)
    assert HTTPS_NEEDED in text and "https://localhost/sign-in" in text and "“Production”" in text
    assert "Your session ended" not in text and "another tab" not in text


def test_with_csrf_off_a_plain_http_sign_in_is_refused_before_the_password(production_cookies, demo_data):
    production_cookies.config["WTF_CSRF_ENABLED"] = False
    response = production_cookies.test_client().post(
        "/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"}
    )
    assert response.status_code == 400 and HTTPS_NEEDED in text_of(response)
    assert "Set-Cookie" not in response.headers  # no session started that the browser would drop


def test_over_https_nothing_warns(production_cookies, demo_data):
    browser = production_cookies.test_client()
    page = browser.get("/sign-in", base_url="https://localhost")
    assert HTTPS_NEEDED not in text_of(page)
    response = browser.post(
        "/sign-in",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/sign-in"},
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "ada@demo.edu",
            "password": "orders-demo",
        },
    )
    assert response.status_code == 303


def test_behind_a_tls_proxy_with_proxy_fix_nothing_warns(app, demo_data):
    """The proxy speaks plain HTTP to the app and says X-Forwarded-Proto: https (the sign-in page reads the
    institution's publishing flag, so the app is the suite's, on its database)."""
    behind = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PROXY_FIX_X_PROTO": 1,
            "SESSION_COOKIE_SECURE": True,
            "WTF_CSRF_ENABLED": True,
        }
    )
    proxied = {"X-Forwarded-Proto": "https"}
    browser = behind.test_client()
    page = browser.get("/sign-in", headers=proxied)
    assert page.status_code == 200 and HTTPS_NEEDED not in text_of(page)
    plain = behind.test_client().get("/sign-in")  # the same app reached around the proxy
    assert HTTPS_NEEDED in text_of(plain)

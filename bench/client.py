"""A tiny cookie-keeping HTTP client (http.client) for signing in and scraping CSRF tokens."""
from __future__ import annotations

import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode

USER_AGENT = "orders-bench"  # Flask-Login's strong session protection ties the session to it
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """One signed-in user against 127.0.0.1:port; keeps the session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        """Send one request; returns (status, headers, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.headers, data

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def csrf_token(self, path: str) -> str:
        """The CSRF token from the form on this page (it is valid for the whole session)."""
        status, _, body = self.request("GET", path)
        match = _CSRF.search(body.decode())
        if status != 200 or not match:
            raise RuntimeError(f"no CSRF token on {path} (HTTP {status})")
        return match.group(1) or match.group(2)

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/sign-in")
        status, _, body = self.request(
            "POST", "/sign-in", form={"csrf_token": token, "email": email, "password": password}
        )
        if status != 303:
            raise RuntimeError(f"sign-in as {email} failed: HTTP {status} {body[:200]!r}")

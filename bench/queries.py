"""SQL statements per request, counted in-process with the Flask test client against the bench database."""
from __future__ import annotations

import re

from devtools.sqlcount import StatementCounter

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BASE_URL = "https://localhost"  # production cookies are Secure


def _client(app, email: str, password: str):
    client = app.test_client()
    page = client.get("/sign-in", base_url=BASE_URL).get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    response = client.post(
        "/sign-in",
        data={"csrf_token": token, "email": email, "password": password},
        base_url=BASE_URL,
        headers={"Referer": f"{BASE_URL}/sign-in"},
    )
    assert response.status_code == 303, (email, response.status_code)
    return client


def count_queries(plan: dict, password: str) -> dict[str, dict]:
    """{scenario: {"queries": max over the sample requests, "per_request": [...], "statements": first request's}}."""
    from app import create_app
    from orders.extensions import db

    app = create_app()
    results: dict[str, dict] = {}
    with app.app_context():
        engine = db.engine
    clients: dict[str, object] = {}

    def measure(name: str, email: str, requests: list[tuple[str, str, dict]]):
        if email not in clients:
            clients[email] = _client(app, email, password)
        client = clients[email]
        counts, first = [], None
        for method, path, headers in requests:
            data = None
            if method == "POST":
                # The confirm page first (its token), exactly like a user; only the POST is counted.
                page = client.get(path, base_url=BASE_URL).get_data(as_text=True)
                data = {"csrf_token": _CSRF.search(page).group(1), "version": "1"}
                headers = {**headers, "Referer": f"{BASE_URL}{path}"}
            with StatementCounter(engine) as counter:
                response = client.open(path, method=method, data=data, headers=headers, base_url=BASE_URL)
            assert response.status_code in (200, 303), (name, path, response.status_code)
            counts.append(len(counter.statements))
            first = first or counter.statements
        results[name] = {
            "queries": max(counts),
            "per_request": counts,
            "statements": [s.split("\n")[0][:160] for s in first],
        }

    for name, (email, requests) in plan.items():
        measure(name, email, requests)
    with app.app_context():
        db.engine.dispose()
    return results

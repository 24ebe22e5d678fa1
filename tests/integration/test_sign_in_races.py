"""Sign-in under load: parallel wrong passwords are checked at most five times; odd characters in next go home."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from devtools import demo
from orders import clock
from orders.extensions import db
from tests.helpers import require_postgres
from tests.integration.test_order_races import run_together


@pytest.mark.postgres
def test_parallel_wrong_passwords_check_at_most_five(app, demo_data, monkeypatch):
    """Twenty wrong passwords for one account from one address at once: five real checks, the rest 429."""
    require_postgres()
    from orders.web.screens.auth import views

    checks, guard = [], threading.Lock()
    real_check = views.check_password_hash

    def counted(stored, given):
        with guard:
            checks.append(given)
        return real_check(stored, given)

    monkeypatch.setattr(views, "check_password_hash", counted)
    clients = [app.test_client() for _ in range(20)]
    responses = run_together(20, lambda i: clients[i].post(
        "/sign-in", data={"email": "ada@demo.edu", "password": f"guess-{i}"}, environ_base={"REMOTE_ADDR": "10.7.7.7"}
    ))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert len(checks) <= 5
    statuses = Counter(r.status_code for r in responses)
    assert statuses[401] == len(checks) and statuses[429] == 20 - len(checks), statuses
    with app.app_context():
        from orders.domain.accounts import throttle

        attempt = throttle.Attempt.of("ada@demo.edu", "10.7.7.7")
        assert throttle.locked_until(attempt, clock.utcnow()) is not None
        db.session.remove()


@pytest.mark.parametrize("crlf", ["/history\r\nX-Injected: 1", "/history\n", "/\tx", "/history\x7f"])
def test_sign_in_with_control_characters_in_next_goes_home(client, demo_data, crlf):
    """A correct password and a `next` holding CR/LF: a 303 home, never a 500 from a split header."""
    response = client.post(
        "/sign-in", query_string={"next": crlf}, data={"email": "ada@demo.edu", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    again = client.get("/sign-in", query_string={"next": crlf})  # signed in already: the same rule
    assert again.status_code == 303 and again.headers["Location"] == "/"
    assert client.get("/login", query_string={"next": crlf}).headers["Location"] == "/sign-in"

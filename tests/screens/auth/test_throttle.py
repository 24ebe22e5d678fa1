"""Failed local sign-ins are throttled per account, per client address and per pair (docs/spec.md §6a)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orders import clock
from orders.domain.accounts import throttle
from orders.extensions import db
from tests.helpers import text_of


def move_clock(monkeypatch, delta: timedelta) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: datetime.now(timezone.utc) + delta)


def attempt(client, email="ada@demo.edu", password="wrong", address="10.0.0.1"):
    return client.post("/sign-in", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def fast_hash(monkeypatch):
    """Bulk tests check no real passwords: skip the deliberately slow hash."""
    monkeypatch.setattr(
        "orders.web.screens.auth.views.check_password_hash", lambda stored, given: given == "orders-demo"
    )


def test_five_failures_lock_the_account_from_that_address(client, demo_data):
    for _ in range(5):
        assert attempt(client).status_code == 401
    locked = attempt(client, password="orders-demo")  # even the right password waits
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    message = text_of(locked)
    assert "Too many failed sign-in attempts. Try again at" in message and "(in 15 minutes)" in message
    # The same account from another address, and another account from this address, still work.
    assert attempt(client, password="orders-demo", address="10.0.0.2").status_code == 303
    assert attempt(app_client(client), email="alan@demo.edu", password="orders-demo").status_code == 303


def app_client(client):
    return client.application.test_client()


def test_the_lock_lifts_after_fifteen_minutes(client, demo_data, monkeypatch):
    for _ in range(5):
        attempt(client)
    move_clock(monkeypatch, timedelta(minutes=14))
    assert attempt(client, password="orders-demo").status_code == 429
    move_clock(monkeypatch, timedelta(minutes=15, seconds=1))
    assert attempt(client, password="orders-demo").status_code == 303


def test_failures_older_than_the_window_do_not_count(client, demo_data, monkeypatch):
    for _ in range(4):
        attempt(client)
    move_clock(monkeypatch, timedelta(minutes=16))
    for _ in range(4):
        assert attempt(client).status_code == 401
    assert attempt(client, password="orders-demo").status_code == 303


def test_a_successful_sign_in_clears_the_accounts_count(client, demo_data):
    for _ in range(4):
        attempt(client)
    assert attempt(client, password="orders-demo").status_code == 303
    fresh = app_client(client)
    for _ in range(4):
        assert attempt(fresh).status_code == 401  # counting starts again from zero
    assert attempt(fresh, password="orders-demo").status_code == 303


def test_twenty_failures_from_many_addresses_lock_the_account(client, demo_data, fast_hash):
    for i in range(20):
        assert attempt(client, address=f"10.1.0.{i}").status_code == 401
    assert attempt(client, password="orders-demo", address="10.2.0.1").status_code == 429
    assert attempt(client, email="alan@demo.edu", password="orders-demo", address="10.2.0.1").status_code == 303


def test_fifty_failures_from_one_address_lock_the_address(client, demo_data, fast_hash):
    for i in range(50):
        assert attempt(client, email=f"guess{i}@demo.edu").status_code == 401
    assert attempt(client, email="alan@demo.edu", password="orders-demo").status_code == 429
    assert attempt(client, email="alan@demo.edu", password="orders-demo", address="10.0.0.9").status_code == 303


def test_unknown_emails_are_throttled_like_real_ones(client, demo_data):
    """The answer never reveals whether an account exists."""
    answers = [attempt(client, email="nobody@demo.edu").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_the_check_is_one_query_and_no_hash(client, demo_data, count_queries, monkeypatch):
    for _ in range(5):
        attempt(client)
    monkeypatch.setattr(
        "orders.web.screens.auth.views.check_password_hash", lambda *a: pytest.fail("a locked attempt ran the hash")
    )
    with count_queries() as counter:
        assert attempt(client).status_code == 429
    lock_queries = [s for s in counter.statements if "sign_in_lock" in s]
    assert len(lock_queries) == 1
    # The message's local time reads the institution (one more query); nothing else is touched.
    assert counter.count <= 2


def test_concurrent_lockers_both_succeed(app_ctx, demo_data):
    """Two workers reaching a limit at once: insert-or-extend never raises."""
    now = datetime.now(timezone.utc)
    attempt_ = throttle.Attempt.of("x@demo.edu", "10.9.9.9")
    throttle._lock(attempt_.pair_scope, now + timedelta(minutes=15))
    throttle._lock(attempt_.pair_scope, now + timedelta(minutes=16))
    db.session.commit()
    assert throttle.locked_until(attempt_, now) == now + timedelta(minutes=16)

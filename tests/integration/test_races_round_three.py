"""Races from the third reliability probe (issue 28): each runs the racing requests at one instant.

Tests without require_postgres run on whichever database the suite uses (SQLite by default), where
they are races too: SQLite has one writer, and a check that reads before it writes can go stale.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from devtools import demo
from orders import clock
from orders.domain.models import User
from orders.extensions import db
from tests.helpers import require_postgres, sign_in
from tests.integration.test_postgres_concurrency import run_together


def _user_id(email: str) -> int:
    return db.session.scalars(select(User.id).where(User.email == email)).one()


@pytest.mark.parametrize("round_", range(4))
def test_two_admins_revoking_each_other_leave_one_admin(app, demo_data, round_):
    """Katherine revokes Grace while Grace revokes Katherine: one wins, the other is the last admin and keeps the flag."""
    katherine_client, grace_client = app.test_client(), app.test_client()
    sign_in(katherine_client, "katherine")
    with app.app_context():
        katherine, grace = _user_id("katherine@demo.edu"), _user_id("grace@demo.edu")
    assert katherine_client.post(f"/admin/users/{grace}/grant-admin").status_code == 303
    sign_in(grace_client, "grace")
    posts = [(katherine_client, f"/admin/users/{grace}/revoke-admin"), (grace_client, f"/admin/users/{katherine}/revoke-admin")]
    responses = run_together(2, lambda i: posts[i][0].post(posts[i][1]))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) in ([303, 303], [303, 403])  # 403: the loser was no admin by then
    with app.app_context():
        admins = db.session.scalar(select(func.count()).select_from(User).where(User.is_program_admin.is_(True), User.active.is_(True)))
        db.session.remove()
    assert admins == 1
    flashes = Counter()
    for (client, _), response in zip(posts, responses):
        with client.session_transaction() as session:
            said = " ".join(message for _, message in session.get("_flashes", []))
        refused = response.status_code == 403 or "must keep the flag" in said
        flashes["refused" if refused else "done" if "no longer a Program Administrator" in said else said] += 1
    assert flashes == {"refused": 1, "done": 1}


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
    response = client.post("/sign-in", query_string={"next": crlf}, data={"email": "ada@demo.edu", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    again = client.get("/sign-in", query_string={"next": crlf})  # signed in already: the same rule
    assert again.status_code == 303 and again.headers["Location"] == "/"
    assert client.get("/login", query_string={"next": crlf}).headers["Location"] == "/sign-in"


def _delta(app, out_dir, now):
    """One `export-feed --delta` run at `now`; the rows written as (order number, is_deleted) pairs, or None."""
    import csv

    from orders.cli.feed import export
    from orders.domain.feed.export import find_term, plan_delta

    with app.app_context():
        result = export(plan_delta(find_term("202710"), now), str(out_dir))
        db.session.remove()
    if result.path is None:
        return None
    with open(result.path, encoding="utf-8") as handle:
        return sorted({(row["order_id"], row["is_deleted"]) for row in csv.DictReader(handle)})


def _wait_for_lock_waiter(app) -> None:
    """Until some session waits for a row lock (bounded; polls, never a fixed sleep)."""
    import time

    from sqlalchemy import text

    deadline = time.monotonic() + 10
    with app.app_context():
        while time.monotonic() < deadline:
            with db.engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
                    return
            time.sleep(0.02)
    pytest.fail("the cancel never waited for the order's row lock")


@pytest.mark.postgres
def test_a_cancel_committed_after_a_delta_is_in_the_next_delta(app, demo_data, tmp_path):
    """The probe's sequence: a lock held on #1001, its cancel waiting, a delta, the lock released, the next delta."""
    require_postgres()
    from datetime import timedelta

    from sqlalchemy import text

    from tests import feed_story as story

    start = clock.utcnow()
    assert _delta(app, tmp_path / "d0", start)  # the term's first delta: every order
    with app.app_context():
        story.touch(story.order(1002), clock.utcnow())  # something for the next delta to carry
        db.session.commit()
        db.session.remove()
        locker = db.engine.connect()
    transaction = locker.begin()
    locker.execute(text("SELECT id FROM course_order WHERE number = 1001 FOR UPDATE"))
    ada = app.test_client()
    sign_in(ada, "ada")
    cancel = threading.Thread(target=lambda: results.append(ada.post("/orders/1001/cancel", data={"version": "1"})))
    results: list = []
    cancel.start()
    try:
        _wait_for_lock_waiter(app)  # the cancel has read its time and waits on the UPDATE
        first = _delta(app, tmp_path / "d1", start + timedelta(days=1))
    finally:
        transaction.rollback()
        locker.close()
        cancel.join(timeout=30)
    assert results and results[0].status_code == 303
    assert first == [("1002", "false")]
    with app.app_context():
        canceled_at = db.session.scalars(select(story.Order.last_changed_at).where(story.Order.number == 1001)).one()
        db.session.remove()
    assert canceled_at < start + timedelta(days=1)  # inside the window the first delta already closed
    assert _delta(app, tmp_path / "d2", start + timedelta(days=2)) == [("1001", "true")]
    assert _delta(app, tmp_path / "d3", start + timedelta(days=3)) is None  # reported once


def _admin_clients(app, count: int) -> list:
    clients = [app.test_client() for _ in range(count)]
    for client in clients:
        sign_in(client, "katherine")
    return clients


@pytest.mark.postgres
def test_two_admins_adding_one_isbn_at_once_get_one_item_and_a_clear_refusal(app, demo_data):
    require_postgres()
    from orders.domain.formats import isbn
    from orders.domain.models import CatalogItem

    code = "979000004343"
    code += isbn.check_digit(code)
    form = {"title": "Twice Posted", "authors": "A. Writer", "isbn": code, "publisher": "Pub", "edition": "1st",
            "delivery": "eText", "student_price": "10"}
    clients = _admin_clients(app, 2)
    responses = run_together(2, lambda i: clients[i].post("/admin/catalog/new", data=form))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [303, 422]
    refused = next(r for r in responses if r.status_code == 422).get_data(as_text=True)
    assert f"ISBN {code} already" in refused
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CatalogItem).where(CatalogItem.isbn13 == code)) == 1
        db.session.remove()


@pytest.mark.postgres
def test_the_same_grant_posted_three_times_at_once_is_one_grant(app, demo_data):
    require_postgres()
    from orders.domain.models import CoordinatorGrant, Term

    with app.app_context():
        alan = _user_id("alan@demo.edu")
        term = db.session.scalars(select(Term.id).where(Term.code == "202710")).one()
        db.session.remove()
    clients = _admin_clients(app, 3)
    form = {"subject": "MATH", "level": "Graduate", "organization": "", "campus": "", "term": str(term)}
    responses = run_together(3, lambda i: clients[i].post(f"/admin/users/{alan}", data=form))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [303, 422, 422]
    assert all("already has this grant (subject MATH, Graduate)" in r.get_data(as_text=True) for r in responses if r.status_code == 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoordinatorGrant).where(CoordinatorGrant.user_id == alan)) == 1
        db.session.remove()


def test_one_grant_per_scope_is_a_database_rule(app_ctx, demo_data):
    """Unset dimensions collide too (NULLs alone never would): the unique index works on both databases."""
    from sqlalchemy.exc import IntegrityError

    from orders.domain.models import CoordinatorGrant

    alan = _user_id("alan@demo.edu")
    db.session.add(CoordinatorGrant(user_id=alan, subject="CS"))
    db.session.flush()
    db.session.add(CoordinatorGrant(user_id=alan, subject="CS"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

"""The order feed's delta and a change committed while it runs: the next delta carries it."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from orders import clock
from orders.extensions import db
from tests.helpers import require_postgres, sign_in


def _delta(app, out_dir, now):
    """One `export-feed --delta` run at `now`; the rows written as (order number, is_deleted) pairs, or None."""
    import csv

    from orders.cli.feed import export
    from orders.domain.feed.export import plan_delta
    from orders.domain.lookups import find_term

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

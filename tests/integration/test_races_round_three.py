"""Races from the third reliability probe (issue 28): each runs the racing requests at one instant.

Tests without require_postgres run on whichever database the suite uses (SQLite by default), where
they are races too: SQLite has one writer, and a check that reads before it writes can go stale.
"""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import User
from tests.helpers import sign_in
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

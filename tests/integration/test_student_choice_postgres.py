"""Races on PostgreSQL: many parallel confirmations of one choice change it once, with one event and one receipt."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from orders.domain.models import ChoiceEvent, ChoiceValue, OutboundEmail, StudentChoice
from orders.extensions import db
from tests.helpers import require_postgres, sign_in
from tests.integration.test_order_races import run_together
from tests.screens.students.test_materials import CALCULUS, ids

pytestmark = pytest.mark.postgres


def _state(app, x: dict):
    with app.app_context():
        choices = list(db.session.scalars(select(StudentChoice).where(
            StudentChoice.user_id == x["student"], StudentChoice.section_id == x["section"],
            StudentChoice.catalog_item_id == x["item"])))
        events = db.session.scalar(select(func.count()).select_from(ChoiceEvent).where(
            ChoiceEvent.user_id == x["student"], ChoiceEvent.catalog_item_id == x["item"]))
        receipts = db.session.scalar(select(func.count()).select_from(OutboundEmail).where(
            OutboundEmail.kind == "choice_receipt", OutboundEmail.recipient == "mary@demo.edu"))
        return [(c.choice, c.version) for c in choices], events, receipts


@pytest.mark.parametrize("first", [True, False], ids=["first choice (insert)", "later choice (update)"])
def test_parallel_posts_change_a_choice_once(app, demo_data, first):
    require_postgres()
    mary = ids(app, "mary@demo.edu", "MATH", "221", "001", CALCULUS)
    clients = []
    for _ in range(12):
        client = app.test_client()
        sign_in(client, "mary")
        clients.append(client)
    version = 0
    if not first:  # opted out once already: the race is on the UPDATE of version 1
        assert clients[0].post(f"/student/materials/{mary['section']}/{mary['item']}/choice",
                               data={"student": mary["student"], "version": 0}).status_code == 303
        version = 1
    url = f"/student/materials/{mary['section']}/{mary['item']}/choice"
    responses = run_together(
        len(clients), lambda i: clients[i].post(url, data={"student": mary["student"], "version": version})
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert all(r.status_code == 303 for r in responses), [r.status_code for r in responses]
    choices, events, receipts = _state(app, mary)
    expected = (ChoiceValue.OPTED_OUT, 1) if first else (ChoiceValue.OPTED_IN, 2)
    assert choices == [expected]
    assert events == (1 if first else 2) and receipts == (1 if first else 2)

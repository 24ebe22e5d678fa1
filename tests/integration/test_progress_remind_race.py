"""Many simultaneous "Remind now" presses on PostgreSQL: each instructor gets one email."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from orders.domain.models import OutboundEmail, ProgressReminder
from orders.extensions import db
from tests.helpers import require_postgres, sign_in
from tests.integration.test_order_races import run_together

pytestmark = pytest.mark.postgres


def test_ten_simultaneous_presses_by_different_people_send_once(app, demo_data):
    require_postgres()
    clients = []
    for i in range(10):
        client = app.test_client()
        sign_in(client, "katherine" if i % 2 else "emmy")  # a PA and the MATH coordinator, both reaching the row
        clients.append(client)
    form = {"term": "202710", "dimension": "subject", "key": "MATH"}
    responses = run_together(10, lambda i: clients[i].post("/progress/remind", data=form))
    assert all(not isinstance(r, Exception) and r.status_code == 303 for r in responses), responses
    with app.app_context():
        recipients = Counter(
            db.session.scalars(select(OutboundEmail.recipient).where(OutboundEmail.kind.like("reminder_%")))
        )
        markers = db.session.query(ProgressReminder).count()
    assert recipients == Counter({"ada@demo.edu": 1, "emmy@demo.edu": 1})
    assert markers == 2

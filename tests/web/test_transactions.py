"""A request that only read commits its transaction; one that wrote without committing rolls back."""
from __future__ import annotations

from sqlalchemy import event, select

from orders.domain.models import Institution
from orders.extensions import db


def test_read_only_request_commits_and_a_forgotten_write_rolls_back(app, demo_data):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listeners = {"commit": lambda conn: seen.append("commit"), "rollback": lambda conn: seen.append("rollback")}
    for name, fn in listeners.items():
        event.listen(engine, name, fn)
    try:
        with app.test_request_context("/"):
            db.session.scalars(select(Institution)).first()
            app.do_teardown_request()
            db.session.remove()
        assert seen[:1] == ["commit"]
        seen.clear()
        with app.test_request_context("/"):
            db.session.scalars(select(Institution)).first().name = "Renamed but never committed"
            db.session.flush()
            app.do_teardown_request()
            db.session.remove()
        assert "commit" not in seen and "rollback" in seen
        with app.app_context():
            assert db.session.scalars(select(Institution)).first().name == "Demo State University"
    finally:
        for name, fn in listeners.items():
            event.remove(engine, name, fn)

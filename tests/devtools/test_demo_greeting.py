"""seed-demo's greeting (what `make run` prints) names every kind of demo account, students too (issue 37, item 11)."""
from __future__ import annotations

import re

from sqlalchemy import select

from app import create_app
from orders.domain.models import User
from orders.domain.rules import is_staff, is_student
from orders.extensions import db


def test_the_greeting_names_staff_and_students_on_every_run(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite3'}"})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    again = runner.invoke(args=["seed-demo", "--if-empty"])  # what every later `make run` does
    assert first.exit_code == 0 and again.exit_code == 0, (first.output, again.output)
    for output in (first.output, again.output):
        named = set(re.findall(r"[\w.]+@demo\.edu", output))
        assert "password orders-demo" in output
        assert {"ada@demo.edu", "katherine@demo.edu", "mary@demo.edu", "sofia@demo.edu", "student01@demo.edu",
                "student40@demo.edu"} <= named, named
        with app.app_context():
            users = {u.email: u for u in db.session.scalars(select(User))}
            assert named <= set(users), named - set(users)
            assert any(is_student(users[e]) for e in named) and any(is_staff(users[e]) for e in named)
            db.session.remove()
    with app.app_context():
        db.engine.dispose()

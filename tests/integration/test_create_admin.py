"""`flask --app app create-admin`: the first Program Administrator of a new deployment (issue 37, item 3),
on an empty database as production has after `db upgrade` and the SIS import."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from orders.domain.models import AdminAuditEntry, Institution, User
from orders.extensions import db
from tests.helpers import text_of

PASSWORD = "a long enough password"


def create_admin(app, *args: str, password: str = PASSWORD, interactive: bool = False):
    """Run the command; the password comes from ORDERS_ADMIN_PASSWORD, or typed twice at the prompt."""
    runner = app.test_cli_runner()
    if interactive:
        return runner.invoke(args=["create-admin", *args], input=f"{password}\n{password}\n")
    return runner.invoke(args=["create-admin", *args], env={"ORDERS_ADMIN_PASSWORD": password})


def state(app) -> tuple:
    with app.app_context():
        return (
            sorted((u.email, u.is_program_admin, u.active) for u in db.session.scalars(select(User))),
            db.session.scalars(select(Institution.name)).all(),
            db.session.scalars(select(AdminAuditEntry.kind).order_by(AdminAuditEntry.id)).all(),
        )


def test_the_first_admin_and_the_institution_then_signing_in(app, client):
    result = create_admin(
        app,
        "--email",
        "Ops@Example.edu",
        "--name",
        "Olive  Operator",
        "--institution",
        "Example University",
        "--timezone",
        "America/Chicago",
        interactive=True,
    )
    assert result.exit_code == 0, result.output
    assert "Created Olive Operator <ops@example.edu> a Program Administrator" in result.output
    assert PASSWORD not in result.output
    users, institutions, kinds = state(app)
    assert users == [("ops@example.edu", True, True)] and institutions == ["Example University"]
    assert kinds == ["institution.updated", "user.admin_created"]
    with app.app_context():
        inst = db.session.scalars(select(Institution)).one()
        assert (inst.timezone, inst.contact_email) == ("America/Chicago", "ops@example.edu")
        entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.kind == "user.admin_created")).one()
        assert entry.actor_id is None and entry.target == "Olive Operator (ops@example.edu)"
        assert PASSWORD not in repr((entry.before, entry.after))
    signed_in = client.post("/sign-in", data={"email": "ops@example.edu", "password": PASSWORD})
    assert signed_in.status_code == 303
    audit = text_of(client.get("/admin/audit"))
    assert "Program Administrator created" in audit and "A command" in audit


def test_an_imported_account_without_a_password_is_made_admin(app, client, demo_data):
    with app.app_context():
        alan = db.session.scalars(select(User).where(User.email == "alan@demo.edu")).one()
        alan.password_hash, alan.active = None, False
        db.session.commit()
    result = create_admin(app, "--email", "alan@demo.edu", "--name", "ignored for an existing account")
    assert result.exit_code == 0, result.output
    assert "Made Alan Turing <alan@demo.edu> a Program Administrator" in result.output
    assert ("alan@demo.edu", True, True) in state(app)[0]
    assert state(app)[2][-1] == "user.admin_granted"
    assert client.post("/sign-in", data={"email": "alan@demo.edu", "password": PASSWORD}).status_code == 303


@pytest.mark.parametrize(
    "args,password,words",
    [
        (["--email", "not-an-email", "--name", "X"], PASSWORD, "is not an email address"),
        (["--email", "ops@example.edu", "--name", "  "], PASSWORD, "Give the person's name"),
        (["--email", "ops@example.edu", "--name", "Olive"], "short", "at least 12 characters"),
        (["--email", "ops@example.edu", "--name", "Olive"], PASSWORD, "give --institution NAME and --timezone ZONE"),
        (
            ["--email", "ops@example.edu", "--name", "Olive", "--institution", "U", "--timezone", "Mars/Olympus"],
            PASSWORD,
            "is not an IANA timezone name",
        ),
    ],
)
def test_refusals_change_nothing(app, args, password, words):
    before = state(app)
    result = create_admin(app, *args, password=password)
    assert result.exit_code == 1 and words in result.output and "Nothing was changed." in result.output
    assert state(app) == before

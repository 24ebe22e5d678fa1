"""flask lti-register and lti-keys: what a Program Administrator runs on the server."""
from __future__ import annotations

from sqlalchemy import select

from orders.domain.models import AdminAuditEntry, LtiConnection, LtiToolKey
from orders.extensions import db

ARGS = ["lti-register", "--issuer", "https://moodle.example.edu", "--client-id", "abc", "--deployment-id", "1",
        "--auth-url", "https://moodle.example.edu/mod/lti/auth.php", "--token-url", "https://moodle.example.edu/mod/lti/token.php",
        "--jwks-url", "https://moodle.example.edu/mod/lti/certs.php"]


def test_lti_register_adds_then_updates_a_connection(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=ARGS + ["--match", "sis_id"])
    assert first.exit_code == 0, first.output
    assert (
        "Registered https://moodle.example.edu (client id abc; deployments 1; people matched by sis_id)" in first.output
    )
    again = runner.invoke(args=ARGS + ["--deployment-id", "2", "--match", "sis_id"])
    assert again.exit_code == 0 and "Updated" in again.output and "deployments 1, 2" in again.output
    with app.app_context():
        connection = db.session.scalars(select(LtiConnection)).one()
        assert connection.deployment_ids == ["1", "2"]
        assert db.session.scalars(select(LtiToolKey)).first() is not None  # the first connection made the tool's key
        kinds = list(db.session.scalars(select(AdminAuditEntry.kind).order_by(AdminAuditEntry.id)))
        assert kinds == ["lti.key_added", "lti.connection_added", "lti.connection_changed"]


def test_lti_register_refuses_bad_input_and_saves_nothing(app):
    result = app.test_cli_runner().invoke(
        args=[a if a != "https://moodle.example.edu/mod/lti/certs.php" else "certs" for a in ARGS]
    )
    assert result.exit_code != 0 and "Key set URL must be" in result.output
    with app.app_context():
        assert db.session.scalars(select(LtiConnection)).first() is None


def test_lti_keys_rotates_and_lists_current_and_previous(app):
    runner = app.test_cli_runner()
    assert "No tool key yet" in runner.invoke(args=["lti-keys"]).output
    first = runner.invoke(args=["lti-keys", "--rotate"])
    second = runner.invoke(args=["lti-keys", "--rotate"])
    assert first.exit_code == 0 and second.exit_code == 0
    listed = runner.invoke(args=["lti-keys"]).output.splitlines()
    assert len(listed) == 2 and "current" in listed[0] and "previous" in listed[1]

"""Back office → LMS connections: a Program Administrator registers, changes and removes platforms, rotates the
tool's keys and makes Dynamic Registration links; every change audited, bad input saves nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from orders.domain.models import AdminAuditEntry, LtiConnection, LtiRegistrationToken, LtiToolKey
from orders.extensions import db
from tests.helpers import text_of

FIELDS = {
    "issuer": "https://moodle.example.edu", "client_id": "abc", "deployment_ids": "1\n2",
    "auth_url": "https://moodle.example.edu/mod/lti/auth.php", "token_url": "https://moodle.example.edu/mod/lti/token.php",
    "jwks_url": "https://moodle.example.edu/mod/lti/certs.php", "match": "sis_id", "lms_url": "",
}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_page_shows_what_to_paste_into_the_lms(login_as):
    client = login_as("katherine")
    text = text_of(client.get("/admin/lms"))
    for url in ("http://localhost/lti/login", "http://localhost/lti/launch", "http://localhost/lti/jwks", "http://localhost/lti/config.json"):
        assert url in text
    assert "No LMS is registered yet" in text


def test_register_change_and_remove_a_connection(app, login_as):
    client = login_as("katherine")
    added = client.post("/admin/lms/new", data=FIELDS)
    assert added.status_code == 303
    with app.app_context():
        connection = db.session.scalars(select(LtiConnection)).one()
        assert connection.deployment_ids == ["1", "2"] and connection.match.value == "sis_id"
        connection_id = connection.id
    assert "https://moodle.example.edu" in text_of(client.get("/admin/lms"))
    form = client.get(f"/admin/lms/{connection_id}")
    assert 'value="https://moodle.example.edu"' in form.get_data(as_text=True)
    changed = client.post(f"/admin/lms/{connection_id}", data={**FIELDS, "deployment_ids": "1", "match": "email"})
    assert changed.status_code == 303
    assert "Remove https://moodle.example.edu?" in text_of(client.get(f"/admin/lms/{connection_id}/remove"))
    assert client.post(f"/admin/lms/{connection_id}/remove").status_code == 303
    assert _count(app, LtiConnection) == 0
    with app.app_context():
        kinds = list(
            db.session.scalars(
                select(AdminAuditEntry.kind).where(AdminAuditEntry.kind.like("lti.%")).order_by(AdminAuditEntry.id)
            )
        )
    assert kinds == ["lti.key_added", "lti.connection_added", "lti.connection_changed", "lti.connection_removed"]
    audit = text_of(client.get("/admin/audit"))
    assert "LMS connection added" in audit and "LMS connection removed" in audit


def test_bad_input_saves_nothing_and_says_why(app, login_as):
    client = login_as("katherine")
    response = client.post("/admin/lms/new", data={**FIELDS, "jwks_url": "ftp://x"})
    assert response.status_code == 422 and "Key set URL must be" in text_of(response)
    missing = client.post("/admin/lms/new", data={**FIELDS, "client_id": ""})
    assert missing.status_code == 422 and "Enter the client id" in text_of(missing)
    assert client.post("/admin/lms/new", data=FIELDS).status_code == 303
    duplicate = client.post("/admin/lms/new", data=FIELDS)
    assert duplicate.status_code == 422 and "already exists" in text_of(duplicate)
    assert _count(app, LtiConnection) == 1
    assert client.get("/admin/lms/99999").status_code == 404


def test_rotate_keys_and_make_a_registration_link(app, login_as):
    client = login_as("katherine")
    assert client.post("/admin/lms/keys/rotate").status_code == 303
    assert client.post("/admin/lms/keys/rotate").status_code == 303
    assert _count(app, LtiToolKey) == 2
    assert "previous" in text_of(client.get("/admin/lms"))
    page = client.post("/admin/lms/registration-link")
    assert page.status_code == 200 and "http://localhost/lti/register?code=" in text_of(page)
    assert _count(app, LtiRegistrationToken) == 1


def test_only_program_administrators(app, login_as):
    client = login_as("ada")
    for url in ("/admin/lms", "/admin/lms/new"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/lms/new", data=FIELDS).status_code == 403
    assert client.post("/admin/lms/keys/rotate").status_code == 403
    assert _count(app, LtiConnection) == 0 and _count(app, LtiToolKey) == 0


def test_every_post_needs_csrf(app, login_as, monkeypatch):
    client = login_as("katherine")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # signed in first; from here on as in production
    for url in ("/admin/lms/new", "/admin/lms/keys/rotate", "/admin/lms/registration-link"):
        assert client.post(url, data=FIELDS).status_code in (303, 400, 422)
    assert _count(app, LtiConnection) == 0 and _count(app, LtiToolKey) == 0 and _count(app, LtiRegistrationToken) == 0

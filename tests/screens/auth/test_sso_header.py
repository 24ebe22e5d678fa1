"""Single sign-on through a trusted proxy header (docs/spec.md §6a)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from app import create_app
from orders.domain.models import User
from orders.extensions import db
from tests.helpers import text_of

HEADER = "X-Remote-User"
PROXY = "10.0.0.5"


@pytest.fixture
def header_mode(app, monkeypatch):
    """AUTH_MODE=both with one trusted proxy (the app reads these settings on every request)."""
    monkeypatch.setitem(app.config, "AUTH_MODE", "both")
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", f"{PROXY}, 192.168.7.0/24")
    monkeypatch.setitem(app.config, "AUTH_HEADER", HEADER)


def via_proxy(client, path, identity, method="GET", address=PROXY, **kwargs):
    return client.open(path, method=method, headers={HEADER: identity}, environ_base={"REMOTE_ADDR": address}, **kwargs)


def set_network_id(app, email, network_id):
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(network_id=network_id))
        db.session.commit()


def test_a_trusted_proxy_signs_the_user_in_by_network_id(app, client, demo_data, header_mode):
    set_network_id(app, "ada@demo.edu", "ALovelace")
    response = via_proxy(client, "/", "ALovelace")
    assert response.status_code == 200
    assert "Signed in as Ada Lovelace" in text_of(response)


def test_network_ids_are_exact(app, client, demo_data, header_mode):
    """`Bob` and `bob` are two identities: neither signs in as the other (issue 28, defect 3)."""
    set_network_id(app, "ada@demo.edu", "Bob")
    set_network_id(app, "alan@demo.edu", "bob")
    assert "Signed in as Alan Turing" in text_of(via_proxy(client, "/", "bob"))
    assert "Signed in as Ada Lovelace" in text_of(via_proxy(client, "/", "Bob"))
    assert via_proxy(app.test_client(), "/", "BOB").status_code == 403  # nobody's network id


def test_by_network_id_an_email_matches_nobody(app, client, demo_data, header_mode):
    """No fallback to the email: one user's network id can never capture another's account, nor the reverse."""
    set_network_id(app, "ada@demo.edu", "ada-old")
    assert via_proxy(client, "/", "ada@demo.edu").status_code == 403
    set_network_id(app, "alan@demo.edu", "ada@demo.edu")  # Alan's network id is Ada's email
    assert "Signed in as Alan Turing" in text_of(via_proxy(client, "/", "ada@demo.edu"))


def test_with_email_matching_the_header_is_an_email_only(app, client, demo_data, header_mode, monkeypatch):
    """AUTH_HEADER_MATCH=email (oauth2-proxy): emails, case-insensitive as they are stored; network ids never."""
    monkeypatch.setitem(app.config, "AUTH_HEADER_MATCH", "email")
    set_network_id(app, "ada@demo.edu", "ada-old")
    set_network_id(app, "alan@demo.edu", "ada@demo.edu")  # would capture Ada's account under a mix
    assert "Signed in as Ada Lovelace" in text_of(via_proxy(client, "/", "Ada@DEMO.edu"))
    set_network_id(app, "grace@demo.edu", "gh")
    assert via_proxy(app.test_client(), "/", "gh").status_code == 403
    response = via_proxy(app.test_client(), "/", "Grace@DEMO.edu", address="192.168.7.40")
    assert response.status_code == 200 and "Signed in as Grace Hopper" in text_of(response)


def test_later_requests_reuse_the_session_without_looking_the_user_up(
    app, client, demo_data, header_mode, count_queries
):
    via_proxy(client, "/", "ada@demo.edu")
    with count_queries() as counter:
        assert via_proxy(client, "/", "ada@demo.edu").status_code == 200
    assert not any("lower(app_user.email)" in s for s in counter.statements)


def test_a_new_identity_ends_the_previous_session(app, client, demo_data, header_mode):
    via_proxy(client, "/", "ada@demo.edu")
    assert "Signed in as Alan Turing" in text_of(via_proxy(client, "/", "alan@demo.edu"))


@pytest.mark.parametrize("identity", ["stranger@demo.edu", "ada@demo.edu"], ids=["unknown", "deactivated"])
def test_unknown_or_deactivated_identity_gets_the_403_page_with_the_contact(
    app, client, demo_data, header_mode, identity
):
    with app.app_context():
        db.session.scalars(
            select(User).where(User.email == "ada@demo.edu")
        ).one().active = False  # as the admin screen does
        db.session.commit()
    response = via_proxy(client, "/", identity)
    assert response.status_code == 403
    page = text_of(response)
    assert "Your account is not set up for ordering" in page
    assert "Program Administrators" in page and "orders-admin@demo.edu" in page  # Institution.contact_email
    assert "Signed in as" not in page


def test_the_header_from_an_untrusted_address_is_refused_and_logged(
    app, client, demo_data, header_mode, caplog, monkeypatch
):
    # Alembic's logging setup (the migration tests) disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger("orders.web.auth.header"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="orders.web.auth.header"):
        response = via_proxy(client, "/", "katherine@demo.edu", address="203.0.113.9")
    assert response.status_code == 403
    assert "did not come through the campus sign-in service" in text_of(response)
    assert "Signed in as" not in text_of(response)
    assert any("203.0.113.9" in record.getMessage() for record in caplog.records)
    assert client.get("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 302  # and no session


def test_a_forwarded_for_header_does_not_make_an_address_trusted(app, client, demo_data, header_mode, monkeypatch):
    """With ProxyFix on, the trust check still looks at the real peer, not the X-Forwarded-For it rewrote."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1))
    response = client.get(
        "/",
        headers={HEADER: "katherine@demo.edu", "X-Forwarded-For": PROXY},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 403


def test_local_mode_ignores_the_header(app, client, demo_data):
    assert app.config["AUTH_MODE"] == "local"
    assert via_proxy(client, "/", "katherine@demo.edu").status_code == 302


def test_header_only_mode_offers_no_password_form(app, client, demo_data, header_mode, monkeypatch):
    monkeypatch.setitem(app.config, "AUTH_MODE", "header")
    page = client.get("/sign-in")
    assert (
        page.status_code == 200
        and "campus single sign-on" in text_of(page)
        and 'type="password"' not in page.get_data(as_text=True)
    )
    refused = client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"})
    assert refused.status_code == 403
    assert client.get("/").status_code == 302


def test_both_mode_keeps_the_password_form(app, client, demo_data, header_mode):
    assert client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo"}).status_code == 303


def test_sign_out_goes_to_the_sso_logout_url(app, client, demo_data, header_mode, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_LOGOUT_URL", "https://idp.demo.edu/Shibboleth.sso/Logout")
    via_proxy(client, "/", "ada@demo.edu")
    response = via_proxy(client, "/sign-out", "ada@demo.edu", method="POST")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://idp.demo.edu/Shibboleth.sso/Logout"
    assert client.get("/").status_code == 302  # the app session is over (no header: no new sign-in)
    # The sign-out form's redirect leaves the site: the CSP's form-action must allow exactly that origin.
    assert "form-action 'self' https://idp.demo.edu;" in response.headers["Content-Security-Policy"]


def test_header_mode_needs_trusted_proxies():
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        create_app({"AUTH_MODE": "header", "TRUSTED_PROXIES": "", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES is not"):
        create_app({"AUTH_MODE": "header", "TRUSTED_PROXIES": "proxy.example", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="AUTH_MODE"):
        create_app({"AUTH_MODE": "saml", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="AUTH_HEADER_MATCH must be network_id or email"):
        create_app(
            {
                "AUTH_MODE": "header",
                "TRUSTED_PROXIES": "10.0.0.5",
                "AUTH_HEADER_MATCH": "both",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )

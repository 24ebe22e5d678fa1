"""Server-side sessions (docs/spec.md §6a): sign-out ends every copy of the cookie, idle and absolute
expiry, deactivation, and a fresh session and CSRF secret at every sign-in."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from orders import clock
from orders.domain.models import User, UserSession
from orders.extensions import db
from orders.web.auth.sessions import end_user_sessions
from tests.helpers import sign_in
from tests.screens.requests.test_content_requests import seeded  # noqa: F401 (a fixture)

# Sign-in itself is under test here: the demo users carry the production scrypt hash.
pytestmark = pytest.mark.real_password_hash


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def copy_of(app, client):
    """A second client carrying the same session cookie, as a thief who copied it would."""
    thief = app.test_client()
    thief.set_cookie("session", session_cookie(client))
    return thief


def move_clock(monkeypatch, delta: timedelta) -> None:
    """From now on the app's clock reads `delta` past the real time (not past the last move)."""
    monkeypatch.setattr(clock, "utcnow", lambda: datetime.now(timezone.utc) + delta)


def sessions_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(UserSession)
            .join(User, User.id == UserSession.user_id)
            .where(User.email == email)
        )


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(app, login_as):
    client = login_as("ada")
    thief = copy_of(app, client)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    response = client.post("/sign-out")
    assert response.status_code == 303
    assert sessions_of(app, "ada@demo.edu") == 0
    stolen = thief.get("/")
    assert stolen.status_code == 302 and stolen.headers["Location"].startswith("/sign-in")
    assert client.get("/").status_code == 302


def test_idle_sessions_expire(app, login_as, monkeypatch):
    client = login_as("ada")
    move_clock(monkeypatch, timedelta(minutes=119))
    assert client.get("/").status_code == 200  # 119 idle minutes: still signed in, and seen again now
    move_clock(monkeypatch, timedelta(minutes=119 + 119))
    assert client.get("/").status_code == 200  # activity moved last_seen_at forward
    move_clock(monkeypatch, timedelta(minutes=119 + 119 + 121))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_idle_limit_is_configurable(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    client = login_as("ada")
    move_clock(monkeypatch, timedelta(minutes=6))
    assert client.get("/").status_code == 302


def test_sessions_end_after_twelve_hours_even_when_active(app, login_as, monkeypatch):
    client = login_as("ada")
    for hours in range(1, 12):
        move_clock(monkeypatch, timedelta(hours=hours))
        assert client.get("/").status_code == 200
    move_clock(monkeypatch, timedelta(hours=12, minutes=1))
    assert client.get("/").status_code == 302


def test_deactivating_a_user_ends_their_sessions_at_once(app, login_as):
    client = login_as("ada")
    other = app.test_client()
    sign_in(other, "ada")
    with app.app_context():
        db.session.execute(update(User).where(User.email == "ada@demo.edu").values(active=False))
        db.session.commit()
    for browser in (client, other):
        assert browser.get("/").status_code == 302
    with app.app_context():  # reactivated: the old sessions do not come back, a new sign-in is needed
        user = db.session.scalars(select(User).where(User.email == "ada@demo.edu")).one()
        user.active = True
        end_user_sessions(user.id)
        db.session.commit()
    assert client.get("/").status_code == 302
    assert sessions_of(app, "ada@demo.edu") == 0


def test_a_forged_or_unknown_session_token_is_signed_out(app, login_as):
    client = login_as("ada")
    with app.app_context():
        db.session.execute(UserSession.__table__.delete())
        db.session.commit()
    assert client.get("/").status_code == 302


def test_sign_in_rotates_the_session_and_the_csrf_secret(app, demo_data):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        first_cookie = session_cookie(client)
        client.post("/sign-in", data={"email": "ada@demo.edu", "password": "orders-demo", "csrf_token": before})
        signed_in_cookie = session_cookie(client)
        assert signed_in_cookie != first_cookie
        # The token from before sign-in no longer passes: the CSRF secret changed.
        assert client.post("/sign-out", data={"csrf_token": before}).status_code == 400
        after = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
        assert client.post("/sign-out", data={"csrf_token": after}).status_code == 303
        assert client.get("/").status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_signing_in_twice_gives_two_independent_sessions(app, demo_data):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "ada")
    sign_in(second, "ada")
    assert sessions_of(app, "ada@demo.edu") == 2
    first.post("/sign-out")
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 200


@pytest.mark.parametrize("minutes,writes", [(0.5, 0), (2, 1)])
def test_last_seen_is_written_at_most_once_a_minute(app, login_as, count_queries, monkeypatch, minutes, writes):
    client = login_as("ada")
    move_clock(monkeypatch, timedelta(minutes=minutes))
    with count_queries() as counter:
        assert client.get("/").status_code == 200
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE USER_SESSION")]
    assert len(updates) == writes


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_a_form_sent_after_signing_out_in_another_tab_says_the_session_ended(app, login_as):
    """Item 7: not the bare "That request could not be handled" page."""
    client = login_as("ada")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        prompt = client.get("/orders/1001/cancel").get_data(as_text=True)
        token = _token(prompt)
        other_tab = client.get("/orders/1001").get_data(as_text=True)
        assert client.post("/sign-out", data={"csrf_token": _token(other_tab)}).status_code in (302, 303)
        response = client.post(
            "/orders/1001/cancel",
            data={"csrf_token": token, "version": "1"},
            headers={"Referer": "http://localhost/orders/1001/cancel"},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "<h1>Your session ended</h1>" in html and 'class="site-header"' in html
        assert 'href="/sign-in?next=/orders/1001/cancel"' in html.replace("%2F", "/")
        assert "could not be handled" not in html
        htmx = client.post(
            "/orders/1001/cancel",
            data={"csrf_token": token, "version": "1"},
            headers={"Referer": "http://localhost/orders/1001", "HX-Request": "true"},
        )
        assert (
            htmx.status_code == 401 and htmx.headers["HX-Redirect"].replace("%2F", "/") == "/sign-in?next=/orders/1001"
        )
        # A forged form from a signed-in user still gets the plain refusal.
        sign_in_page = client.get("/sign-in").get_data(as_text=True)
        client.post(
            "/sign-in", data={"csrf_token": _token(sign_in_page), "email": "ada@demo.edu", "password": "orders-demo"}
        )
        forged = client.post("/orders/1001/cancel", data={"version": "1"})
        assert forged.status_code == 400 and "Your form expired or was not sent from this site" in forged.get_data(
            as_text=True
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

"""Issue 28 defect 11: a short idle limit keeps an active user signed in (last_seen_at refreshes in time)."""
from __future__ import annotations

from datetime import timedelta

from tests.screens.auth.test_sessions import move_clock


def test_a_one_minute_idle_limit_keeps_an_active_user_signed_in(app, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 1)
    client = login_as("ada")
    for seconds in (40, 80, 120, 160):  # a page every 40 s: never a minute idle
        move_clock(monkeypatch, timedelta(seconds=seconds))
        assert client.get("/").status_code == 200, f"signed out after {seconds} s of activity"
    move_clock(monkeypatch, timedelta(seconds=160 + 61))
    response = client.get("/")  # a minute and a second idle: signed out
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_refresh_interval_is_a_quarter_of_the_idle_limit_capped_at_a_minute(app):
    from orders.web.auth.sessions import touch_every

    with app.test_request_context():
        for minutes, expected in ((1, 15), (2, 30), (4, 60), (120, 60)):
            app.config["SESSION_IDLE_MINUTES"] = minutes
            assert touch_every() == timedelta(seconds=expected), minutes
    app.config["SESSION_IDLE_MINUTES"] = 120

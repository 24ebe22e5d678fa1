"""Server-side sessions: the signed cookie carries a random token, a user_session row makes it valid.

Signing out deletes the row, so every copy of the cookie stops working; the row also carries the
idle and absolute lifetimes. The check is part of the one query that loads the signed-in user.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import delete, or_, update

from orders import clock
from orders.domain.models import User, UserSession
from orders.extensions import db
from orders.web.loaders import load_user
from orders.web.parsing import parse_id
from orders.web.transactions import WROTE

TOKEN_KEY = "_sid"
# last_seen_at is written at most this often per session (most pages add no statement for it), and at
# a quarter of the idle limit when that is shorter: a 1-minute limit must not sign out an active user.
TOUCH_EVERY = timedelta(seconds=60)
TOUCH_FRACTION = 4


def token_hash(token: str) -> str:
    """What the table stores: a leaked table gives no usable cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def touch_every() -> timedelta:
    """How stale last_seen_at may get before a request writes it: min(idle limit / 4, 60 s)."""
    return min(idle_limit() / TOUCH_FRACTION, TOUCH_EVERY)


def max_age() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def start_session(user: User, now: datetime, *, via: str) -> None:
    """Sign `user` in: a new session row and a fresh cookie (new token, new CSRF secret). Flushes."""
    end_current_session()
    session.clear()  # drops the old CSRF secret too: Flask-WTF makes a new one on the next form
    token = secrets.token_urlsafe(32)
    db.session.execute(  # housekeeping: this user's sessions that can no longer be used
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.last_seen_at <= now - idle_limit(), UserSession.created_at <= now - max_age()),
        )
    )
    db.session.add(UserSession(id=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now, via=via))
    db.session.flush()
    session[TOKEN_KEY] = token
    login_user(user)


def end_current_session() -> None:
    """Delete the session row this cookie points at (if any). Flushes."""
    token = session.get(TOKEN_KEY)
    if isinstance(token, str) and token:
        db.session.execute(delete(UserSession).where(UserSession.id == token_hash(token)))


def sign_out() -> None:
    """End the session on the server and forget it in the cookie."""
    end_current_session()
    logout_user()
    session.clear()


def end_user_sessions(user_id: int) -> None:
    """End every session of a user (the back office calls this when it deactivates an account). Flushes."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the active user of a live session, in one query (plus, at most once a
    minute, one UPDATE of last_seen_at: see touch_every). Anything else signs the cookie out."""
    token = session.get(TOKEN_KEY)
    number = parse_id(user_id)
    if not isinstance(token, str) or not token or number is None:
        _forget()
        return None
    now = clock.now()
    sid = token_hash(token)
    loaded = load_user(number, session_id=sid, idle_since=now - idle_limit(), started_since=now - max_age())
    if loaded is None:
        _forget()
        return None
    user, last_seen_at = loaded
    if now - last_seen_at >= touch_every():
        _touch(sid, now)
    return user


def _forget() -> None:
    """The cookie names a session that ended: drop its sign-in keys (the browser gets a clean cookie)."""
    for key in ("_user_id", "_fresh", "_id", TOKEN_KEY, "_sso"):
        session.pop(key, None)
    return None


def _touch(sid: str, now: datetime) -> None:
    """Move last_seen_at forward in its own short transaction.

    Only when the request has written nothing yet (the loader normally runs first thing in the
    route guard); otherwise the next request does it, one touch interval of idle time at most being lost.
    """
    current = db.session()
    if current.info.get(WROTE) or current.new or current.dirty or current.deleted:
        return
    current.execute(update(UserSession).where(UserSession.id == sid).values(last_seen_at=now))
    current.commit()

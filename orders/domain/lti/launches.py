"""Nonces, the library's launch storage and our launch records: all in the database, so any worker can
finish a launch another began, and a nonce is used once however many workers see it."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from orders.domain.models import LtiLaunch, LtiNonce, LtiStoredValue, User
from orders.extensions import db

NONCE_LIFETIME = timedelta(minutes=10)  # from our login redirect to the platform's POST back: seconds, normally
LAUNCH_LIFETIME = timedelta(hours=12)  # a launched course's pages (roster, course link): as long as a session lasts


def issue_nonce(nonce: str, now: datetime) -> None:
    """Remember a nonce our login step put in the platform's authorization request. Flushes."""
    db.session.add(LtiNonce(nonce=nonce[:128], issued_at=now, expires_at=now + NONCE_LIFETIME))
    db.session.flush()


def use_nonce(nonce: str, now: datetime) -> bool:
    """Spend a nonce: True only for the first use of one we issued that has not expired.

    One conditional UPDATE: of two workers racing with the same token, the database lets exactly one through.
    """
    result = db.session.execute(
        update(LtiNonce)
        .where(LtiNonce.nonce == nonce[:128], LtiNonce.used_at.is_(None), LtiNonce.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]  # CursorResult for an UPDATE


def store(key: str, value, now: datetime, lifetime: timedelta) -> None:
    """Keep one value of the library's launch storage (login state, launch data). Flushes."""
    row = db.session.get(LtiStoredValue, key[:200])
    if row is None:
        db.session.add(LtiStoredValue(key=key[:200], value=value, expires_at=now + lifetime))
    else:
        row.value, row.expires_at = value, now + lifetime
    db.session.flush()


def stored(key: str, now: datetime):
    """A stored value, or None when missing or expired."""
    row = db.session.get(LtiStoredValue, key[:200])
    return row.value if row is not None and row.expires_at > now else None


def record_launch(launch_id: str, *, connection_id: int, user: User, context_id: str | None, context_title: str | None,
                  section_ids: list[int], now: datetime) -> LtiLaunch:
    """Remember who launched from which LMS course, for that course's pages. Flushes."""
    launch = LtiLaunch(
        id=launch_id[:80],
        connection_id=connection_id,
        user_id=user.id,
        context_id=(context_id or None) and context_id[:255],
        context_title=(context_title or None) and context_title[:300],
        section_ids=section_ids,
        created_at=now,
        expires_at=now + LAUNCH_LIFETIME,
    )
    db.session.add(launch)
    db.session.flush()
    return launch


def find_launch(launch_id: str, user: User, now: datetime) -> LtiLaunch | None:
    """The user's own unexpired launch with this id (anyone else's reads as missing)."""
    return db.session.scalars(
        select(LtiLaunch).where(
            LtiLaunch.id == launch_id[:80], LtiLaunch.user_id == user.id, LtiLaunch.expires_at > now
        )
    ).first()


def purge_expired(now: datetime) -> None:
    """Housekeeping on each login: nonces, stored values and launches past their time."""
    db.session.execute(delete(LtiNonce).where(LtiNonce.expires_at <= now))
    db.session.execute(delete(LtiStoredValue).where(LtiStoredValue.expires_at <= now))
    db.session.execute(delete(LtiLaunch).where(LtiLaunch.expires_at <= now))

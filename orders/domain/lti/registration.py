"""One-time LTI Dynamic Registration links: only a Program Administrator can let a platform register itself."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update

from orders.domain.audit import record
from orders.domain.models import LtiRegistrationToken, User
from orders.extensions import db

TOKEN_LIFETIME = timedelta(days=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(*, actor: User, now: datetime) -> str:
    """A new registration token (shown once, in the link the LMS administrator pastes). Flushes."""
    token = secrets.token_urlsafe(24)
    db.session.add(LtiRegistrationToken(
        token_hash=token_hash(token), created_by_id=actor.id, created_at=now, expires_at=now + TOKEN_LIFETIME
    ))
    db.session.flush()
    record("lti.registration_link", "LTI Dynamic Registration link", None,
           {"expires_at": (now + TOKEN_LIFETIME).isoformat()}, actor=actor, now=now)
    return token


def spend(token: str, now: datetime) -> User | None:
    """Use a registration token once, before it expires (one conditional UPDATE, as for nonces): the
    Program Administrator who made it (the registration is theirs in the audit log), or None."""
    made_by = db.session.scalar(
        update(LtiRegistrationToken)
        .where(LtiRegistrationToken.token_hash == token_hash(token or ""), LtiRegistrationToken.used_at.is_(None),
               LtiRegistrationToken.expires_at > now)
        .values(used_at=now)
        .returning(LtiRegistrationToken.created_by_id)
        .execution_options(synchronize_session=False)
    )
    return db.session.get(User, made_by) if made_by is not None else None

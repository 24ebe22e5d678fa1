"""Who launched: the person matched to an existing user by the connection's rule, then remembered (platform + sub)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from orders.domain.lti.claims import LaunchClaims
from orders.domain.models import LtiConnection, LtiIdentity, PersonMatch, User
from orders.extensions import db


def remembered(connection: LtiConnection, sub: str) -> LtiIdentity | None:
    return db.session.scalars(
        select(LtiIdentity).where(LtiIdentity.connection_id == connection.id, LtiIdentity.sub == sub)
    ).first()


def by_rule(connection: LtiConnection, claims: LaunchClaims) -> User | None:
    """The one user the connection's rule names: the email (case-insensitive) or the SIS id (exact), never both."""
    if connection.match is PersonMatch.SIS_ID:
        if not claims.person_sis_id:
            return None
        return db.session.scalars(select(User).where(User.sis_id == claims.person_sis_id)).first()
    if not claims.email:
        return None
    return db.session.scalars(select(User).where(func.lower(User.email) == claims.email)).first()


def match_person(connection: LtiConnection, claims: LaunchClaims, now: datetime) -> User | None:
    """The active user this launch is for, remembered on first match; None means "account not set up".

    A remembered person stays theirs even if the LMS later sends another email: the platform's `sub`
    is the stable identity. A deactivated account is never signed in, remembered or not.
    """
    if not claims.sub:
        return None
    identity = remembered(connection, claims.sub)
    if identity is not None:
        return identity.user if identity.user.active else None
    user = by_rule(connection, claims)
    if user is None or not user.active:
        return None
    db.session.add(LtiIdentity(connection_id=connection.id, sub=claims.sub, user_id=user.id, matched_at=now))
    db.session.flush()
    return user

"""The tool's RSA key pairs: kept in the database, the newest signs, the key set publishes it and the previous one."""
from __future__ import annotations

import json
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select

from orders.domain.audit import record
from orders.domain.models import LtiToolKey, User
from orders.extensions import db

KEY_BITS = 2048
PUBLISHED = 2  # the current key and the previous one: tokens signed just before a rotation still verify


def new_key(now: datetime) -> LtiToolKey:
    """A fresh key pair, named by its RFC 7638 thumbprint (what the library puts in `kid`)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = JWK.from_pem(pem.encode())
    public = json.loads(jwk.export_public())
    public.update(alg="RS256", use="sig", kid=jwk.thumbprint())
    return LtiToolKey(kid=public["kid"], private_pem=pem, public_jwk=public, created_at=now)


def rotate(*, actor: User | None, now: datetime) -> LtiToolKey:
    """Add a new current key; the one it replaces stays published as the previous key."""
    key = new_key(now)
    db.session.add(key)
    db.session.flush()
    record("lti.key_added", f"LTI tool key {key.kid}", None, {"kid": key.kid}, actor=actor, now=now)
    return key


def ensure_key(*, actor: User | None, now: datetime) -> LtiToolKey:
    """The current key, made on first need."""
    return current() or rotate(actor=actor, now=now)


def published() -> list[LtiToolKey]:
    """Newest first: the current key and the previous one."""
    return list(db.session.scalars(
        select(LtiToolKey).order_by(LtiToolKey.created_at.desc(), LtiToolKey.kid).limit(PUBLISHED)
    ))


def current() -> LtiToolKey | None:
    keys = published()
    return keys[0] if keys else None


def key_set() -> dict:
    """The JSON Web Key Set the platforms fetch (/lti/jwks)."""
    return {"keys": [key.public_jwk for key in published()]}

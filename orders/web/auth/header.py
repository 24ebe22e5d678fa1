"""Single sign-on through a reverse proxy: the identity arrives in a header, trusted from known proxies only."""
from __future__ import annotations

import logging

from flask import current_app, request, session
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, Forbidden

from orders import clock
from orders.domain.models import User
from orders.extensions import db
from orders.web.auth.network import address_in, parse_networks, peer_address
from orders.web.auth.sessions import sign_out, start_session

log = logging.getLogger(__name__)
SSO_KEY = "_sso"  # the identity the session was started for


class AccountNotSetUp(Exception):
    """The proxy vouched for someone this app has no active account for."""


def header_mode_on() -> bool:
    return current_app.config["AUTH_MODE"] in ("header", "both")


def local_mode_on() -> bool:
    return current_app.config["AUTH_MODE"] in ("local", "both")


def parse_networks_or_fail(spec: str) -> None:
    """Startup check: TRUSTED_PROXIES must parse."""
    try:
        parse_networks(spec)
    except ValueError as error:
        raise RuntimeError(f"TRUSTED_PROXIES is not a list of addresses or networks: {error}") from None


HEADER_MATCHES = ("network_id", "email")


def identity_key(identity: str) -> str:
    """What the header is matched on: the network id exactly as sent, or the email lower-cased (as stored)."""
    return identity.lower() if current_app.config["AUTH_HEADER_MATCH"] == "email" else identity


def find_user(identity: str) -> User | None:
    """The one user whose network id (exact, case-sensitive) is `identity`.

    With AUTH_HEADER_MATCH=email, the one user whose email is `identity` instead.

    One field only, never a fallback to the other: with a mix, one user's network id could equal
    another's email and capture that account.
    """
    column = User.email if current_app.config["AUTH_HEADER_MATCH"] == "email" else User.network_id
    return db.session.scalars(select(User).where(column == identity_key(identity))).one_or_none()


def sign_in_from_header() -> None:
    """before_request: honour the identity header from a trusted proxy; refuse it from anyone else.

    The first request with a new identity starts a server-side session; later ones cost nothing.
    """
    # Stylesheets and the institution's logo and accent (/brand/) are public and cached: no sign-in for them,
    # and every page, an "account not set up" page too, can load them.
    if not header_mode_on() or request.endpoint == "static" or request.blueprint == "brand":
        return
    value = request.headers.get(current_app.config["AUTH_HEADER"])
    if value is None:
        return
    peer = peer_address()
    if not address_in(peer, current_app.config["TRUSTED_PROXIES"]):
        log.warning(
            "Refused a %s header from %s, which is not in TRUSTED_PROXIES", current_app.config["AUTH_HEADER"], peer
        )
        raise Forbidden("This request carried a sign-in header but did not come through the campus sign-in service.")
    identity = value.strip()
    if not identity or len(identity) > 254 or not identity.isprintable():
        raise BadRequest("The campus sign-in service sent an identity this app cannot read.")
    if session.get(SSO_KEY) == identity_key(identity) and session.get("_user_id"):
        return  # signed in already; the user loader still checks the session and the account
    if session.get("_user_id"):  # the proxy now vouches for someone else: the old session ends first
        sign_out()
        db.session.commit()
    user = find_user(identity)
    if user is None or not user.active:
        log.info("Single sign-on identity without an active account: %r", identity)
        raise AccountNotSetUp()
    start_session(user, clock.now(), via="header")
    session[SSO_KEY] = identity_key(identity)
    db.session.commit()

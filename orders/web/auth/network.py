"""Who is on the other end: the immediate peer (a proxy or the browser) and the client behind it."""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import current_app, request


def peer_address() -> str:
    """The address that opened the connection, before ProxyFix rewrote REMOTE_ADDR from X-Forwarded-For."""
    original = request.environ.get("werkzeug.proxy_fix.orig")
    return (original or {}).get("REMOTE_ADDR") or request.remote_addr or ""


def client_address() -> str:
    """The browser's address: X-Forwarded-For as far as the configured ProxyFix trusts it, else the peer."""
    return (request.remote_addr or "")[:64]


@lru_cache(maxsize=16)
def parse_networks(spec: str) -> tuple:
    """"10.0.0.5, 192.168.0.0/24, ::1" -> networks; a malformed entry is a configuration error."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def address_in(address: str, spec: str) -> bool:
    """True when `address` falls in one of the networks of `spec`."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in parse_networks(spec) if network.version == ip.version)


def reached_over_plain_http() -> bool:
    """The session cookie is Secure (production) but this request came over plain HTTP, so the browser drops
    the cookie and no form can be sent. Behind a TLS proxy, PROXY_FIX_X_PROTO makes the request https here."""
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) and not request.is_secure


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False

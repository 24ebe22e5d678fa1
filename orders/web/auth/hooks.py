"""Wiring sign-in into the app: the user loader, the proxy settings and the per-request checks."""
from __future__ import annotations

import logging

from flask import Flask, current_app, render_template
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.proxy_fix import ProxyFix

from orders.config import DEVELOPMENT_KEY
from orders.domain.institution import institution
from orders.extensions import db, login_manager
from orders.web.auth import header, sessions
from orders.web.auth.network import is_loopback, peer_address

log = logging.getLogger(__name__)
AUTH_MODES = ("local", "header", "both")


def check_configuration(app: Flask) -> None:
    """Refuse to start with a configuration that cannot be safe."""
    if app.config["AUTH_MODE"] not in AUTH_MODES:
        raise RuntimeError(f"AUTH_MODE must be one of {', '.join(AUTH_MODES)}, not {app.config['AUTH_MODE']!r}.")
    if app.config["SECRET_KEY"] == DEVELOPMENT_KEY and not app.config.get("DEVELOPMENT"):
        raise RuntimeError("The built-in development key is only for ORDERS_ENV=development; set SECRET_KEY.")
    if app.config["AUTH_MODE"] != "local" and not app.config["TRUSTED_PROXIES"].strip():
        raise RuntimeError("AUTH_MODE=header or both needs TRUSTED_PROXIES: the addresses of the sign-on proxy.")
    header.parse_networks_or_fail(app.config["TRUSTED_PROXIES"])
    if app.config["AUTH_HEADER_MATCH"] not in header.HEADER_MATCHES:
        raise RuntimeError(f"AUTH_HEADER_MATCH must be network_id or email, not {app.config['AUTH_HEADER_MATCH']!r}.")


def refuse_development_key_off_loopback() -> None:
    """before_request: with the public development key anyone could forge a session, so only this machine may use it."""
    if current_app.config["SECRET_KEY"] == DEVELOPMENT_KEY and not is_loopback(peer_address()):
        raise Forbidden("This server runs with the development key and only answers requests from its own machine.")


def not_set_up(error: header.AccountNotSetUp):
    """The 403 page for a single sign-on identity without an active account, with whom to ask."""
    db.session.rollback()
    return render_template("auth/not_set_up.html", contact=institution().contact_email), 403


def register(app: Flask) -> None:
    """Install the user loader, ProxyFix (when configured) and the before-request checks."""
    check_configuration(app)
    login_manager.user_loader(sessions.load_session_user)
    proxies = {key: app.config[f"PROXY_FIX_X_{key.upper()}"] for key in ("for", "proto", "host")}
    if any(proxies.values()):
        # Flask's documented way to add WSGI middleware; its annotations make wsgi_app a plain method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies["for"], x_proto=proxies["proto"], x_host=proxies["host"]
        )
    app.before_request(refuse_development_key_off_loopback)
    app.before_request(header.sign_in_from_header)
    app.register_error_handler(header.AccountNotSetUp, not_set_up)

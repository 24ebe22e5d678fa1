"""Application factory: create_app(config=None) runs named register_* steps, nothing else."""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import uuid
from urllib.parse import urlsplit

from flask import Flask, g, request

from orders.config import TestConfig, config_from_environment


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app; `config` is a config class, a dict of overrides, or None for the environment's."""
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    register_input_limits(app)
    register_observability(app)
    register_auth(app)
    register_request_context(app)
    register_transactions(app)
    register_derived_tables(app)
    register_compression(app)
    register_blueprints(app)
    register_templates(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: type | dict | None) -> None:
    """Load the configuration class, then dict overrides; refuse to run without a secret key."""
    base = (
        config if isinstance(config, type) else (TestConfig if isinstance(config, dict) else config_from_environment())
    )
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "orders.sqlite3")
    # Bounded waits: SQLite's busy timeout (and WAL mode), PostgreSQL's connect, statement and lock timeouts.
    from orders import database

    database.register()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development (set ORDERS_ENV=development for a local demo).")


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons and the user loader."""
    from orders.extensions import csrf, db, login_manager, mail, migrate

    db.init_app(app)
    from orders import database

    with app.app_context():  # PostgreSQL: no statement or checkout ping may wait past the client-side bound
        database.install_watchdog(db.engine, float(app.config["DATABASE_CLIENT_TIMEOUT_SECONDS"]))
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "notice"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(_unauthorized)


def register_observability(app: Flask) -> None:
    """Request logs and metrics (/healthz, /readyz and /metrics are the ops screen's)."""
    from orders.web.ops import requestlog

    requestlog.register(app)


def register_auth(app: Flask) -> None:
    """Server-side sessions, the single sign-on header, ProxyFix, the development-key guard."""
    from orders.web.auth import hooks

    hooks.register(app)


def register_input_limits(app: Flask) -> None:
    """No input makes a 500: ids that fit int4 in URLs, no NUL bytes anywhere, free text of bounded length."""
    from orders.web import parsing

    app.url_map.converters["int"] = parsing.BoundedIntConverter
    app.before_request(parsing.reject_nul_bytes)
    app.before_request(parsing.cap_free_text)


def _unauthorized():
    """Signed out: the sign-in page, or for htmx a 401 telling the browser to go there.

    The home page is where everyone starts: it leads to the sign-in page as it is, with no banner and no
    `next`. Any other page says why the sign-in page came first.
    """
    from flask import flash, url_for

    from orders.web.htmx import is_htmx, unauthorized_redirect
    from orders.web.parsing import bounded_next

    if request.path == "/":
        return unauthorized_redirect(url_for("auth.sign_in"))
    target = url_for("auth.sign_in", next=bounded_next(request.full_path) if request.method == "GET" else None)
    if not is_htmx():
        flash("Please sign in to continue.", "notice")
    return unauthorized_redirect(target)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def register_request_context(app: Flask) -> None:
    """A request id for the audit trail, and headers every response carries."""
    from orders import clock
    from orders.domain.audit import REQUEST_ID
    from orders.extensions import db
    from orders.web import framing
    from orders.web.htmx import add_vary

    @app.before_request
    def assign_request_id() -> None:
        clock.now()  # pins this request's moment at its start: the guard, the service and the page agree
        g.request_id = _incoming_request_id(app.config) or uuid.uuid4().hex
        db.session.info[REQUEST_ID] = g.request_id  # the audit trail's link from a change to this request

    @app.after_request
    def common_headers(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        ancestors = framing.frame_ancestors()  # 'none', or the registered LMS platforms (docs/spec.md §9)
        if ancestors == framing.NOBODY:
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors "
            f"{ancestors};"
            f" form-action {form_action_sources(app.config)}{framing.form_targets()}; base-uri 'none'",
        )
        if not app.config.get("DEVELOPMENT"):  # browsers only honour it over https, where production runs
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        response.headers.pop("Server", None)  # gunicorn adds a bare "gunicorn"; nothing from the app
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return add_vary(response)


def _incoming_request_id(config) -> str | None:
    """X-Request-ID as the trusted proxy (TRUSTED_PROXIES) set it; from anyone else it could forge log lines."""
    from orders.web.auth.network import address_in, peer_address

    incoming = request.headers.get("X-Request-ID", "")
    if not incoming or not _REQUEST_ID.match(incoming):
        return None
    return incoming if address_in(peer_address(), config.get("TRUSTED_PROXIES") or "") else None


def form_action_sources(config) -> str:
    """'self', plus the single sign-on logout's origin: Sign out is a form whose redirect goes there."""
    logout = urlsplit(config.get("SSO_LOGOUT_URL") or "")
    if logout.scheme in ("http", "https") and logout.netloc:
        return f"'self' {logout.scheme}://{logout.netloc}"
    return "'self'"


def register_transactions(app: Flask) -> None:
    """Requests that only read end with COMMIT, so PostgreSQL keeps prepared statements."""
    from orders.web import transactions

    transactions.register(app)


def register_derived_tables(app: Flask) -> None:
    """Reach and Progress's per-section counts follow every change in its own transaction (orders.domain.upkeep)."""
    from orders.domain import upkeep

    upkeep.install()


def register_compression(app: Flask) -> None:
    """gzip text responses; fingerprinted static files cached for a year."""
    from orders.web import compression

    compression.register(app)


def register_blueprints(app: Flask) -> None:
    """Attach every screen: one package = one blueprint = one URL space (orders.web.screens.URL_SPACES)."""
    from orders.web import screens
    from orders.web.sessionless import PublicAwareSessionInterface

    for blueprint in screens.blueprints():
        app.register_blueprint(blueprint)
    app.session_interface = PublicAwareSessionInterface()  # public answers carry no cookie
    if app.config.get("DEVELOPMENT") and importlib.util.find_spec("devtools") is not None:
        from devtools import lms as demo_lms  # /dev-lms, the demo LMS: development only, never in production

        app.register_blueprint(demo_lms.bp)


def register_templates(app: Flask) -> None:
    """Template globals and filters, all registered in orders.web.templating."""
    from orders.web import templating

    templating.register(app)


def register_error_handlers(app: Flask) -> None:
    """Friendly 400/403/404/500 pages (fragments for htmx); never a stack trace."""
    from orders.web import errors

    errors.register(app)


def register_cli(app: Flask) -> None:
    """flask send-mail, send-reminders, import-sis, export-feed, export-billing, lti-register, lti-keys, create-admin,
    check-reach, check-counts; in a checkout also the dev tools."""
    from orders.cli import accounts, billing, commands, derived, feed, lti, reminders, sis

    for module in (commands, sis, feed, reminders, billing, lti, accounts, derived):
        module.register(app)
    if importlib.util.find_spec("devtools") is None:  # seed-demo, seed-bulk, mail-sink: not in the runtime package
        return
    from devtools import commands as dev_commands

    dev_commands.register(app)


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
# Alembic announces each autogenerate plugin at INFO on every start, drowning the "Open http://..." line.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

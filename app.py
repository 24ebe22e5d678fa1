"""Application factory: create_app(config=None) runs named register_* steps, nothing else."""
from __future__ import annotations

import logging
import os
import re
import uuid

from flask import Flask, g, request

from orders.config import TestConfig, config_from_environment


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app; `config` is a config class, a dict of overrides, or None for the environment's."""
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    register_request_context(app)
    register_transactions(app)
    register_compression(app)
    register_blueprints(app)
    register_templates(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: type | dict | None) -> None:
    """Load the configuration class, then dict overrides; refuse to run without a secret key."""
    base = config if isinstance(config, type) else (TestConfig if isinstance(config, dict) else config_from_environment())
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "orders.sqlite3")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite: wait for a writer instead of failing at once.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 15}}
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set outside development (set ORDERS_ENV=development for a local demo).")


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons and the user loader."""
    from orders.extensions import csrf, db, login_manager, mail, migrate
    from orders.queries import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "notice"
    login_manager.session_protection = "strong"
    login_manager.user_loader(lambda user_id: load_user(int(user_id)) if user_id.isdigit() else None)
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized():
    """Signed out: the sign-in page, or for htmx a 401 telling the browser to go there."""
    from flask import flash, redirect, url_for

    from orders.htmx import is_htmx

    target = url_for("auth.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if is_htmx():
        return "", 401, {"HX-Redirect": target}
    flash("Please sign in to continue.", "notice")
    return redirect(target)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def register_request_context(app: Flask) -> None:
    """A request id for the audit trail, and headers every response carries."""
    from orders.htmx import add_vary

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def common_headers(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return add_vary(response)


def register_transactions(app: Flask) -> None:
    """Requests that only read end with COMMIT, so PostgreSQL keeps prepared statements."""
    from orders import transactions

    transactions.register(app)


def register_compression(app: Flask) -> None:
    """gzip text responses; fingerprinted static files cached for a year."""
    from orders import compression

    compression.register(app)


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint."""
    from orders.history import views as history
    from orders.views import auth, courses, ordering, orders

    app.register_blueprint(auth.bp)
    app.register_blueprint(courses.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(ordering.bp)
    app.register_blueprint(history.bp)


def register_templates(app: Flask) -> None:
    """Template globals: the same predicates the routes enforce, and display helpers."""
    from orders import clock, compression, templating
    from orders.forms import EmptyForm
    from orders.history.queries import reordered_from_number
    from orders.permissions import can_cancel

    app.jinja_env.globals.update(
        can_cancel=can_cancel,
        now_utc=clock.utcnow,
        EmptyForm=EmptyForm,
        money=templating.money,
        courses_url_from_back=templating.courses_url_from_back,
        back_instructor_for=templating.back_instructor_for,
        static_url=compression.static_url,
        reordered_from_number=reordered_from_number,
    )
    app.jinja_env.filters["localdate"] = templating.local_date
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def register_error_handlers(app: Flask) -> None:
    """Friendly 400/403/404/500 pages (fragments for htmx); never a stack trace."""
    from orders import errors

    errors.register(app)


def register_cli(app: Flask) -> None:
    """flask seed-demo, send-mail and friends."""
    from orders import cli

    cli.register(app)


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

"""Configuration classes; secrets and services come from the environment."""

import os


def _env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production-shaped defaults; development relaxes only what it must."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None  # a prompt left open over lunch must still submit
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = False
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Course Materials <orders@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    # 30 s doubling to a 1 h cap, 32 attempts: the last try is ~25 h after the first, so a day-long SMTP
    # outage fails nothing for good (orders.domain.outbox.retry_reach; `send-mail --retry-failed` after longer ones).
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "32"))
    MAIL_BACKOFF_SECONDS = float(os.environ.get("MAIL_BACKOFF_SECONDS", "30"))
    MAIL_BACKOFF_MAX_SECONDS = float(os.environ.get("MAIL_BACKOFF_MAX_SECONDS", "3600"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")
    # import-sis refuses a dump removing more than this share of active sections or teaching assignments.
    SIS_MAX_REMOVAL_PERCENT = float(os.environ.get("SIS_MAX_REMOVAL_PERCENT", "10"))
    COURSES_PAGE_SIZE = 25  # issue 26: a page under 25 kB and half the rows to render; the filters narrow the rest
    PROGRESS_TABLE_PAGE_SIZE = (
        20  # issue 36: a Progress table page stays well under 60 kB (a row is ~2 kB); the CSV has every row
    )
    HISTORY_PAGE_SIZE = 50
    DEVELOPMENT = False
    TESTING = False

    # Sign-in (docs/spec.md §6a): local passwords, a trusted header from a single sign-on proxy, or both.
    AUTH_MODE = os.environ.get("AUTH_MODE", "local").strip().lower()
    AUTH_HEADER = os.environ.get("AUTH_HEADER", "X-Remote-User")
    # Which account field the header names: network_id (exact, e.g. Shibboleth's eppn) or email (oauth2-proxy).
    AUTH_HEADER_MATCH = os.environ.get("AUTH_HEADER_MATCH", "network_id").strip().lower()
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "")  # addresses or networks, comma-separated
    SSO_LOGOUT_URL = os.environ.get("SSO_LOGOUT_URL", "")
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    SESSION_MAX_HOURS = 12
    PERMANENT_SESSION_LIFETIME = 12 * 3600  # signed cookies older than this are refused outright
    # How many proxies in front set X-Forwarded-For / -Proto / -Host (werkzeug ProxyFix); 0 = none.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", "0"))
    PROXY_FIX_X_HOST = int(os.environ.get("PROXY_FIX_X_HOST", "0"))

    # Input limits: bigger bodies are a 413 page.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024

    # Bounded waits on the database: past these a request answers 503 with Retry-After.
    DATABASE_BUSY_TIMEOUT_SECONDS = float(os.environ.get("DATABASE_BUSY_TIMEOUT_SECONDS", "5"))
    DATABASE_CONNECT_TIMEOUT_SECONDS = int(os.environ.get("DATABASE_CONNECT_TIMEOUT_SECONDS", "5"))
    DATABASE_POOL_TIMEOUT_SECONDS = float(os.environ.get("DATABASE_POOL_TIMEOUT_SECONDS", "10"))
    DATABASE_STATEMENT_TIMEOUT_MS = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "15000"))
    DATABASE_LOCK_TIMEOUT_MS = int(os.environ.get("DATABASE_LOCK_TIMEOUT_MS", "5000"))
    # TCP: a peer that stops answering (a frozen server, a dead link) is given up on after these.
    DATABASE_TCP_USER_TIMEOUT_MS = int(os.environ.get("DATABASE_TCP_USER_TIMEOUT_MS", "10000"))
    DATABASE_KEEPALIVES_IDLE_SECONDS = int(os.environ.get("DATABASE_KEEPALIVES_IDLE_SECONDS", "10"))
    # Client side: a statement (pre-ping included) unanswered this long has its socket shut, so even a
    # frozen server that still ACKs TCP cannot hold a request (orders.database.Watchdog).
    DATABASE_CLIENT_TIMEOUT_SECONDS = float(os.environ.get("DATABASE_CLIENT_TIMEOUT_SECONDS", "20"))
    RETRY_AFTER_SECONDS = 30
    # psycopg prepares a statement on its 5th run on a connection, so PostgreSQL plans it once. Behind
    # PgBouncer in transaction pooling (Debian's 1.18: no max_prepared_statements, added in 1.21) a
    # prepared statement can land on another server connection: set "none" there (orders.database).
    DATABASE_PREPARE_THRESHOLD = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5")
    # Session settings sent at connect (timeouts, jit): PgBouncer refuses the startup "options"; set
    # "off" behind it and put the same settings in its connect_query (README "PgBouncer").
    DATABASE_STARTUP_OPTIONS = os.environ.get("DATABASE_STARTUP_OPTIONS", "on")

    # Operations (README "Production"): probes, metrics, logs.
    READY_DATABASE_TIMEOUT_MS = int(os.environ.get("READY_DATABASE_TIMEOUT_MS", "2000"))
    READY_OUTBOX_MAX_OVERDUE_SECONDS = float(os.environ.get("READY_OUTBOX_MAX_OVERDUE_SECONDS", "900"))
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")  # unset: /metrics does not exist (404)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object per log line


DEVELOPMENT_KEY = "development-only-not-secret"


class DevelopmentConfig(Config):
    """Local demo: a fixed development key (loopback only) and cookies that work over plain http."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_KEY)
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    DEVELOPMENT = True


class TestConfig(DevelopmentConfig):
    """The test suite: its own database, CSRF off unless a test turns it on."""

    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 1  # nothing listens: tests that deliver mail start their own SMTP server
    MAIL_SUPPRESS_SEND = False  # tests deliver to a real (local) SMTP server
    MAIL_TIMEOUT = 2.0
    MAIL_BACKOFF_SECONDS = 1.0
    PUBLIC_BASE_URL = "http://orders.test"


def config_from_environment() -> type[Config]:
    """Pick the configuration class: production unless ORDERS_ENV=development.

    FLASK_DEBUG never selects development: with the built-in key anyone could forge a session.
    """
    if os.environ.get("ORDERS_ENV", "").strip().lower() == "development":
        return DevelopmentConfig
    return Config

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
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    MAIL_BACKOFF_SECONDS = float(os.environ.get("MAIL_BACKOFF_SECONDS", "30"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")
    COURSES_PAGE_SIZE = 50
    HISTORY_PAGE_SIZE = 50
    DEVELOPMENT = False
    TESTING = False


class DevelopmentConfig(Config):
    """Local demo: a fixed development key and cookies that work over plain http."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")
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
    """Pick the configuration class: production unless FLASK_DEBUG or ORDERS_ENV says otherwise."""
    env = os.environ.get("ORDERS_ENV", "").lower()
    if env == "production":
        return Config
    if env == "development" or _env_bool("FLASK_DEBUG"):
        return DevelopmentConfig
    return Config

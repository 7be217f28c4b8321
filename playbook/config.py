"""Configuration classes, read from environment variables (and an optional .env file)."""

from __future__ import annotations

import os
from typing import Any, ClassVar


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def normalize_database_url(url: str | None) -> str | None:
    """Point PostgreSQL URLs at the psycopg 3 driver; leave everything else alone."""
    if not url:
        return url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment. Secrets have no default here."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = _int("PLAYBOOK_MAX_UPLOAD_BYTES", 2 * 1024 * 1024)

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    # WTForms' own messages in English, as every page with a form is: the survey pages,
    # the only ones in Spanish, use no WTForms. (Enabled, Flask-WTF reads and parses
    # WTForms' catalogue again on every request whose form looks up a message.)
    WTF_I18N_ENABLED = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("PLAYBOOK_SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("PLAYBOOK_SECURE_COOKIES", False)
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    PLAYBOOK_MAIL_SERVER = os.environ.get("PLAYBOOK_MAIL_SERVER", "")
    PLAYBOOK_MAIL_PORT = _int("PLAYBOOK_MAIL_PORT", 25)
    PLAYBOOK_MAIL_USERNAME = os.environ.get("PLAYBOOK_MAIL_USERNAME", "")
    PLAYBOOK_MAIL_PASSWORD = os.environ.get("PLAYBOOK_MAIL_PASSWORD", "")
    PLAYBOOK_MAIL_USE_TLS = _bool("PLAYBOOK_MAIL_USE_TLS", False)
    PLAYBOOK_MAIL_SENDER = os.environ.get("PLAYBOOK_MAIL_SENDER", "Playbook <no-reply@localhost>")
    # Without an SMTP server, development writes whole messages (reset links included)
    # to the log so a developer can follow them; production never logs message bodies.
    PLAYBOOK_LOG_MAIL_BODIES = True
    # How long one attempt to send a message may take: a sender that claimed it is
    # presumed dead after this, and the message is due again.
    PLAYBOOK_MAIL_CLAIM_SECONDS = _int("PLAYBOOK_MAIL_CLAIM_SECONDS", 300)

    # Background jobs (playbook.jobs): unset, a SQLite file in the instance folder;
    # redis://host:6379/0 in production; sqlite:////path/jobs.sqlite for another file.
    PLAYBOOK_QUEUE_URL = os.environ.get("PLAYBOOK_QUEUE_URL", "")
    # Jobs of different databases never mix: unset, the name comes from the database.
    PLAYBOOK_QUEUE_NAME = os.environ.get("PLAYBOOK_QUEUE_NAME", "")
    # Worker threads of the consumer `python run.py` starts beside the server.
    PLAYBOOK_QUEUE_WORKERS = _int("PLAYBOOK_QUEUE_WORKERS", 2)
    # Run each job at once, inside the commit that enqueued it (tests only).
    PLAYBOOK_QUEUE_IMMEDIATE = False

    # The host names this site answers to (e.g. "playbook.district.org"); requests naming
    # another Host are refused, so links in e-mail can never point elsewhere.
    TRUSTED_HOSTS = _list("PLAYBOOK_TRUSTED_HOSTS") or None
    # Number of reverse proxies in front of the app whose X-Forwarded-For we trust.
    PLAYBOOK_PROXY_COUNT = _int("PLAYBOOK_PROXY_COUNT", 0)
    PLAYBOOK_HSTS = _bool("PLAYBOOK_HSTS", False)
    # The benchmark's in-memory page (/_bench/page); bench/run.py turns it on, nothing else should.
    PLAYBOOK_BENCH_ROUTES = _bool("PLAYBOOK_BENCH_ROUTES", False)
    PLAYBOOK_PER_PAGE = _int("PLAYBOOK_PER_PAGE", 20)
    # Rendered public pages kept per worker for visitors (playbook.pagecache); 0 turns it off.
    PLAYBOOK_PAGE_CACHE_BYTES = _int("PLAYBOOK_PAGE_CACHE_BYTES", 16 * 1024 * 1024)
    PLAYBOOK_PAGE_CACHE_SECONDS = _int("PLAYBOOK_PAGE_CACHE_SECONDS", 60)
    # An open playbook page asks every this many seconds whether a teammate saved (and
    # says it is still open); a member counts as "here" while seen within the second.
    PLAYBOOK_LIVE_POLL_SECONDS = _int("PLAYBOOK_LIVE_POLL_SECONDS", 10)
    # The day "today" is in, for overdue items, reminders and the digest (an IANA name).
    PLAYBOOK_TIMEZONE = os.environ.get("PLAYBOOK_TIMEZONE", "UTC")
    # My work: items per page.
    PLAYBOOK_WORK_PER_PAGE = _int("PLAYBOOK_WORK_PER_PAGE", 50)
    # An overdue item's reminder is still sent this many days after its date when the
    # job could not run on the day (longer overdue items are not reminded at all).
    PLAYBOOK_REMINDER_CATCH_UP_DAYS = _int("PLAYBOOK_REMINDER_CATCH_UP_DAYS", 7)
    PLAYBOOK_PRESENCE_SECONDS = _int("PLAYBOOK_PRESENCE_SECONDS", 30)
    # The weekly digest goes out once per ISO week, from this weekday (1 = Monday ...
    # 7 = Sunday) and hour (0-23) in PLAYBOOK_TIMEZONE on; a week the job missed that
    # moment is caught up by its next hourly run in the same week.
    PLAYBOOK_DIGEST_WEEKDAY = _int("PLAYBOOK_DIGEST_WEEKDAY", 1)
    PLAYBOOK_DIGEST_HOUR = _int("PLAYBOOK_DIGEST_HOUR", 6)
    # At most this many people's digests are built per run; the rest wait an hour.
    PLAYBOOK_DIGEST_BATCH = _int("PLAYBOOK_DIGEST_BATCH", 2000)
    # Survey results: a figure based on fewer distinct respondents than this is not
    # shown (raised to 3 when set lower; results/queries.py min_respondents).
    PLAYBOOK_SURVEY_MIN_RESPONDENTS = _int("PLAYBOOK_SURVEY_MIN_RESPONDENTS", 5)
    # Raw survey answers are removed this many days after their round closed; the
    # aggregates stay (results/services.py purge_expired_rounds, daily in tasks.py).
    PLAYBOOK_SURVEY_RETENTION_DAYS = _int("PLAYBOOK_SURVEY_RETENTION_DAYS", 730)
    # Where links in mail that no request caused (reminders, the digest) point, e.g.
    # "https://playbook.district.org"; unset, the first PLAYBOOK_TRUSTED_HOSTS over https
    # (urls.site_base_url).
    PLAYBOOK_BASE_URL = os.environ.get("PLAYBOOK_BASE_URL", "")
    PLAYBOOK_PASSWORD_RESET_MINUTES = _int("PLAYBOOK_PASSWORD_RESET_MINUTES", 60)
    # Sign-in throttling: failures allowed per window, per account and per client address.
    PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT = _int("PLAYBOOK_LOGIN_FAILURES_PER_ACCOUNT", 5)
    PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS = _int("PLAYBOOK_LOGIN_FAILURES_PER_ADDRESS", 20)
    PLAYBOOK_LOGIN_WINDOW_MINUTES = _int("PLAYBOOK_LOGIN_WINDOW_MINUTES", 15)
    PLAYBOOK_RESETS_PER_ACCOUNT = _int("PLAYBOOK_RESETS_PER_ACCOUNT", 3)
    PLAYBOOK_RESETS_PER_ADDRESS = _int("PLAYBOOK_RESETS_PER_ADDRESS", 10)
    PLAYBOOK_RESET_WINDOW_MINUTES = _int("PLAYBOOK_RESET_WINDOW_MINUTES", 60)
    # Survey response codes: wrong codes allowed per client address and window.
    PLAYBOOK_SURVEY_CODE_ATTEMPTS = _int("PLAYBOOK_SURVEY_CODE_ATTEMPTS", 10)
    PLAYBOOK_SURVEY_CODE_WINDOW_MINUTES = _int("PLAYBOOK_SURVEY_CODE_WINDOW_MINUTES", 10)
    # Argon2id cost; tests lower it so the suite stays fast.
    PLAYBOOK_ARGON2_TIME_COST = _int("PLAYBOOK_ARGON2_TIME_COST", 3)
    PLAYBOOK_ARGON2_MEMORY_KIB = _int("PLAYBOOK_ARGON2_MEMORY_KIB", 65536)

    # Comments and moderation.
    PLAYBOOK_COMMENTS_PER_PAGE = _int("PLAYBOOK_COMMENTS_PER_PAGE", 20)
    PLAYBOOK_QUEUE_PER_PAGE = _int("PLAYBOOK_QUEUE_PER_PAGE", 50)
    # A member's comments wait for a moderator until this many of their contributions were approved.
    PLAYBOOK_TRUST_AFTER_APPROVALS = _int("PLAYBOOK_TRUST_AFTER_APPROVALS", 3)
    # This many distinct members flagging a comment hide it until a moderator decides.
    PLAYBOOK_FLAGS_TO_HIDE = _int("PLAYBOOK_FLAGS_TO_HIDE", 3)
    # Per-member posting limits (0 turns one off); counted in the database, so every worker agrees.
    PLAYBOOK_COMMENT_GAP_SECONDS_NEW = _int("PLAYBOOK_COMMENT_GAP_SECONDS_NEW", 30)
    PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED = _int("PLAYBOOK_COMMENT_GAP_SECONDS_TRUSTED", 5)
    PLAYBOOK_COMMENTS_PER_HOUR = _int("PLAYBOOK_COMMENTS_PER_HOUR", 60)
    PLAYBOOK_SUGGESTIONS_PER_HOUR = _int("PLAYBOOK_SUGGESTIONS_PER_HOUR", 5)
    PLAYBOOK_FLAGS_PER_HOUR = _int("PLAYBOOK_FLAGS_PER_HOUR", 20)
    PLAYBOOK_REPEAT_TEXT_MINUTES = _int("PLAYBOOK_REPEAT_TEXT_MINUTES", 5)

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse to start with settings that are unsafe for this environment."""


class DevelopmentConfig(Config):
    """The embedded default: SQLite in the instance folder, a generated secret key."""

    DEBUG = False
    PLAYBOOK_BASE_URL = os.environ.get("PLAYBOOK_BASE_URL", "http://127.0.0.1:5000")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-secret-key"
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    )
    SERVER_NAME = "localhost"
    PLAYBOOK_ARGON2_TIME_COST = 1
    PLAYBOOK_ARGON2_MEMORY_KIB = 8192
    PLAYBOOK_MAIL_SERVER = ""
    PLAYBOOK_QUEUE_IMMEDIATE = True


class ProductionConfig(Config):
    PLAYBOOK_LOG_MAIL_BODIES = False
    SESSION_COOKIE_SECURE = _bool("PLAYBOOK_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = _bool("PLAYBOOK_SECURE_COOKIES", True)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
    }

    @classmethod
    def check(cls, config: dict) -> None:
        missing = [
            key
            for key in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "TRUSTED_HOSTS")
            if not config.get(key)
        ]
        if missing:
            env_names = {
                "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
                "TRUSTED_HOSTS": "PLAYBOOK_TRUSTED_HOSTS",
            }
            names = ", ".join(env_names.get(m, m) for m in missing)
            raise RuntimeError(f"Production needs these environment variables: {names}")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by PLAYBOOK_CONFIG (development by default)."""
    name = os.environ.get("PLAYBOOK_CONFIG", "development").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"PLAYBOOK_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]

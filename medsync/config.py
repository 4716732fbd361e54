"""Settings from the environment (12-factor). The only module that reads os.environ."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable."""


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "": "minutes"}


def parse_duration(text: str) -> timedelta:
    """'90m', '2h', '1d', '30s'; a bare number means minutes."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90m, 2h or 1d")
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: int(amount)})


def parse_durations(text: str) -> tuple[timedelta, ...]:
    """A comma-separated list of whole-minute durations, largest first, without duplicates."""
    items = {parse_duration(part) for part in text.split(",") if part.strip()}
    if any(item < timedelta(minutes=1) or item.total_seconds() % 60 for item in items):
        raise ValueError("each offset must be a whole number of minutes, at least 1m")
    return tuple(sorted(items, reverse=True))


def parse_int(text: str) -> int:
    value = int(text.strip())
    if value < 0:
        raise ValueError("must not be negative")
    return value


def parse_positive_int(text: str) -> int:
    value = int(text.strip())
    if value <= 0:
        raise ValueError("must be positive")
    return value


def parse_port(text: str) -> int:
    value = parse_int(text)
    if value > 65535:
        raise ValueError("must be a port number, 0 to 65535")
    return value


def parse_url(text: str) -> str:
    text = text.strip().rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


def parse_db_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if not parts.scheme.startswith(("postgresql", "postgres")):
        raise ValueError("must be a postgresql:// URL")
    return text.strip()


def parse_redis_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a redis:// URL")
    return text.strip()


def parse_broker_url(text: str) -> str:
    """Celery's broker: Redis (redis://, rediss://) or RabbitMQ (amqp://, amqps://); empty: REDIS_URL."""
    url = text.strip()
    if url and urlsplit(url).scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp"):
        raise ValueError("must be a redis:// or amqp:// URL (or empty: REDIS_URL)")
    return url


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def parse_log_level(text: str) -> str:
    level = text.strip().upper() or "INFO"
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def parse_log_format(text: str) -> str:
    fmt = text.strip().lower() or "text"
    if fmt not in ("text", "json"):
        raise ValueError("must be text or json")
    return fmt


def parse_host(text: str) -> str:
    """An address to listen on: an IP address or a host name, without a port."""
    host = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9.:-]+", host):
        raise ValueError(f"{text!r} is not an address to listen on")
    return host


def parse_rate_limit(text: str) -> str:
    """A rate like '20 per minute' (the `limits` library's notation)."""
    from limits import parse

    parse(text)
    return text.strip()


def parse_retention(text: str) -> timedelta:
    """A long duration: '5y' (a year counted as 365 days), '1825d', or anything `parse_duration` reads."""
    match = re.fullmatch(r"\s*(\d+)\s*y\s*", text.lower())
    value = timedelta(days=365 * int(match.group(1))) if match else parse_duration(text)
    if value <= timedelta(0):
        raise ValueError("must be longer than nothing")
    return value


FERNET_KEY_HINT = ("make one with: python -c 'from cryptography.fernet import Fernet; "
                   "print(Fernet.generate_key().decode())'")


def parse_fernet_keys(text: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys, the one that encrypts first. A message never quotes a key."""
    from cryptography.fernet import Fernet

    keys = tuple(part.strip() for part in text.split(",") if part.strip())
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(f"key {number} of {len(keys)} is not a Fernet key (32 url-safe base64-encoded bytes; "
                             f"{FERNET_KEY_HINT})") from None
    return keys


def _text(value: str) -> str:
    return value.strip()


def parse_bot_username(text: str) -> str:
    """The bot's @username, stored without the @ (Telegram usernames: 5-32 of a-z, 0-9 and _)."""
    name = text.strip().lstrip("@")
    if name and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", name):
        raise ValueError(f"{text!r} is not a Telegram username")
    return name


@dataclass(frozen=True)
class Settings:
    """Typed settings; each field is read from the environment variable of the same name."""

    DATABASE_URL: str = "postgresql://postgres@127.0.0.1:5432/medsync"
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    # Celery's broker; empty: REDIS_URL. RabbitMQ works as well (amqp://user:password@host:5672/vhost); Redis keeps
    # the rate limiter, caches, bot state and de-duplication either way.
    CELERY_BROKER_URL: str = ""
    BOT_TOKEN: str = ""
    WEBHOOK_SECRET: str = ""
    PUBLIC_URL: str = ""
    # The Mini App served by this app; when unset: PUBLIC_URL/app, else http://127.0.0.1:PORT/app (make run).
    WEBAPP_URL: str = ""
    PORT: int = 8000
    TELEGRAM_API_URL: str = "https://api.telegram.org"
    WEBHOOK_MAX_CONNECTIONS: int = 40
    INITDATA_MAX_AGE: int = 86400
    REMINDER_OFFSETS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    MIN_BOOKING_NOTICE: timedelta = timedelta(minutes=60)
    BOOKING_HORIZON_DAYS: int = 60
    CANCEL_CUTOFF: timedelta = timedelta(hours=2)
    NOSHOW_GRACE: timedelta = timedelta(hours=2)
    RESULTS_DIR: str = "var/results"
    RESULT_MAX_BYTES: int = 20 * 1024 * 1024
    # The Fernet keys result files are encrypted with (never stored with them): the first encrypts, each one decrypts,
    # so a new key goes first and the old one stays until `flask medsync rotate-results-key` has re-encrypted every
    # file. None: the app refuses to start (medsync.services.result_files.check_key).
    RESULTS_KEY: tuple[str, ...] = ()
    # Privacy: results older than this are deleted, bookings older than this lose the patient's personal fields
    # (workers.privacy, nightly).
    RESULTS_RETENTION: timedelta = timedelta(days=5 * 365)
    BOOKINGS_RETENTION: timedelta = timedelta(days=10 * 365)
    TELEGRAM_RATE: int = 30
    TELEGRAM_CHAT_RATE: int = 1
    DELIVERY_MAX_ATTEMPTS: int = 8
    # A worker holds a claimed row for this long and renews the lease while it works on it: a dead
    # worker's rows go back to pending this long after it died (plus up to one sweep interval). Also how long
    # a worker tries to mark a row sent on a fresh connection after losing its own (workers.delivery).
    DELIVERY_LEASE: timedelta = timedelta(seconds=30)
    # A row handed to the queue but not claimed for this long (its queue message was lost, e.g. taken by a
    # worker that died) is handed out again; longer while the queue holds more than this much work.
    DELIVERY_REQUEUE_AFTER: timedelta = timedelta(seconds=30)
    # How often beat sweeps the outbox (due reminders, retries, expired leases, lost queue messages).
    OUTBOX_SWEEP_INTERVAL: timedelta = timedelta(seconds=10)
    SQLALCHEMY_POOL_SIZE: int = 5
    SQLALCHEMY_MAX_OVERFLOW: int = 5
    BOOKING_RATE_LIMIT: str = "20 per minute"
    RATELIMIT_ENABLED: bool = True
    LOG_LEVEL: str = "INFO"
    # How many reverse proxies in front of the app to believe about X-Forwarded-For/-Proto/-Host/-Port
    # (0: none; a client's own X-Forwarded-* headers are ignored).
    TRUSTED_PROXIES: int = 0
    # Staff in Telegram. The bot's username for invite links (empty: asked from Telegram with getMe).
    BOT_USERNAME: str = ""
    STAFF_INVITE_TTL: timedelta = timedelta(hours=24)
    # Telegram allows a bot about 20 messages a minute in one group.
    TELEGRAM_GROUP_RATE: int = 20
    # How often a clinic's staff group may get a digest of new bookings, cancellations, failed deliveries.
    STAFF_DIGEST_INTERVAL: timedelta = timedelta(seconds=30)
    # A /remind progress message is edited at most this often, and followed for at most this long.
    STAFF_PROGRESS_INTERVAL: timedelta = timedelta(seconds=3)
    STAFF_PROGRESS_FOR: timedelta = timedelta(minutes=30)
    # The staff pages in a desktop browser: a Telegram Login Widget sign-in is taken this long after Telegram signed
    # it, and the session it opens lasts this long.
    STAFF_LOGIN_MAX_AGE: timedelta = timedelta(minutes=10)
    STAFF_SESSION_TTL: timedelta = timedelta(hours=12)
    # Operations. /metrics answers loopback; from elsewhere only `Authorization: Bearer <METRICS_TOKEN>` (unset: never).
    METRICS_TOKEN: str = ""
    # Where the web's processes keep their figures for /metrics (prometheus_client's multiprocess mode reads this same
    # variable); gunicorn empties it when it starts. Empty: each process counts alone (one process: all is counted).
    PROMETHEUS_MULTIPROC_DIR: str = ""
    # The Celery worker's own metrics server (0: none).
    WORKER_METRICS_HOST: str = "127.0.0.1"
    WORKER_METRICS_PORT: int = 9101
    LOG_FORMAT: str = "text"
    # Error reports to Sentry (sentry-sdk, personal data scrubbed); empty: none, and sentry-sdk is not even imported.
    SENTRY_DSN: str = ""


_PARSERS: dict[str, Callable[[str], Any]] = {
    "DATABASE_URL": parse_db_url,
    "REDIS_URL": parse_redis_url,
    "CELERY_BROKER_URL": parse_broker_url,
    "PUBLIC_URL": parse_url,
    "WEBAPP_URL": parse_url,
    "PORT": parse_positive_int,
    "TELEGRAM_API_URL": parse_url,
    "WEBHOOK_MAX_CONNECTIONS": parse_positive_int,
    "INITDATA_MAX_AGE": parse_positive_int,
    "REMINDER_OFFSETS": parse_durations,
    "MIN_BOOKING_NOTICE": parse_duration,
    "BOOKING_HORIZON_DAYS": parse_positive_int,
    "CANCEL_CUTOFF": parse_duration,
    "NOSHOW_GRACE": parse_duration,
    "RESULT_MAX_BYTES": parse_positive_int,
    "RESULTS_KEY": parse_fernet_keys,
    "RESULTS_RETENTION": parse_retention,
    "BOOKINGS_RETENTION": parse_retention,
    "TELEGRAM_RATE": parse_positive_int,
    "TELEGRAM_CHAT_RATE": parse_positive_int,
    "DELIVERY_MAX_ATTEMPTS": parse_positive_int,
    "DELIVERY_LEASE": parse_duration,
    "DELIVERY_REQUEUE_AFTER": parse_duration,
    "OUTBOX_SWEEP_INTERVAL": parse_duration,
    "SQLALCHEMY_POOL_SIZE": parse_positive_int,
    "SQLALCHEMY_MAX_OVERFLOW": parse_int,
    "RATELIMIT_ENABLED": parse_bool,
    "BOOKING_RATE_LIMIT": parse_rate_limit,
    "LOG_LEVEL": lambda text: parse_log_level(text),
    "TRUSTED_PROXIES": parse_int,
    "BOT_USERNAME": parse_bot_username,
    "STAFF_INVITE_TTL": parse_duration,
    "TELEGRAM_GROUP_RATE": parse_positive_int,
    "STAFF_DIGEST_INTERVAL": parse_duration,
    "STAFF_PROGRESS_INTERVAL": parse_duration,
    "STAFF_PROGRESS_FOR": parse_duration,
    "STAFF_LOGIN_MAX_AGE": parse_duration,
    "STAFF_SESSION_TTL": parse_duration,
    "WORKER_METRICS_HOST": parse_host,
    "WORKER_METRICS_PORT": parse_port,
    "LOG_FORMAT": parse_log_format,
}


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from `environ` (default os.environ); overrides are already-typed values."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Settings):
        if field.name in overrides:
            values[field.name] = overrides[field.name]
            continue
        raw = environ.get(field.name)
        if raw is None:
            continue
        try:
            values[field.name] = _PARSERS.get(field.name, _text)(raw)
        except ValueError as exc:
            raise ConfigError(f"{field.name}: {exc}") from None
    unknown = set(overrides) - {field.name for field in fields(Settings)}
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    if not values.get("WEBAPP_URL"):
        values["WEBAPP_URL"] = default_webapp_url(values.get("PUBLIC_URL", ""), values.get("PORT", Settings.PORT))
    return Settings(**values)


def default_webapp_url(public_url: str, port: int) -> str:
    """The Mini App this service serves itself: under PUBLIC_URL when there is one, else on the local port."""
    return f"{public_url or f'http://127.0.0.1:{port}'}/app"


def load_dotenv() -> None:
    """Read `.env` (looked for from the working directory up) into the environment, as every `flask` command does.

    For the processes `flask` does not start: gunicorn (wsgi.py) and Celery (celery_app.py). Flask's own loader,
    so one parser (python-dotenv) reads the file everywhere and a variable already set wins over the file.
    FLASK_SKIP_DOTENV=1 turns it off, as for `flask` (the test suite sets it: no developer's .env reaches a test).
    """
    from flask.cli import load_dotenv as flask_load_dotenv
    from flask.helpers import get_load_dotenv

    if get_load_dotenv():
        flask_load_dotenv()


def current_settings() -> Settings:
    """The running app's Settings (inside an app context)."""
    from flask import current_app

    return current_app.config["SETTINGS"]

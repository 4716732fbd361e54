"""How processes log: plain text lines (the default) or one JSON object per line (LOG_FORMAT=json), each carrying the
ids of medsync.log_context; and logging failures without their messages: exception texts can carry patients' details
(a database row in an IntegrityError) or the bot token (a Bot API URL in a network error)."""
from __future__ import annotations

import logging
import sys
import traceback
from typing import IO, Any

from medsync.config import Settings
from medsync.error_reports import report_failure
from medsync.log_context import LogIds

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    """Log to stderr in LOG_FORMAT at LOG_LEVEL, unless the process configured logging already (a test runner)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(log_handler(settings.LOG_FORMAT))
        root.setLevel(settings.LOG_LEVEL)
    if settings.LOG_FORMAT == "json":
        logging.captureWarnings(True)  # a library's warning is a JSON line too, not a bare text one on stderr
        _keep_celery_from_replacing_it()
    # Alembic announces each of its plugins at INFO whenever Flask-Migrate loads it: noise in every process.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # pyTelegramBotAPI logs request parameters (message texts, patients' details) at DEBUG: never log them.
    logging.getLogger("TeleBot").setLevel(logging.WARNING)
    # urllib3 logs every request line at DEBUG, and a Bot API URL carries the bot token: never log them.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def gunicorn_logconfig(settings: Settings) -> dict[str, Any]:
    """gunicorn's logconfig_dict for LOG_FORMAT=json: its own lines (starting, booting a worker, a timeout) go through
    the same JSON handler as the app's, set on the root logger before the workers are forked."""
    return {
        "root": {"level": settings.LOG_LEVEL, "handlers": ["medsync"]},
        "loggers": {name: {"level": "INFO", "handlers": [], "propagate": True}
                    for name in ("gunicorn.error", "gunicorn.access")},
        "handlers": {"medsync": {"()": "medsync.logs.log_handler", "log_format": settings.LOG_FORMAT}},
        "formatters": {},
    }


def log_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing plain lines or JSON objects, with the current request, update, task and booking ids."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(LogIds())
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        # Every attribute a record carries beyond the standard ones is a field: the ids LogIds puts there.
        handler.setFormatter(JsonFormatter(
            "{asctime}{levelname}{name}{message}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    return handler


def _keep_celery_from_replacing_it() -> None:
    """A Celery worker replaces the root logger's handlers with its own plain ones unless a receiver of its
    setup_logging signal takes charge: this one keeps what configure_logging set up."""
    from celery.signals import setup_logging

    setup_logging.connect(_logging_is_set_up, weak=False, dispatch_uid="medsync.logs")


def _logging_is_set_up(**_: object) -> None:
    """Logging was configured when the app was built (configure_logging)."""


def log_failure(logger: logging.Logger, exc: BaseException, message: str, *args: object) -> None:
    """Log `message`, the exception's type and its stack frames, never the exception's own text; report it to
    Sentry when that is on (scrubbed there the same way)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error(f"{message}: %s\n%s", *args, type(exc).__name__, frames)
    report_failure(exc)

"""Logging failures without their messages: exception texts can carry patients' details (a database
row in an IntegrityError) or the bot token (a Bot API URL in a network error)."""
from __future__ import annotations

import logging
import traceback


def log_failure(logger: logging.Logger, exc: BaseException, message: str, *args: object) -> None:
    """Log `message`, the exception's type and its stack frames, never the exception's own text."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error(f"{message}: %s\n%s", *args, type(exc).__name__, frames)

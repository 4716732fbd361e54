"""Abuse protection: booking writes are limited per verified Telegram user, counted in Redis.

The `limits` library (the engine under Flask-Limiter) is used directly, as a decorator on the
writes only: Flask-Limiter's app-wide request hooks cost a fifth of every catalog read here.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar

import redis
from flask import Flask, current_app
from flask_babel import gettext as _
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from medsync.api.auth import body_init_data, current_patient_id
from medsync.config import current_settings

log = logging.getLogger(__name__)

SCOPE = "booking-writes"
View = TypeVar("View", bound=Callable[..., Any])


def init_limiter(app: Flask) -> None:
    """The booking-writes limiter on the app's Redis (connects on first use)."""
    storage = storage_from_string(app.config["REDIS_URL"], key_prefix="medsync-limits")
    app.extensions["booking_limiter"] = MovingWindowRateLimiter(storage)


def limit_booking_writes(view: View) -> View:
    """Authenticate (401 first: a stranger is not counted), then refuse with 429 and Retry-After once a
    Telegram user exceeds BOOKING_RATE_LIMIT booking writes."""

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        patient_id = current_patient_id(body_init_data())
        settings = current_settings()
        if settings.RATELIMIT_ENABLED:
            _count_or_refuse(_parsed(settings.BOOKING_RATE_LIMIT), f"patient:{patient_id}")
        return view(*args, **kwargs)

    return limited  # type: ignore[return-value]


@cache
def _parsed(rate_limit: str) -> Any:
    """"20 per minute" as a limit item, parsed once per setting (a regex per request otherwise)."""
    return parse(rate_limit)


def _count_or_refuse(limit: Any, key: str) -> None:
    limiter: MovingWindowRateLimiter = current_app.extensions["booking_limiter"]
    try:
        if limiter.hit(limit, SCOPE, key):
            return
        reset_at, _remaining = limiter.get_window_stats(limit, SCOPE, key)
    except redis.RedisError:
        # Redis only counts: if it is down, bookings go through unlimited rather than failing.
        log.warning("booking rate limiter unavailable; request let through")
        return
    raise TooManyRequests(
        _("Too many booking requests. Please wait a little and try again."),
        retry_after=max(1, math.ceil(reset_at - time.time())),
    )

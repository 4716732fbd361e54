"""Abuse protection: booking writes are limited per verified Telegram user, counted in Redis."""
from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter

from medsync.api.auth import body_init_data, current_patient_id
from medsync.config import current_settings
from medsync.errors import Unauthorized


def patient_rate_key() -> str:
    """The verified Telegram id; callers without valid initData share a bucket per address."""
    try:
        return f"patient:{current_patient_id(body_init_data())}"
    except Unauthorized:
        return f"address:{request.remote_addr}"


def booking_rate_limit() -> str:
    return current_settings().BOOKING_RATE_LIMIT


# Redis only counts: if it is down, bookings go through unlimited rather than failing.
limiter = Limiter(key_func=patient_rate_key, headers_enabled=True, strategy="moving-window", swallow_errors=True)

# Decorator for every booking write (create, book_slot, cancel, reschedule).
limit_booking_writes = limiter.shared_limit(
    booking_rate_limit, scope="booking-writes", key_func=patient_rate_key,
    error_message="Too many booking requests. Please wait a little and try again.",
)


def init_limiter(app: Flask) -> None:
    """Flask-Limiter on the app's Redis; RATELIMIT_ENABLED switches it off."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "medsync-limits")
    limiter.init_app(app)

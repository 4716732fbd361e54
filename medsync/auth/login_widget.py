"""Verification of a Telegram Login Widget sign-in (the staff pages in a desktop browser).

Standard library only. Implements https://core.telegram.org/widgets/login#checking-authorization:

    data_check_string = "\\n".join(f"{key}={value}" for every received field except ``hash``, sorted by key)
    secret_key        = SHA256(bot_token)
    expected_hash     = hex(HMAC_SHA256(key=secret_key, msg=data_check_string))

The widget sends its fields (id, first_name, last_name, username, photo_url, auth_date, hash) to our sign-in URL;
every field it sends is part of the check, so a field Telegram adds later is checked too. Refusals never quote the
fields, the hash or the token.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from medsync.auth.initdata import FUTURE_SKEW_SECONDS, TELEGRAM_ID_LIMIT

MAX_FIELDS = 16
MAX_FIELD_LENGTH = 1024
_HASH = re.compile(r"[0-9a-fA-F]{64}")
_ID = re.compile(r"[0-9]{1,16}")
_AUTH_DATE = re.compile(r"[0-9]{1,11}")  # seconds: within datetime's range


class LoginError(Exception):
    """A sign-in that is not Telegram's, or not fresh; `reason`: malformed, bad_signature or expired."""

    reason = "invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TelegramLogin:
    """Who signed in, as Telegram vouches."""

    telegram_id: int
    first_name: str
    username: str | None
    auth_date: datetime


def verify_login(fields: Mapping[str, str], bot_token: str, *, max_age: timedelta, now: datetime) -> TelegramLogin:
    """The signed-in Telegram account, if `fields` (everything the widget sent) carry Telegram's hash for this bot and
    were signed at most `max_age` ago; LoginError otherwise."""
    received = dict(fields)
    claimed = received.pop("hash", "")
    if (not _HASH.fullmatch(claimed) or len(received) > MAX_FIELDS
            or any(len(value) > MAX_FIELD_LENGTH for value in received.values())
            or not _ID.fullmatch(received.get("id", "")) or not _AUTH_DATE.fullmatch(received.get("auth_date", ""))):
        raise LoginError("malformed")
    data_check_string = "\n".join(f"{key}={received[key]}" for key in sorted(received))
    secret_key = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret_key, data_check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, claimed.lower()):
        raise LoginError("bad_signature")
    telegram_id = int(received["id"])
    if not 0 < telegram_id < TELEGRAM_ID_LIMIT:
        raise LoginError("malformed")
    auth_date = datetime.fromtimestamp(int(received["auth_date"]), tz=timezone.utc)
    if now - auth_date > max_age or auth_date - now > timedelta(seconds=FUTURE_SKEW_SECONDS):
        raise LoginError("expired")
    return TelegramLogin(telegram_id=telegram_id, first_name=received.get("first_name", ""),
                         username=received.get("username") or None, auth_date=auth_date)

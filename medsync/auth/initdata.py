"""Verification of Telegram Mini App (Web App) ``initData``.

Standard library only (and medsync.storable_text). Implements the algorithm documented at
https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:

    data_check_string = "\\n".join(f"{key}={value}" for every received field
                                   except ``hash``, sorted by key)
    secret_key        = HMAC_SHA256(key=b"WebAppData", msg=bot_token)
    expected_hash     = hex(HMAC_SHA256(key=secret_key, msg=data_check_string))

Note: the ``signature`` field (Ed25519 signature for third-party validation,
added by Telegram in late 2024) is a received field like any other and IS part
of the bot-token data-check-string. Only ``hash`` is excluded. (Checked against
the published Telegram-Mini-Apps test vector that carries ``signature``.)

Exception messages never contain the bot token, the raw initData or field
values, and exceptions are raised ``from None`` so that no lower-level error
(whose message may quote the input) is chained onto them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from medsync.storable_text import storable

__all__ = [
    "FUTURE_SKEW_SECONDS",
    "InitData",
    "InitDataBadSignature",
    "InitDataError",
    "InitDataExpired",
    "InitDataMalformed",
    "InitDataMissing",
    "InitDataNoUser",
    "WebAppUser",
    "TELEGRAM_ID_LIMIT",
    "extract_init_data",
    "is_telegram_user_id",
    "verify_init_data",
]

#: auth_date values further than this many seconds in the future are rejected.
FUTURE_SKEW_SECONDS = 300

#: Upper bounds on what we are willing to parse (real initData is ~1 KiB).
MAX_INIT_DATA_LENGTH = 16 * 1024
MAX_FIELDS = 64

#: Telegram's user and chat ids have at most 52 significant bits (Bot API docs).
TELEGRAM_ID_LIMIT = 2**52

_HASH_RE = re.compile(r"[0-9a-fA-F]{64}")
_AUTH_DATE_RE = re.compile(r"[0-9]{1,12}")
_AUTH_SCHEME = "tma"


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #
class InitDataError(Exception):
    """Base class for every initData verification failure.

    ``reason`` is a stable machine-readable code, one of:
    ``"missing"``, ``"malformed"``, ``"bad_signature"``, ``"expired"``,
    ``"no_user"``. Catch ``InitDataError`` to handle all of them (e.g. 401).
    """

    reason: str = "invalid"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.reason)


class InitDataMissing(InitDataError):
    """No initData was supplied (None / empty string)."""

    reason = "missing"


class InitDataMalformed(InitDataError):
    """Not a valid query string, duplicate keys, no ``hash``/``auth_date``,
    bad ``auth_date``, or a ``user`` field that is not a valid user object
    (including an ``id`` that is not a Telegram user id)."""

    reason = "malformed"


class InitDataBadSignature(InitDataError):
    """``hash`` does not match (tampered data, wrong bot token...)."""

    reason = "bad_signature"


class InitDataExpired(InitDataError):
    """``auth_date`` older than ``max_age`` or too far in the future."""

    reason = "expired"


class InitDataNoUser(InitDataError):
    """Correctly signed data that carries no ``user`` field."""

    reason = "no_user"


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class WebAppUser:
    """Subset of Telegram's WebAppUser object (https://core.telegram.org/bots/webapps#webappuser)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool | None = None
    is_bot: bool | None = None
    photo_url: str | None = None
    allows_write_to_pm: bool | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class InitData:
    """Verified initData.

    ``raw`` holds every received field (including ``hash`` and, when present,
    ``signature``, ``chat_type``, ``chat_instance``...) as decoded strings.
    """

    user: WebAppUser
    auth_date: datetime  # timezone-aware, UTC
    query_id: str | None
    start_param: str | None
    raw: dict[str, str]


# --------------------------------------------------------------------------- #
# Verification
# --------------------------------------------------------------------------- #
def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()


def _expected_hash(pairs: list[tuple[str, str]], bot_token: str) -> str:
    data_check_string = "\n".join(f"{k}={v}" for k, v in sorted(pairs))
    return hmac.new(
        _secret_key(bot_token), data_check_string.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _parse_pairs(init_data: str) -> list[tuple[str, str]]:
    if len(init_data) > MAX_INIT_DATA_LENGTH:
        raise InitDataMalformed("initData is too long")
    try:
        pairs = parse_qsl(
            init_data,
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (ValueError, UnicodeError):
        # ValueError messages from parse_qsl quote the offending field.
        raise InitDataMalformed("initData is not a valid query string") from None
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise InitDataMalformed("initData contains a duplicate field") from None
        seen.add(key)
    return pairs


def is_telegram_user_id(value: object) -> bool:
    """A Telegram user id: a positive integer of at most 52 significant bits (Bot API docs); never a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= TELEGRAM_ID_LIMIT


def _opt(data: dict, name: str, typ: type):
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, typ):
        raise InitDataMalformed(f"user.{name} has an invalid type")
    return storable(value) if isinstance(value, str) else value


def _parse_user(value: str) -> WebAppUser:
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise InitDataMalformed("user is not valid JSON") from None
    if not isinstance(data, dict):
        raise InitDataMalformed("user is not a JSON object")
    if not is_telegram_user_id(data.get("id")):
        # Signed, yet not a Telegram user: an id past 64 bits, 0 or negative would only fail in the database.
        raise InitDataMalformed("user.id is not a Telegram user id")
    user_id = data["id"]
    first_name = data.get("first_name")
    if not isinstance(first_name, str):
        raise InitDataMalformed("user.first_name must be a string")
    # The names are the person's own, shown back to them and to staff: a NUL or a lone surrogate in one is
    # cleaned rather than refused, so that they can still book (see medsync.storable_text).
    first_name = storable(first_name)
    return WebAppUser(
        id=user_id,
        first_name=first_name,
        last_name=_opt(data, "last_name", str),
        username=_opt(data, "username", str),
        language_code=_opt(data, "language_code", str),
        is_premium=_opt(data, "is_premium", bool),
        is_bot=_opt(data, "is_bot", bool),
        photo_url=_opt(data, "photo_url", str),
        allows_write_to_pm=_opt(data, "allows_write_to_pm", bool),
    )


def verify_init_data(
    init_data: str | None,
    bot_token: str,
    *,
    max_age: int,
    now: datetime | None = None,
) -> InitData:
    """Verify Telegram Mini App ``initData`` and return the parsed result.

    :param init_data: the raw ``Telegram.WebApp.initData`` query string.
    :param bot_token: the bot token the Mini App belongs to.
    :param max_age: maximum accepted age of ``auth_date`` in seconds (> 0).
    :param now: current time (timezone-aware); defaults to ``datetime.now(UTC)``.
    :raises InitDataError: (a subclass of it) when the data must not be trusted.
    :raises ValueError: on caller errors (empty bot token, max_age <= 0,
        naive ``now``) -- these are bugs, not authentication failures.
    """
    if not isinstance(bot_token, str) or not bot_token:
        raise ValueError("bot_token must be a non-empty string")
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age <= 0:
        raise ValueError("max_age must be a positive integer number of seconds")
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")

    if init_data is None or not isinstance(init_data, str) or not init_data.strip():
        raise InitDataMissing("initData is missing")

    pairs = _parse_pairs(init_data)
    fields = dict(pairs)

    received_hash = fields.get("hash")
    if received_hash is None or received_hash == "":
        raise InitDataMalformed("initData has no hash")

    # 1. Authenticate before interpreting anything else.
    expected = _expected_hash([(k, v) for k, v in pairs if k != "hash"], bot_token)
    if not _HASH_RE.fullmatch(received_hash) or not hmac.compare_digest(
        expected.encode("ascii"), received_hash.lower().encode("ascii")
    ):
        raise InitDataBadSignature("initData signature is invalid")

    # 2. Freshness.
    auth_date_raw = fields.get("auth_date")
    if auth_date_raw is None or not _AUTH_DATE_RE.fullmatch(auth_date_raw):
        raise InitDataMalformed("initData has no valid auth_date")
    try:
        auth_date = datetime.fromtimestamp(int(auth_date_raw), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise InitDataMalformed("initData has no valid auth_date") from None
    if now - auth_date > timedelta(seconds=max_age):
        raise InitDataExpired("initData has expired")
    if auth_date - now > timedelta(seconds=FUTURE_SKEW_SECONDS):
        raise InitDataExpired("initData auth_date is in the future")

    # 3. User.
    user_raw = fields.get("user")
    if user_raw is None:
        raise InitDataNoUser("initData carries no user")
    user = _parse_user(user_raw)

    return InitData(
        user=user,
        auth_date=auth_date,
        query_id=fields.get("query_id"),
        start_param=fields.get("start_param"),
        raw=fields,
    )


def extract_init_data(
    authorization_header: str | None, body_field: str | None
) -> str | None:
    """Pick the initData string out of a request.

    ``Authorization: tma <initData>`` (scheme case-insensitive) takes
    precedence; an Authorization header with another scheme is ignored.
    Otherwise the body field is used. Empty values count as absent.
    """
    if isinstance(authorization_header, str):
        parts = authorization_header.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower() == _AUTH_SCHEME:
            value = parts[1].strip()
            if value:
                return value
    if isinstance(body_field, str):
        value = body_field.strip()
        if value:
            return value
    return None

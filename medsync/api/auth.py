"""Who is calling: the Telegram user of a Web App request, from verified initData."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from medsync import clock
from medsync.api.json_body import json_object
from medsync.auth.initdata import (
    FUTURE_SKEW_SECONDS, InitData, InitDataError, InitDataExpired, extract_init_data, verify_init_data,
)
from medsync.config import current_settings
from medsync.errors import Unauthorized
from medsync.i18n import user_language
from medsync.services import languages, users

_REFUSALS = {
    "missing": _l("Open the booking page from Telegram: the request carries no Telegram initData."),
    "malformed": _l("The Telegram initData is malformed."),
    "bad_signature": _l("The Telegram initData signature is invalid."),
    "expired": _l("The Telegram session has expired. Please reopen the booking page from Telegram."),
    "no_user": _l("The Telegram initData names no user."),
}


_INVALID = _l("The Telegram initData is invalid.")
_VERIFIED = "medsync.verified_init_data"


def verified_init_data(body_init_data: str | None = None) -> InitData:
    """The request's initData (`Authorization: tma …` or the body field), verified once per request; 401 otherwise."""
    verified = request.environ.get(_VERIFIED)
    if verified is not None:
        return verified
    settings = current_settings()
    if not settings.BOT_TOKEN:
        raise Unauthorized(_("Telegram initData cannot be verified: the server has no BOT_TOKEN configured."))
    raw = extract_init_data(request.headers.get("Authorization"), body_init_data)
    try:
        init_data = _verified_signatures.verify(raw, settings.BOT_TOKEN, settings.INITDATA_MAX_AGE, clock.now())
    except InitDataError as exc:
        raise Unauthorized(_REFUSALS.get(exc.reason, _INVALID)) from None
    request.environ[_VERIFIED] = init_data  # per request (g may outlive one, e.g. in tests)
    return init_data


class _VerifiedSignatures:
    """initData strings whose signature this process has verified, most recently used last (bounded).

    The Mini App sends the same initData with every request of a session; its signature and fields are a
    pure function of the string and the bot token, so they are verified once. Freshness depends on the
    clock and is checked again on every use, so a remembered string expires exactly when a new one would.
    Only strings that passed are remembered.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.known: OrderedDict[tuple[str, str], InitData] = OrderedDict()

    def verify(self, raw: str | None, bot_token: str, max_age: int, now: datetime) -> InitData:
        key = (bot_token, raw or "")
        with self.lock:
            known = self.known.get(key)
            if known is not None:
                self.known.move_to_end(key)
        if known is None:
            known = verify_init_data(raw, bot_token, max_age=max_age, now=now)
            with self.lock:
                self.known[key] = known
                if len(self.known) > self.size:
                    self.known.popitem(last=False)
        elif now - known.auth_date > timedelta(seconds=max_age) or (
            known.auth_date - now > timedelta(seconds=FUTURE_SKEW_SECONDS)
        ):
            raise InitDataExpired("initData has expired")
        return known


_verified_signatures = _VerifiedSignatures(size=4096)


def caller_language() -> str | None:
    """The API's language source (medsync.i18n): with valid initData the caller's own language (their choice, else
    their Telegram's); without it, None, and Accept-Language decides. Asked only when a text is rendered."""
    if not request.headers.get("Authorization", "").lower().startswith("tma ") and body_init_data() is None:
        return None
    try:
        user = verified_init_data(body_init_data()).user
    except Unauthorized:
        return None
    try:
        return languages.of_user(user.id, user.language_code)
    except DBAPIError:  # the error being answered may be the database's own: Telegram's language will do
        return user_language(None, user.language_code)


def current_patient_id(body_init_data: str | None = None) -> int:
    """The verified Telegram id of the caller (reads need no user row)."""
    return verified_init_data(body_init_data).user.id


def patient_id_if_signed_in() -> int | None:
    """The caller's verified Telegram id when the request carries `Authorization`, else None (a public read).

    A header that is present but invalid is refused (401), not silently read as anonymous.
    """
    if not request.headers.get("Authorization"):
        return None
    return current_patient_id()


def current_patient_profile(body_init_data: str | None = None) -> users.Profile:
    """The verified caller's user row as Telegram describes them, for a write that creates or refreshes it: a
    booking writes it in its own statement."""
    profile = verified_init_data(body_init_data).user
    return users.Profile.of(profile.id, first_name=profile.first_name, last_name=profile.last_name,
                            username=profile.username, language_code=profile.language_code)


def body_init_data() -> str | None:
    """The compatible front end's `userInitData` body field, if the body is a JSON object holding a string."""
    try:
        body = json_object()  # parsed once per request
    except HTTPException:
        return None  # the body's own error is for the view to report
    value = body.get("userInitData")
    return value if isinstance(value, str) else None

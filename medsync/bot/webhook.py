"""POST /telegram/webhook: Telegram's updates, checked, de-duplicated and handled inside the request.

With TeleBot(threaded=False) and no exception_handler, a handler's exception propagates out of
process_new_updates (pyTelegramBotAPI's _exec_task re-raises it), so this one place logs it, rolls the
transaction back and still answers 200: Telegram would otherwise redeliver the update again and again.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any

import redis
from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from telebot.types import Update

from medsync import log_context, metrics
from medsync.api.json_body import json_object
from medsync.auth.initdata import TELEGRAM_ID_LIMIT, is_telegram_user_id
from medsync.bot import get_bot, replies, transport
from medsync.redis_batch import RedisBatch
from medsync.bot.handlers.users import (
    Known, chosen_in_this_update, erased_in_this_update, note_known_profile, read_known_profile, remember_sender,
    sender_of,
)
from medsync.bot.reply import webhook_reply
from medsync.config import current_settings
from medsync.errors import error_body
from medsync.logs import log_failure
from medsync.extensions import db, redis_client
from medsync.i18n import in_language, user_language
from medsync.services import users
from medsync.storable_text import storable

log = logging.getLogger(__name__)

blueprint = Blueprint("telegram", __name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram gives up redelivering long before a day has passed.
SEEN_UPDATE_TTL = 24 * 3600
# While an update is being handled its claim is short: if this process dies mid-way, Telegram's
# redelivery (which comes later than this) is handled instead of being acknowledged and lost.
IN_FLIGHT_TTL = 60
# Objects whose "id" names a Telegram user or a chat, and fields that are a chat's id, wherever they appear in an
# update (the handlers store them).
_USERS = frozenset({"from", "user"})
_CHATS = frozenset({"chat", "sender_chat"})
_CHAT_IDS = frozenset({"migrate_to_chat_id", "migrate_from_chat_id"})
# What an update can carry (message, callback_query, my_chat_member …): every field of the library's Update but its id.
_UPDATE_KINDS = frozenset(vars(Update.de_json({"update_id": 0}))) - {"update_id"}


@blueprint.post("/telegram/webhook")
def receive_update() -> tuple[Response, int]:
    """Check the secret, parse the Update, handle it once; 200 once the secret matched (503 only when Redis or
    the database went away before the update changed or sent anything, so that Telegram delivers it again)."""
    if not _secret_matches(request.headers.get(SECRET_HEADER, "")):
        metrics.webhook_update("unknown", "unauthorized")
        return jsonify(error_body(401, _("Wrong or missing secret token."))), 401
    body = json_object()  # 400 for anything but a JSON object nested within reason, 413 past the size cap
    kind = update_kind(body)
    if not _is_telegram_id(body.get("update_id")):
        metrics.webhook_update(kind, "invalid")
        return jsonify(error_body(400, _("The body is not a Telegram Update."))), 400
    log_context.bind(update_id=body["update_id"])
    if not _ids_are_valid(body):
        # Signed with our secret, so answered 200 (a 4xx would only be retried), but never handled: an id
        # that is not a 64-bit integer would otherwise reach the database as a DataError.
        log.warning("telegram update %s carries an invalid chat or user id; acknowledged and ignored",
                    body["update_id"])
        metrics.webhook_update(kind, "ignored")
        return jsonify({"ok": True}), 200
    update = _parse_update(_storable_copy(body))
    if update is None:
        # Signed by Telegram but not parseable by the library: answering 4xx would only make Telegram retry.
        log.warning("telegram update %s could not be parsed; acknowledged and ignored", body["update_id"])
        metrics.webhook_update(kind, "ignored")
        return jsonify({"ok": True}), 200
    sender = sender_of(update)
    reply = None
    try:
        first, known = _first_delivery(update, sender)
    except redis.RedisError:
        # Without the claim the update could be handled twice: nothing is done, and Telegram delivers it again.
        log.warning("telegram update %s could not be claimed, Redis is unavailable; asked Telegram to deliver "
                    "it again", update.update_id)
        metrics.webhook_update(kind, "redelivered")
        return _deliver_again()
    if first:
        try:
            reply, hint = _handle(update, sender, known, kind)
        except DeliverAgain:
            _release(update.update_id)
            metrics.webhook_update(kind, "redelivered")
            return _deliver_again()
        _mark_handled(update.update_id, hint)
    else:
        metrics.webhook_update(kind, "duplicate")
    # Telegram performs a method given in the webhook's response (here: answering the button press).
    return jsonify(reply or {"ok": True}), 200


def update_kind(body: dict[str, Any]) -> str:
    """What the update carries (message, callback_query …), "other" for a kind the library does not know."""
    return next((key for key in body if key in _UPDATE_KINDS), "other")


def _deliver_again() -> tuple[Response, int]:
    """503: Telegram keeps an update answered with an error and delivers it again later."""
    return jsonify(error_body(503, _("The service is briefly unavailable; deliver the update again."))), 503


def _secret_matches(given: str) -> bool:
    """Constant-time comparison; with no WEBHOOK_SECRET configured nothing is accepted."""
    expected = current_settings().WEBHOOK_SECRET
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _is_telegram_id(value: Any) -> bool:
    """Telegram's ids have at most 52 significant bits (Bot API docs): anything else is not from Telegram."""
    return isinstance(value, int) and not isinstance(value, bool) and -TELEGRAM_ID_LIMIT <= value <= TELEGRAM_ID_LIMIT


def _ids_are_valid(body: Any) -> bool:
    """Every user's id in the update is a Telegram user's (positive), every chat's a Telegram id. Recursive, over a
    body json_object has kept within MAX_DEPTH levels."""
    if isinstance(body, list):
        return all(_ids_are_valid(item) for item in body)
    if not isinstance(body, dict):
        return True
    for key, value in body.items():
        if isinstance(value, dict) and key in _USERS and not is_telegram_user_id(value.get("id")):
            return False
        if isinstance(value, dict) and key in _CHATS and not _is_telegram_id(value.get("id")):
            return False
        if key in _CHAT_IDS and not _is_telegram_id(value):
            return False
        if not _ids_are_valid(value):
            return False
    return True


def _storable_copy(body: Any) -> Any:
    """The update with every text cleaned of what PostgreSQL cannot store (medsync.storable_text): Telegram vouches
    for what people wrote, so a NUL in a name, a caption or a reason is dropped rather than the update lost."""
    if isinstance(body, str):
        return storable(body)
    if isinstance(body, list):
        return [_storable_copy(item) for item in body]
    if isinstance(body, dict):
        return {storable(key): _storable_copy(value) for key, value in body.items()}
    return body


def _parse_update(body: dict[str, Any]) -> Update | None:
    try:
        return Update.de_json(body)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _first_delivery(update: Update, sender: users.Profile | None) -> tuple[bool, Known | None]:
    """Claim the update id before handling it, so a concurrent or later redelivery is only acknowledged; in
    the same round trip note the chat's newest update and read what the sender's row last held."""
    batch = RedisBatch(redis_client.client)
    batch.set(_seen_key(update.update_id), 1, nx=True, ex=IN_FLIGHT_TTL)
    if sender is not None:
        read_known_profile(batch, sender)
    replies.note_chat_activity(batch, update)
    first, *rest = batch.execute()
    hint = rest[0] if sender is not None else None
    return bool(first), Known.read(hint.decode() if isinstance(hint, bytes) else hint)


def _mark_handled(update_id: int, hint: tuple[users.Profile, str | None] | None) -> None:
    """Handled (or failed and answered 200): remember it for as long as Telegram could redeliver it, and what the
    sender's row now holds (committed): their profile and their choice of language."""
    batch = RedisBatch(redis_client.client)
    batch.expire(_seen_key(update_id), SEEN_UPDATE_TTL)
    if hint is not None:
        note_known_profile(batch, *hint)
    try:
        batch.execute()
    except redis.RedisError:
        # Handled and answered 200, so Telegram will not deliver it again; its in-flight claim simply expires.
        log.warning("telegram update %s was handled but not marked so, Redis is unavailable", update_id)


def _release(update_id: int) -> None:
    """Drop the claim, so that Telegram's redelivery is handled (if Redis is down, the claim expires instead)."""
    try:
        redis_client.delete(_seen_key(update_id))
    except redis.RedisError:
        log.warning("telegram update %s: its claim could not be released, Redis is unavailable; it expires in %ss",
                    update_id, IN_FLIGHT_TTL)


def _seen_key(update_id: int) -> str:
    return f"medsync:telegram:update:{update_id}"


def _handle(
    update: Update, sender: users.Profile | None, known: Known | None, kind: str
) -> tuple[dict[str, Any] | None, tuple[users.Profile, str | None] | None]:
    """Run the handlers in this request, in the sender's language, and commit once; on any error roll back and log
    the update id.

    Returns the Bot API call to put in the webhook's response, if a handler left one, and what the sender's row
    now holds when the hint should say so (their profile was written or checked, or they chose a language).
    """
    sender_stored = False
    choice = known.choice if known is not None else None
    try:
        replies.handling_update(update.update_id)
        if sender is not None and (known is None or known.profile != sender.fields):
            written, choice = remember_sender(sender)
            if written:
                # Committed before any handler talks to Telegram: a double tap must not wait on our network
                # round trips for the sender's row lock.
                db.session.commit()
            sender_stored = True
        with in_language(_language(sender, choice)):
            get_bot().process_new_updates([update])
        db.session.commit()
        metrics.webhook_update(kind, "handled")
        chosen = chosen_in_this_update()
        if chosen is not None:
            choice, sender_stored = chosen, True
        if erased_in_this_update():
            sender_stored = False  # their row is gone: their next update writes a new one
        return webhook_reply.take_for(update), (sender, choice) if sender_stored else None
    except Exception as exc:  # noqa: BLE001 - answered 200 on purpose: a retry storm helps nobody
        with in_language(_language(sender, choice)):
            failure_reply = webhook_reply.take_after_failure(update)  # a press is still answered
        db.session.rollback()
        if _connection_lost(exc) and not transport.spoke():
            # PostgreSQL or Redis went away under this update (a restart) before anything reached the chat: nothing
            # happened, so Telegram may deliver it again (it retries a webhook answered 5xx) without a duplicate.
            log.warning("telegram update %s met a lost %s connection; asked Telegram to deliver it again",
                        update.update_id, "database" if isinstance(exc, DBAPIError) else "Redis")
            raise DeliverAgain() from exc
        log_failure(log, exc, "telegram update %s failed", update.update_id)
        metrics.webhook_update(kind, "failed")
        return failure_reply, (sender, choice) if sender_stored and chosen_in_this_update() is None else None


def _language(sender: users.Profile | None, choice: str | None) -> str:
    """The sender's language: their choice, else what their Telegram says in this very update."""
    return user_language(choice, sender.language_code if sender is not None else None)


def _connection_lost(exc: Exception) -> bool:
    """A dropped PostgreSQL connection (the pool was invalidated) or an unreachable Redis."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated
    return isinstance(exc, (redis.ConnectionError, redis.TimeoutError))


class DeliverAgain(Exception):
    """The update changed nothing and told nobody: answer 5xx so Telegram delivers it again."""

"""The bot's replies, kept when Telegram cannot take them: a reply refused with a 5xx or a 429, or lost
on the network, becomes an outbox row that the workers deliver later (once; see README "Delivery").

The webhook has already claimed the update, so Telegram's own redelivery would be ignored: without
this, a patient's /start or button press would get nothing. Any other refusal (a 4xx about the
request itself) is a bug and propagates as before.
"""
from __future__ import annotations

import uuid
from io import BytesIO
from typing import Any

import redis
import requests
import telebot
from flask import has_request_context, request
from telebot import apihelper
from telebot.apihelper import ApiHTTPException, ApiTelegramException
from telebot.types import (
    Chat, InlineKeyboardMarkup, InputFile, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update,
)

from medsync.redis_batch import RedisBatch
from medsync.bot.documents import ResultDocument, send_result_document
from medsync.bot.staff import chat_commands
from medsync.bot import texts
from medsync.extensions import db, redis_client
from medsync.models import DataExport, MessageKind, Result
from medsync.services import data_export, outbox, staff_accounts, users

_UPDATE_KEY = "medsync.telegram_update_id"
_CHAT_NEWEST_KEY = users.CHAT_NEWEST_KEY
CHAT_ACTIVITY_TTL = 24 * 3600  # longer than any retry of a queued reply
# The Bot API takes uploads of up to 50 MB.
EXPORT_UPLOAD_LIMIT = 49 * 1024 * 1024


def handling_update(update_id: int) -> None:
    """The webhook names the update being handled, so a queued reply can be traced to it."""
    request.environ[_UPDATE_KEY] = update_id


def note_chat_activity(batch: RedisBatch, update: Update) -> None:
    """Remember the chat's newest update: an edit queued while handling an older one is stale (see `stale_edit`)."""
    chat = _chat_of(update)
    if chat is not None:
        batch.set(_CHAT_NEWEST_KEY.format(chat.id), update.update_id, ex=CHAT_ACTIVITY_TTL)


def stale_edit(chat_id: int, reply: dict[str, Any]) -> bool:
    """Has the chat sent a newer update since this queued edit was made? Then its screen has moved on: a late
    edit would put an old screen (a "booked" card, an old page) over the newer one."""
    if reply.get("method") != "editMessageText" or reply.get("update_id") is None:
        return False
    try:
        newest = redis_client.get(_CHAT_NEWEST_KEY.format(chat_id))
    except redis.RedisError:
        return False  # unsure: deliver; an extra edit is better than a lost one
    return newest is not None and int(newest) > reply["update_id"]


def send_message(bot: telebot.TeleBot, chat_id: int, text: str,
                 reply_markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
                 ) -> Message | None:
    """sendMessage now (returns the message), or later through the outbox (returns None)."""
    text = str(text)  # a lazy text rendered now, in the language of the chat being answered
    try:
        return bot.send_message(chat_id, text, reply_markup=reply_markup)
    except Exception as exc:
        _later_or_raise(exc, chat_id, {"method": "sendMessage", "text": text, "reply_markup": _markup(reply_markup)})
    return None


def edit_message_text(bot: telebot.TeleBot, message: Message, text: str, reply_markup: InlineKeyboardMarkup) -> None:
    """Replace a message's text and keyboard in place; a double tap's "message is not modified" is fine."""
    text = str(text)
    try:
        # pyTelegramBotAPI's own call, without TeleBot's wrapper: that one parses the edited message Telegram sends
        # back (every button of its keyboard) into objects nobody reads.
        apihelper.edit_message_text(bot.token, text, chat_id=message.chat.id, message_id=message.message_id,
                                    parse_mode=bot.parse_mode, reply_markup=reply_markup)
    except Exception as exc:
        if _not_modified(exc):
            return
        _later_or_raise(exc, message.chat.id, {
            "method": "editMessageText", "message_id": message.message_id, "text": text,
            "reply_markup": _markup(reply_markup),
        })


def send_text_document(bot: telebot.TeleBot, chat_id: int, file_name: str, content: str, caption: str) -> None:
    """A small text file (an .ics event) as a document, now or later."""
    caption = str(caption)
    try:
        bot.send_document(chat_id, InputFile(BytesIO(content.encode()), file_name=file_name), caption=caption)
    except Exception as exc:
        _later_or_raise(exc, chat_id, {"method": "sendDocument", "file_name": file_name, "content": content,
                                       "caption": caption})


def send_result(bot: telebot.TeleBot, chat_id: int, result: Result, caption: str) -> None:
    """A result PDF, protected; if Telegram cannot take it now, the workers send it as a result message."""
    try:
        send_result_document(bot, chat_id, ResultDocument.of(result), caption)
    except Exception as exc:
        if not _transient(exc):
            raise
        outbox.queue_message(
            MessageKind.RESULT, booking_id=result.booking_id, chat_id=chat_id, result_id=result.id,
            dedupe_key=outbox.dedupe_key("result", result.id, _reply_key()),
        )


def deliver(bot: telebot.TeleBot, chat_id: int, reply: dict[str, Any]) -> Message | None:
    """Send a queued reply (the workers' side); an edit that changes nothing counts as delivered (None). A staff
    account's change of access (see staff_accounts) is delivered here too."""
    if reply["method"] == staff_accounts.SYNC_CHAT_COMMANDS:
        chat_commands.sync(bot, chat_id)
        return None
    if reply["method"] == staff_accounts.ACCESS_ENDED:
        return chat_commands.tell_access_ended(bot, chat_id)
    if reply["method"] == data_export.SEND_EXPORT:
        return send_data_export(bot, chat_id, reply["export_id"])
    markup = InlineKeyboardMarkup.de_json(reply["reply_markup"]) if reply.get("reply_markup") else None
    if reply["method"] == "sendMessage":
        return bot.send_message(chat_id, reply["text"], reply_markup=markup)
    if reply["method"] == "sendDocument":
        document = InputFile(BytesIO(reply["content"].encode()), file_name=reply["file_name"])
        return bot.send_document(chat_id, document, caption=reply["caption"])
    try:
        edited = bot.edit_message_text(reply["text"], chat_id=chat_id, message_id=reply["message_id"],
                                       reply_markup=markup)
    except ApiTelegramException as exc:
        if _not_modified(exc):
            return None
        raise
    return edited if isinstance(edited, Message) else None


def send_data_export(bot: telebot.TeleBot, chat_id: int, export_id: int) -> Message | None:
    """The patient's data export as a protected ZIP, decrypted in memory; too large for the Bot API's upload limit, a
    message pointing to the Mini App instead. An export erased meanwhile is not sent (None)."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.user_id != chat_id or export.storage_path is None:
        return None
    if export.size_bytes and export.size_bytes > EXPORT_UPLOAD_LIMIT:
        return bot.send_message(chat_id, str(texts.EXPORT_TOO_LARGE))
    document = InputFile(BytesIO(data_export.export_content(export)), file_name=data_export.file_name(export))
    return bot.send_document(chat_id, document, caption=str(texts.EXPORT_CAPTION), protect_content=True)


def _later_or_raise(exc: Exception, chat_id: int, reply: dict[str, Any]) -> None:
    if not _transient(exc):
        raise exc
    reply["update_id"] = request.environ.get(_UPDATE_KEY) if has_request_context() else None
    outbox.queue_message(MessageKind.REPLY, booking_id=None, chat_id=chat_id, dedupe_key=_reply_key(),
                         payload={"reply": reply})


def _transient(exc: Exception) -> bool:
    """Telegram's trouble, not the request's: worth sending again later."""
    if isinstance(exc, ApiTelegramException):
        return exc.error_code >= 500 or exc.error_code == 429
    return isinstance(exc, (requests.RequestException, ApiHTTPException))


def _not_modified(exc: Exception) -> bool:
    return (isinstance(exc, ApiTelegramException) and exc.error_code == 400
            and "message is not modified" in (exc.description or ""))


def _markup(markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None) -> str | None:
    return markup.to_json() if markup is not None else None


def _chat_of(update: Update) -> Chat | None:
    if update.message is not None:
        return update.message.chat
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat
    if update.my_chat_member is not None:
        return update.my_chat_member.chat
    return None


def _reply_key() -> str:
    """reply:<update id>:<random>: a row of its own per reply (Telegram reuses update ids after long pauses)."""
    update_id = request.environ.get(_UPDATE_KEY, "-") if has_request_context() else "-"
    return outbox.dedupe_key("reply", update_id, uuid.uuid4().hex[:16])

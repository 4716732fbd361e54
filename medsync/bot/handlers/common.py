"""What every handler shares: reading callback data safely, editing a message in place, answering."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import telebot
from flask import has_request_context
from telebot.callback_data import CallbackData
from telebot.types import CallbackQuery, InlineKeyboardMarkup, Message

from medsync.bot import replies, texts
from medsync.bot.reply import answer_call, webhook_reply
from medsync.config import current_settings

LISTS = ("upcoming", "past")
PER_PAGE = 5
CallbackHandler = Callable[[CallbackQuery, telebot.TeleBot], None]


@dataclass(frozen=True)
class Position:
    """Which list and page a screen was opened from, so Back returns there."""

    when: str = "upcoming"
    page: int = 1


def webapp_url() -> str:
    return current_settings().WEBAPP_URL


def on_callback(bot: telebot.TeleBot, factory: CallbackData, handler: CallbackHandler) -> None:
    """Route callback queries whose data this factory parses to `handler`."""
    bot.register_callback_query_handler(handler, func=lambda call: _may_be(factory, call) and fields(factory, call)
                                        is not None, pass_bot=True)


def _may_be(factory: CallbackData, call: CallbackQuery) -> bool:
    """Cheap first look (telebot asks every handler in turn): only data with this factory's prefix can parse."""
    data = call.data or ""
    return data == factory.prefix or data.startswith(factory.prefix + factory.sep)


def fields(factory: CallbackData, call: CallbackQuery) -> dict[str, str] | None:
    """The callback data's named parts, or None when it is not this factory's data."""
    try:
        return factory.parse(call.data or "")
    except ValueError:
        return None


def identifier(text: str | None) -> int | None:
    """A database id from callback data (which a client can forge): a positive integer, else None."""
    if not text or not text.isdigit() or len(text) > 18:
        return None
    return int(text) or None


def position(data: dict[str, str]) -> Position | None:
    """The list and page named in callback data, or None when forged."""
    page = identifier(data.get("page"))
    if data.get("when") not in LISTS or page is None:
        return None
    return Position(data["when"], page)


def answer(bot: telebot.TeleBot, call: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Stop the button's spinner, optionally with a short notice.

    Inside the webhook the answer rides on the webhook's own HTTP response (Telegram runs a method
    given there): one Bot API round trip fewer per button press. A second answer is sent directly.
    """
    if has_request_context() and webhook_reply.get() is None:
        webhook_reply.set(answer_call(call.id, text, alert))
        return
    bot.answer_callback_query(call.id, None if text is None else str(text), show_alert=alert)
    if has_request_context():
        webhook_reply.note_answered()


def not_found(bot: telebot.TeleBot, call: CallbackQuery) -> None:
    """The one answer for anything that does not exist or is not the presser's: reveals nothing."""
    answer(bot, call, texts.NOT_FOUND)


def show(bot: telebot.TeleBot, message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    """Replace a message's text and keyboard in place (later, through the outbox, if Telegram fails now)."""
    replies.edit_message_text(bot, message, text, markup)

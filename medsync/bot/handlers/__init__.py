"""Bot handlers: plain functions, registered on a bot by register_handlers(bot)."""
from __future__ import annotations

import telebot
from telebot import util
from telebot.types import CallbackQuery, Message

from medsync.bot import callbacks, staff, texts
from medsync.bot.handlers import (
    bookings, contact, language, menu, my_data, rebooking, reminder_buttons, results, users, webapp,
)
from medsync.bot.handlers.common import answer, on_callback
__all__ = ["register_handlers"]


def register_handlers(bot: telebot.TeleBot) -> None:
    """Register every handler: first what the bot cannot act on, then staff (an invite is a /start deep link), the
    catch-all for stale buttons last. telebot hands an update to the first handler that accepts it."""
    bot.register_message_handler(ignore_senderless, func=lambda message: message.from_user is None,
                                 content_types=util.content_type_media + util.content_type_service)
    bot.register_callback_query_handler(answer_unreachable, func=lambda call: not isinstance(call.message, Message),
                                        pass_bot=True)
    staff.register(bot)
    for module in (menu, language, bookings, results, my_data, reminder_buttons, rebooking, webapp, contact, users):
        module.register(bot)
    on_callback(bot, callbacks.page_label, answer_page_label)
    bot.register_callback_query_handler(answer_stale_button, func=lambda call: True, pass_bot=True)


def ignore_senderless(message: Message) -> None:
    """A message with no `from` (sent on behalf of a channel, or in one): nobody to answer or check; ignored."""


def answer_unreachable(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A press on a message the bot cannot reach (sent in inline mode, or too old: Telegram leaves it out or sends
    it as inaccessible): nothing can be shown in place, so the press is only answered."""
    answer(bot, call, texts.MESSAGE_UNREACHABLE)


def answer_page_label(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The "2/3" between the arrows does nothing, but its press is answered."""
    answer(bot, call)


def answer_stale_button(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A button no handler knows (an old keyboard): still answered, so the spinner stops."""
    answer(bot, call, texts.NOT_AVAILABLE)

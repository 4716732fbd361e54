"""Bot handlers: plain functions, registered on a bot by register_handlers(bot)."""
from __future__ import annotations

import telebot
from telebot.types import CallbackQuery

from medsync.bot import callbacks, staff, texts
from medsync.bot.handlers import bookings, menu, reminders, results, users, webapp
from medsync.bot.handlers.common import answer, on_callback
__all__ = ["register_handlers"]


def register_handlers(bot: telebot.TeleBot) -> None:
    """Register every handler: staff first (an invite is a /start deep link), the catch-all for stale buttons last."""
    staff.register(bot)
    for module in (menu, bookings, results, reminders, webapp, users):
        module.register(bot)
    on_callback(bot, callbacks.page_label, answer_page_label)
    bot.register_callback_query_handler(answer_stale_button, func=lambda call: True, pass_bot=True)


def answer_page_label(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The "2/3" between the arrows does nothing, but its press is answered."""
    answer(bot, call)


def answer_stale_button(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A button no handler knows (an old keyboard): still answered, so the spinner stops."""
    answer(bot, call, texts.NOT_AVAILABLE)

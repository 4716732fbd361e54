"""/language: the language the bot writes in, chosen with a button and stored (it wins over Telegram's from then on,
in the chat, the Mini App and every message the workers send)."""
from __future__ import annotations

import telebot
from telebot.types import CallbackQuery, Message

from medsync.bot import callbacks, keyboards, replies, texts
from medsync.bot.handlers.common import answer, fields, not_found, on_callback, show, webapp_url
from medsync.bot.handlers.users import note_choice
from medsync.extensions import db
from medsync.i18n import LANGUAGES, in_language
from medsync.services import languages


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(ask_language, commands=["language"], chat_types=["private"], pass_bot=True)
    on_callback(bot, callbacks.choose_language, choose_language)


def ask_language(message: Message, bot: telebot.TeleBot) -> None:
    replies.send_message(bot, message.chat.id, texts.CHOOSE_LANGUAGE, keyboards.languages())


def choose_language(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Store the choice (committed before the answer), then answer in the language chosen with the main menu."""
    language = fields(callbacks.choose_language, call)["language"]
    if language not in LANGUAGES:
        return not_found(bot, call)
    languages.choose(call.from_user.id, language)
    db.session.commit()
    note_choice(language)
    with in_language(language):
        show(bot, call.message, texts.LANGUAGE_CHOSEN, keyboards.main_menu(webapp_url()))
        answer(bot, call)

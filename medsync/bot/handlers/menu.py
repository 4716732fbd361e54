"""/start and /help: the welcome and the main menu."""
from __future__ import annotations

import telebot
from telebot.types import Message

from medsync.bot import keyboards, replies, texts
from medsync.bot.handlers.common import webapp_url


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(send_welcome, commands=["start"], chat_types=["private"], pass_bot=True)
    bot.register_message_handler(send_help, commands=["help"], chat_types=["private"], pass_bot=True)


def send_welcome(message: Message, bot: telebot.TeleBot) -> None:
    replies.send_message(bot, message.chat.id, texts.welcome(message.from_user.first_name),
                         keyboards.main_menu(webapp_url()))


def send_help(message: Message, bot: telebot.TeleBot) -> None:
    replies.send_message(bot, message.chat.id, texts.HELP, keyboards.main_menu(webapp_url()))

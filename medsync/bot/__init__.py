"""The Telegram bot (pyTelegramBotAPI), fed by the Flask webhook. Nothing talks to Telegram at import time."""
from __future__ import annotations

import logging

import telebot
from flask import Flask, current_app
from telebot import apihelper

from medsync.bot import transport
from medsync.config import Settings

log = logging.getLogger(__name__)


def create_bot(settings: Settings) -> telebot.TeleBot:
    """A synchronous bot: handlers run inside the webhook request, sharing its app context and session."""
    use_bot_api(settings.TELEGRAM_API_URL)
    transport.install()
    return telebot.TeleBot(settings.BOT_TOKEN, threaded=False, parse_mode="HTML")


def use_bot_api(url: str) -> None:
    """Send pyTelegramBotAPI's calls to this Bot API (a self-hosted server, or the fake one in tests). The library
    keeps one address per process: the last app created with a bot decides it."""
    apihelper.API_URL = url + "/bot{0}/{1}"
    apihelper.FILE_URL = url + "/file/bot{0}/{1}"


def init_bot(app: Flask) -> None:
    """Create the bot and its webhook when BOT_TOKEN is set; without it the API still serves and the bot is off."""
    from medsync.bot import webhook
    from medsync.bot.handlers import register_handlers

    settings: Settings = app.config["SETTINGS"]
    if not settings.BOT_TOKEN:
        return
    bot = create_bot(settings)
    register_handlers(bot)
    app.extensions["bot"] = bot
    app.register_blueprint(webhook.blueprint)


def get_bot() -> telebot.TeleBot | None:
    """The running app's bot, or None when BOT_TOKEN is not set."""
    return current_app.extensions.get("bot")

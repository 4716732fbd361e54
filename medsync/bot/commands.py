"""`flask medsync` commands that talk to Telegram: set-webhook, delete-webhook, setup-bot."""
from __future__ import annotations

import click
import telebot
from flask.cli import AppGroup, with_appcontext
from telebot.types import BotCommand, MenuButtonWebApp, WebAppInfo

from medsync.bot import get_bot, texts
from medsync.bot.staff import chat_commands
from medsync.config import current_settings
from medsync.i18n import DEFAULT_LANGUAGE, LANGUAGES, in_language
from medsync.services import languages, staff_accounts

WEBHOOK_PATH = "/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def register(group: AppGroup) -> None:
    """Add the bot commands to the `flask medsync` group."""
    group.add_command(set_webhook)
    group.add_command(delete_webhook)
    group.add_command(setup_bot)


def _bot() -> telebot.TeleBot:
    bot = get_bot()
    if bot is None:
        raise click.ClickException("BOT_TOKEN is not set.")
    return bot


@click.command("set-webhook")
@with_appcontext
def set_webhook() -> None:
    """Point Telegram at PUBLIC_URL/telegram/webhook with the secret token (pending updates are kept)."""
    settings = current_settings()
    if not settings.PUBLIC_URL:
        raise click.ClickException("PUBLIC_URL is not set.")
    if not settings.WEBHOOK_SECRET:
        raise click.ClickException("WEBHOOK_SECRET is not set: the webhook would refuse every update.")
    url = settings.PUBLIC_URL + WEBHOOK_PATH
    _bot().set_webhook(
        url=url, secret_token=settings.WEBHOOK_SECRET, allowed_updates=ALLOWED_UPDATES,
        max_connections=settings.WEBHOOK_MAX_CONNECTIONS, drop_pending_updates=False,
    )
    click.echo(f"webhook set to {url}")


@click.command("delete-webhook")
@with_appcontext
def delete_webhook() -> None:
    """Stop Telegram sending updates to the webhook (pending updates are kept)."""
    _bot().delete_webhook(drop_pending_updates=False)
    click.echo("webhook deleted")


@click.command("setup-bot")
@with_appcontext
def setup_bot() -> None:
    """The chat's menu button opening the Mini App, the command list in each of our languages (Telegram shows a
    user the list of their Telegram's language, else the English one), and each staff member's chat's own list, in
    that member's language."""
    bot = _bot()
    # One button for every chat (Telegram has no menu button per language): in the default language.
    menu_button = MenuButtonWebApp(str(texts.MENU_BUTTON), WebAppInfo(current_settings().WEBAPP_URL))
    bot.set_chat_menu_button(menu_button=menu_button)
    for language in LANGUAGES:
        with in_language(language):
            commands = [BotCommand(command, str(description)) for command, description in texts.COMMANDS]
        bot.set_my_commands(commands, language_code=None if language == DEFAULT_LANGUAGE else language)
    # Members bound before their lists were kept (or whose row was given up on) are brought in step here.
    accounts = staff_accounts.active_accounts()
    for telegram_id in accounts:
        with in_language(languages.of_chat(telegram_id)):
            chat_commands.sync(bot, telegram_id)
    click.echo(f"menu button and commands set; staff commands set in {len(accounts)} staff chat(s)")

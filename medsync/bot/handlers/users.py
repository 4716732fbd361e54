"""Who is writing: every update refreshes its sender; my_chat_member tells whether they blocked the bot."""
from __future__ import annotations

import telebot
from telebot.types import ChatMemberUpdated, Update, User

from medsync.services import users


def register(bot: telebot.TeleBot) -> None:
    bot.register_my_chat_member_handler(record_reachability)


def remember_sender(update: Update) -> None:
    """Upsert the user behind a message, button press or membership change (id, username, name, language)."""
    sender = _sender(update)
    if sender is None or sender.is_bot:
        return
    users.upsert_user(
        sender.id, first_name=sender.first_name, last_name=sender.last_name,
        username=sender.username, language_code=sender.language_code,
    )


def _sender(update: Update) -> User | None:
    for event in (update.message, update.callback_query, update.my_chat_member):
        if event is not None:
            return event.from_user
    return None


def record_reachability(change: ChatMemberUpdated) -> None:
    """A private chat's "kicked" means the user blocked the bot; "member" means they are back."""
    if change.chat.type != "private":
        return
    status = change.new_chat_member.status
    if status == "kicked":
        users.set_reachable(change.from_user.id, False)
    elif status == "member":
        users.set_reachable(change.from_user.id, True)

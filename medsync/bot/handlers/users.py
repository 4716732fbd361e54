"""Who is writing: every update refreshes its sender; my_chat_member tells whether they blocked the bot."""
from __future__ import annotations

import telebot
from telebot.types import ChatMemberUpdated, Update, User

from medsync.extensions import db
from medsync.models import User as Patient
from medsync.services import users


def register(bot: telebot.TeleBot) -> None:
    bot.register_my_chat_member_handler(record_reachability)


def remember_sender(update: Update) -> bool:
    """Upsert the user behind a message, button press or membership change; True when that wrote their row."""
    sender = _sender(update)
    if sender is None or sender.is_bot:
        return False
    # Most updates come from a known user whose profile did not change: a primary-key read then spares
    # a row write (and its WAL flush at commit) on every button press.
    if _is_up_to_date(db.session.get(Patient, sender.id), sender):
        return False
    users.upsert_user(
        sender.id, first_name=sender.first_name, last_name=sender.last_name,
        username=sender.username, language_code=sender.language_code,
    )
    return True


def _is_up_to_date(known: Patient | None, sender: User) -> bool:
    return known is not None and (known.first_name, known.last_name, known.username, known.language_code) == (
        sender.first_name or "", sender.last_name, sender.username, sender.language_code
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

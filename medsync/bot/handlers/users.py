"""Who is writing: every update refreshes its sender; my_chat_member tells whether they blocked the bot."""
from __future__ import annotations

import json
from dataclasses import dataclass

import telebot
from telebot.types import ChatMemberUpdated, Update

from medsync.redis_batch import RedisBatch
from medsync.extensions import db
from medsync.models import User as Patient
from medsync.services import users


def register(bot: telebot.TeleBot) -> None:
    bot.register_my_chat_member_handler(record_reachability)


# The profile each sender's row was last seen to hold: an update from a sender whose profile is unchanged
# then needs no database round trip at all. Only a hint (the row in PostgreSQL is the truth): a lost or
# expired key costs one primary-key read, and users are never deleted, so a key never names a missing row.
_SENDER_KEY = "medsync:telegram:sender:{}"
SENDER_TTL = 24 * 3600


@dataclass(frozen=True)
class Sender:
    """The person behind an update, as Telegram describes them in it."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None

    @property
    def profile(self) -> str:
        return json.dumps([self.first_name, self.last_name, self.username, self.language_code])


def sender_of(update: Update) -> Sender | None:
    """Who sent a message, pressed a button or changed their membership; None for bots and anonymous updates."""
    for event in (update.message, update.callback_query, update.my_chat_member):
        if event is not None:
            user = event.from_user
            if user is None or user.is_bot:
                return None
            return Sender(user.id, user.first_name or "", user.last_name, user.username, user.language_code)
    return None


def read_known_profile(batch: RedisBatch, sender: Sender) -> None:
    """Queue the read of the profile last stored for this sender (its reply is the batch's next result)."""
    batch.get(_SENDER_KEY.format(sender.telegram_id))


def note_known_profile(batch: RedisBatch, sender: Sender) -> None:
    """Queue "this sender's row holds this profile" (only once that row is committed).

    Only the webhook keeps this hint: a Mini App booking that rewrites the row from its initData leaves it,
    so for up to SENDER_TTL the bot may skip writing a profile the row held before that booking. Both are
    the same person's Telegram profile; the row catches up when the profile next changes or the hint expires.
    """
    batch.set(_SENDER_KEY.format(sender.telegram_id), sender.profile, ex=SENDER_TTL)


def remember_sender(sender: Sender) -> bool:
    """Upsert the sender's row unless it already holds their profile; True when that wrote the row."""
    # Most updates come from a known user whose profile did not change: a primary-key read then spares
    # a row write (and its WAL flush at commit) on every button press.
    if _is_up_to_date(db.session.get(Patient, sender.telegram_id), sender):
        return False
    users.upsert_user(
        sender.telegram_id, first_name=sender.first_name, last_name=sender.last_name,
        username=sender.username, language_code=sender.language_code,
    )
    return True


def _is_up_to_date(known: Patient | None, sender: Sender) -> bool:
    return known is not None and (known.first_name, known.last_name, known.username, known.language_code) == (
        sender.first_name, sender.last_name, sender.username, sender.language_code
    )


def record_reachability(change: ChatMemberUpdated) -> None:
    """A private chat's "kicked" means the user blocked the bot; "member" means they are back."""
    if change.chat.type != "private":
        return
    status = change.new_chat_member.status
    if status == "kicked":
        users.set_reachable(change.from_user.id, False)
    elif status == "member":
        users.set_reachable(change.from_user.id, True)

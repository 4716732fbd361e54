"""Who is writing: every update refreshes its sender; my_chat_member tells whether they blocked the bot."""
from __future__ import annotations

import json
from dataclasses import dataclass

import telebot
from flask import request
from telebot.types import ChatMemberUpdated, Update

from medsync.redis_batch import RedisBatch
from medsync.extensions import db
from medsync.models import User as Patient
from medsync.services import users


def register(bot: telebot.TeleBot) -> None:
    bot.register_my_chat_member_handler(record_reachability)


# What each sender's row was last seen to hold, their profile and their choice of language: an update from a sender
# whose profile is unchanged then needs no database round trip at all, and is answered in their language. Only a
# hint (the row in PostgreSQL is the truth): a lost or expired key costs one primary-key read. A user is deleted only
# by erasing their data, which deletes their key too (and the webhook then notes nothing: note_erased). A choice
# made in the Mini App drops the hint (users.forget_sender_hint).
SENDER_TTL = 24 * 3600
_CHOSEN = "medsync.language_chosen"
_ERASED = "medsync.sender_erased"


@dataclass(frozen=True)
class Known:
    """What the hint says of the sender's row: the profile it holds, and the language they chose (None: none)."""

    profile: list[str | None]
    choice: str | None

    @classmethod
    def read(cls, hint: str | None) -> Known | None:
        try:
            values = json.loads(hint) if hint else None
        except ValueError:
            return None
        if not isinstance(values, list) or len(values) != 5:
            return None  # a hint from before choices were kept: read the row
        return cls(values[:4], values[4])


def sender_of(update: Update) -> users.Profile | None:
    """Who sent a message, pressed a button or changed their membership, as Telegram describes them in it; None for
    bots and anonymous updates."""
    for event in (update.message, update.callback_query, update.my_chat_member):
        if event is not None:
            user = event.from_user
            if user is None or user.is_bot:
                return None
            return users.Profile.of(user.id, first_name=user.first_name, last_name=user.last_name,
                                    username=user.username, language_code=user.language_code)
    return None


def read_known_profile(batch: RedisBatch, sender: users.Profile) -> None:
    """Queue the read of the hint kept for this sender (its reply is the batch's next result)."""
    batch.get(users.SENDER_HINT_KEY.format(sender.telegram_id))


def note_known_profile(batch: RedisBatch, sender: users.Profile, choice: str | None) -> None:
    """Queue "this sender's row holds this profile and this choice" (only once that row is committed).

    Only the webhook keeps this hint: a Mini App booking that rewrites the row from its initData leaves it,
    so for up to SENDER_TTL the bot may skip writing a profile the row held before that booking. Both are
    the same person's Telegram profile; the row catches up when the profile next changes or the hint expires.
    """
    batch.set(users.SENDER_HINT_KEY.format(sender.telegram_id), json.dumps([*sender.fields, choice]), ex=SENDER_TTL)


def remember_sender(sender: users.Profile) -> tuple[bool, str | None]:
    """Upsert the sender's row unless it already holds their profile; whether that wrote the row, and the language
    they chose."""
    # Most updates come from a known user whose profile did not change: a primary-key read then spares
    # a row write (and its WAL flush at commit) on every button press.
    known = db.session.get(Patient, sender.telegram_id)
    choice = known.language if known is not None else None
    if sender.held_by(known):
        return False, choice
    users.write_profile(sender)
    return True, choice


def note_choice(language: str) -> None:
    """The sender chose this language while their update was handled: the webhook keeps the hint in step."""
    request.environ[_CHOSEN] = language


def note_erased() -> None:
    """The sender erased their data while their update was handled: the webhook must not note them as known again."""
    request.environ[_ERASED] = True


def erased_in_this_update() -> bool:
    return bool(request.environ.get(_ERASED))


def chosen_in_this_update() -> str | None:
    return request.environ.get(_CHOSEN)


def record_reachability(change: ChatMemberUpdated) -> None:
    """A private chat's "kicked" means the user blocked the bot; "member" means they are back."""
    if change.chat.type != "private":
        return
    status = change.new_chat_member.status
    if status == "kicked":
        users.set_reachable(change.from_user.id, False)
    elif status == "member":
        users.set_reachable(change.from_user.id, True)

"""A clinic's staff group: /setgroup and /unsetgroup sent in the group by an admin; the bot leaving or the group
becoming a supergroup keeps the choice true."""
from __future__ import annotations

from collections.abc import Callable

import telebot
from telebot.types import ChatMemberUpdated, Message

from medsync.bot import replies
from medsync.bot.staff import texts
from medsync.bot.staff.common import committed, member_of
from medsync.models import Clinic, StaffMember
from medsync.services import staff_groups
from medsync.services.staff_accounts import NotAllowed

GROUP_CHATS = ["group", "supergroup"]


def register(bot: telebot.TeleBot) -> None:
    """Register the group handlers."""
    bot.register_message_handler(set_group, commands=["setgroup"], chat_types=GROUP_CHATS, pass_bot=True)
    bot.register_message_handler(unset_group, commands=["unsetgroup"], chat_types=GROUP_CHATS, pass_bot=True)
    bot.register_message_handler(follow_migration, content_types=["migrate_to_chat_id"], chat_types=GROUP_CHATS)
    bot.register_my_chat_member_handler(forget_group_left, func=lambda change: change.chat.type in GROUP_CHATS)


def set_group(message: Message, bot: telebot.TeleBot) -> None:
    """An admin makes this group their clinics' staff group."""
    _as_admin(message, bot, staff_groups.set_group, texts.group_set)


def unset_group(message: Message, bot: telebot.TeleBot) -> None:
    """An admin stops this group getting their clinics' news."""
    _as_admin(message, bot, staff_groups.unset_group, texts.group_unset)


def _as_admin(message: Message, bot: telebot.TeleBot, change: Callable[[StaffMember, int], list[Clinic]],
              done: Callable[[list[Clinic]], str]) -> None:
    """Run the change for an admin; staff of other roles are told no, and anyone else is not answered at all."""
    member = member_of(message.from_user.id)
    if member is None:
        return
    try:
        # Committed before the group is told so, and the clinics' group rows are not locked while Telegram answers.
        clinics = committed(lambda: change(member, message.chat.id))
    except NotAllowed:
        return replies.send_message(bot, message.chat.id, texts.GROUP_ADMINS_ONLY)
    replies.send_message(bot, message.chat.id, done(clinics))


def follow_migration(message: Message) -> None:
    """The group became a supergroup: its digests follow it to the new chat id."""
    staff_groups.move_chat(message.chat.id, message.migrate_to_chat_id)


def forget_group_left(change: ChatMemberUpdated) -> None:
    """The bot left or was removed from a group: no digests go there any more."""
    if change.new_chat_member.status in ("left", "kicked"):
        staff_groups.forget_chat(change.chat.id)

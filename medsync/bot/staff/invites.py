"""Opening a staff invite: `/start staff-<code>` binds the Telegram account that opened it."""
from __future__ import annotations

import telebot
from telebot import util
from telebot.types import Message

from medsync.bot import replies
from medsync.bot.staff import texts
from medsync.bot.staff.common import committed
from medsync.services import staff_accounts
from medsync.services.staff_accounts import INVITE_PREFIX, AlreadyStaff, InviteInvalid


def register(bot: telebot.TeleBot) -> None:
    """Register the invite handler."""
    # Before the patients' /start, which would otherwise take the deep link.
    bot.register_message_handler(open_invite, commands=["start"], chat_types=["private"], func=_is_invite,
                                 pass_bot=True)


def _is_invite(message: Message) -> bool:
    return (util.extract_arguments(message.text or "") or "").startswith(INVITE_PREFIX)


def open_invite(message: Message, bot: telebot.TeleBot) -> None:
    """Bind this account (once); a used, expired or unknown code gets one neutral refusal."""
    code = util.extract_arguments(message.text)[len(INVITE_PREFIX):]
    sender = message.from_user
    try:
        member = committed(lambda: staff_accounts.bind(
            code, telegram_id=sender.id, display_name=" ".join(filter(None, (sender.first_name, sender.last_name)))))
    except InviteInvalid:
        return replies.send_message(bot, message.chat.id, texts.INVITE_INVALID)
    except AlreadyStaff:
        return replies.send_message(bot, message.chat.id, texts.ALREADY_STAFF)
    replies.send_message(bot, message.chat.id, texts.welcome(member))

"""The command list a staff member's private chat shows, kept in step with their access (Bot API command scopes).

Telegram shows a chat the list set for that chat's scope, else the default one. A staff member's chat gets the
patients' commands and the staff ones their role may use; when the account is no longer staff, that chat's list is
deleted and it shows the default again. The workers make these calls from outbox rows queued in the transaction
that binds or revokes the member (staff_accounts), so a change is never lost while Telegram is down and never made
inside a transaction. A row says only "bring this chat in step": the list follows the account as it is when the
row is delivered, so rows delivered late, twice or out of order still leave the right list.
"""
from __future__ import annotations

import telebot
from telebot.types import BotCommand, BotCommandScopeChat, Message

from medsync.bot import texts as patient_texts
from medsync.bot.staff import texts
from medsync.extensions import db
from medsync.models import StaffMember
from medsync.services import staff_accounts


def commands_for(member: StaffMember) -> list[BotCommand]:
    """The patients' commands, then the staff commands this member's role may use."""
    staff = [(command, description) for command, description in texts.STAFF_COMMANDS
             if command not in ("remind", "find", "tocall") or member.can_remind()]
    return [BotCommand(command, str(description)) for command, description in (*patient_texts.COMMANDS, *staff)]


def sync(bot: telebot.TeleBot, chat_id: int) -> StaffMember | None:
    """Set or delete the chat's own list as the account is now; returns the active member, if there is one."""
    member = staff_accounts.active_member(chat_id)
    commands = commands_for(member) if member is not None else None
    db.session.commit()  # a read only: nothing stays open while talking to Telegram
    scope = BotCommandScopeChat(chat_id)
    if commands is not None:
        bot.set_my_commands(commands, scope=scope)
    else:
        bot.delete_my_commands(scope=scope)
    return member


def tell_access_ended(bot: telebot.TeleBot, chat_id: int) -> Message | None:
    """The staff list leaves the chat and its owner is told their access ended (unless they were invited again)."""
    if sync(bot, chat_id) is not None:
        return None
    return bot.send_message(chat_id, str(texts.ACCESS_ENDED))

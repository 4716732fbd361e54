"""/find <name or phone>: the front desk finds a patient of their clinics, with their next visits as buttons."""
from __future__ import annotations

import telebot
from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from medsync.bot import replies
from medsync.bot.staff import callbacks, texts
from medsync.bot.staff.common import as_patient, command_argument, member_of
from medsync.errors import InvalidRequest
from medsync.services import patient_search, privacy_audit

SHOWN = 8


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(find_patient, commands=["find"], chat_types=["private"], pass_bot=True)


def find_patient(message: Message, bot: telebot.TeleBot) -> None:
    """The patients whose name or phone holds the words (reception and admins: a doctor keeps to their own day)."""
    member = member_of(message.from_user.id)
    if member is None:
        return as_patient(message, bot)
    if not member.can_remind():  # the desk's work: every patient of the clinic, not a doctor's own visits
        return replies.send_message(bot, message.chat.id, texts.FIND_NOT_FOR_DOCTORS)
    try:
        found = patient_search.search(command_argument(message), within=member.clinic_ids, per_page=SHOWN)
    except InvalidRequest:
        return replies.send_message(bot, message.chat.id, texts.FIND_HELP)
    privacy_audit.patients_found(member.actor_id, [item.patient.id for item in found.items], within=member.clinic_ids)
    replies.send_message(bot, message.chat.id, texts.found_patients(found.items, found.total),
                         _visit_buttons(found.items) or None)


def _visit_buttons(found: list[patient_search.Found]) -> InlineKeyboardMarkup | None:
    """A button per next visit of the patients shown, opening its card."""
    rows = [[InlineKeyboardButton(texts.found_visit_button(item.patient.full_name, visit),
                                  callback_data=callbacks.visit_card.new(visit.id, 1))]
            for item in found for visit in item.upcoming[:2]]
    return InlineKeyboardMarkup(rows) if rows else None

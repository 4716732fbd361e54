"""/tocall: the front desk's call list in the chat — the patients to phone at the member's clinics, and why."""
from __future__ import annotations

import telebot
from telebot.types import Message

from medsync.bot import replies
from medsync.bot.staff import texts
from medsync.bot.staff.common import as_patient, member_of
from medsync.extensions import db
from medsync.services import call_list, privacy_audit


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(patients_to_call, commands=["tocall"], chat_types=["private"], pass_bot=True)


def patients_to_call(message: Message, bot: telebot.TeleBot) -> None:
    """Reception and admins: every clinic of theirs, soonest visit first (a doctor keeps to their own day)."""
    member = member_of(message.from_user.id)
    if member is None:
        return as_patient(message, bot)
    if not member.can_remind():
        return replies.send_message(bot, message.chat.id, texts.TO_CALL_NOT_FOR_DOCTORS)
    by_clinic = {clinic_id: call_list.to_call(clinic_id, days=call_list.CHAT_DAYS)
                 for clinic_id in sorted(member.clinic_ids)}
    privacy_audit.bookings_listed(member.actor_id, {clinic_id: [row.booking_id for row in rows]
                                                    for clinic_id, rows in by_clinic.items()},
                                  listing=privacy_audit.TO_CALL)
    db.session.commit()
    rows = [row for listed in by_clinic.values() for row in listed]
    replies.send_message(bot, message.chat.id, texts.patients_to_call(rows))

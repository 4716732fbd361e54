"""The buttons on reminder messages: "I'll come" and "Cancel". The reminder itself (when, what it says, how it is
queued): medsync.services.reminders; the buttons are drawn by bot/keyboards.py's `reminder_notification`."""
from __future__ import annotations

import telebot
from telebot.types import CallbackQuery

from medsync.bot import callbacks, texts
from medsync.bot.handlers.bookings import owned_booking, show_cancel_question
from medsync.bot.handlers.common import Position, answer, fields, identifier, not_found, on_callback
from medsync.errors import BookingNotFound, IllegalTransition
from medsync.extensions import db
from medsync.services import bookings


def register(bot: telebot.TeleBot) -> None:
    on_callback(bot, callbacks.reminder_confirm, confirm_attendance)
    on_callback(bot, callbacks.reminder_cancel, ask_to_cancel)


def confirm_attendance(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """"I'll come": recorded once as a booking event."""
    booking_id = identifier(fields(callbacks.reminder_confirm, call)["booking_id"])
    try:
        with db.session.begin_nested():
            bookings.confirm_attendance(booking_id or 0, user_id=call.from_user.id)
        db.session.commit()  # recorded before the patient sees "thank you"
    except BookingNotFound:
        return not_found(bot, call)
    except IllegalTransition:
        return answer(bot, call, texts.NO_LONGER_ACTIVE)
    answer(bot, call, texts.ATTENDANCE_CONFIRMED)


def ask_to_cancel(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """"Cancel": the same Yes/No question as in "My bookings", in place of the reminder."""
    booking = owned_booking(call, fields(callbacks.reminder_cancel, call))
    if booking is None:
        return not_found(bot, call)
    show_cancel_question(bot, call, booking, Position())

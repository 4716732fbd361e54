"""The offered times under a visit the clinic cancelled (its schedule changed): one tap books one."""
from __future__ import annotations

from datetime import datetime, timezone

import telebot
from sqlalchemy import select
from telebot.types import CallbackQuery

from medsync import clock, log_context, metrics
from medsync.bot import callbacks, keyboards, texts
from medsync.bot.handlers.common import answer, fields, identifier, not_found, on_callback, show
from medsync.bot.notifications import schedule_cancellation, schedule_cancellation_text, visit_details
from medsync.errors import NotFound, PatientBusy, SlotTaken, SlotUnavailable
from medsync.extensions import db
from medsync.models import Booking, MessageKind, OutboxMessage
from medsync.services import bookings, rebooking


def register(bot: telebot.TeleBot) -> None:
    on_callback(bot, callbacks.rebook, book_offer)


def book_offer(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Book the pressed time; when it was taken meanwhile, say so and show the times free now in its place."""
    data = fields(callbacks.rebook, call)
    booking_id, minutes = identifier(data["booking_id"]), identifier(data["at"])
    doctor_id = None if data["doctor_id"] == "0" else identifier(data["doctor_id"])
    if booking_id is None or minutes is None or (doctor_id is None and data["doctor_id"] != "0"):
        return not_found(bot, call)
    log_context.bind(booking_id=booking_id)
    try:
        cancelled = bookings.get_booking(booking_id, user_id=call.from_user.id)
    except NotFound:
        return not_found(bot, call)
    starts_at = datetime.fromtimestamp(minutes * 60, timezone.utc)
    try:
        with metrics.booking_attempt("made", "bot"), db.session.begin_nested():
            booked = rebooking.book_offer(cancelled, user_id=call.from_user.id, doctor_id=doctor_id,
                                          starts_at=starts_at)
        db.session.commit()  # booked before the patient is told so
    except (SlotTaken, SlotUnavailable, PatientBusy):
        _show_offers_now(bot, call, cancelled)
        return answer(bot, call, texts.OFFER_TAKEN, alert=True)
    except rebooking.AlreadyRebooked as refused:
        return answer(bot, call, str(refused.message), alert=True)
    except NotFound:
        return answer(bot, call, texts.OFFER_GONE, alert=True)
    booked = bookings.get_booking(booked.id, user_id=call.from_user.id)
    line = texts.REBOOKED_LINE.format(when=texts.visit_time(booked), service=booked.service_name)
    show(bot, call.message, f"{_cancellation_text(cancelled)}\n\n<b>{line}</b>", keyboards.rebooked(booked))
    answer(bot, call, texts.REBOOKED)


def _show_offers_now(bot: telebot.TeleBot, call: CallbackQuery, cancelled: Booking) -> None:
    """The message as it would be sent now: the same text, the times free now."""
    change = _change_of(cancelled)
    if change is None:
        return
    notification = schedule_cancellation(cancelled, change, now=clock.now())
    show(bot, call.message, notification.text, notification.reply_markup)


def _cancellation_text(cancelled: Booking) -> str:
    change = _change_of(cancelled)
    return visit_details(cancelled) if change is None else schedule_cancellation_text(cancelled, change)


def _change_of(cancelled: Booking) -> dict | None:
    """The schedule change the visit's cancellation message was about (None: it was cancelled otherwise)."""
    payload = db.session.scalar(select(OutboxMessage.payload).where(
        OutboxMessage.dedupe_key == f"booking:{cancelled.id}:cancellation",
        OutboxMessage.kind == MessageKind.CANCELLATION.value,
    ))
    return (payload or {}).get("schedule_change")


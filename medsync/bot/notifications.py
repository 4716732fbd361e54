"""Outbox rows rendered as Telegram messages: text in clinic-local time, reminder buttons, result captions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from medsync.bot import texts
from medsync.bot.callbacks import reminder_cancel, reminder_confirm
from medsync.models import Booking, MessageKind, OutboxMessage, Result
from medsync.services.results import file_path


@dataclass(frozen=True)
class ResultDocument:
    """A result file to send: by Telegram's file_id once uploaded, else from disk."""

    result_id: int
    file_name: str
    path: Path
    telegram_file_id: str | None


@dataclass(frozen=True)
class Notification:
    """What to send: a text message, or a result document with `text` as its caption. Plain values only."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    document: ResultDocument | None = None


def render(message: OutboxMessage) -> Notification:
    """The message a patient receives for this outbox row."""
    booking = message.booking
    if message.kind == MessageKind.RESULT.value:
        return _result(booking, message.result)
    details = visit_details(booking)
    if message.kind == MessageKind.REMINDER.value:
        return Notification(texts.REMINDER.format(details=details), reminder_keyboard(booking.id))
    if message.kind == MessageKind.CANCELLATION.value:
        return Notification(texts.CANCELLATION.format(details=details))
    template = texts.RESCHEDULED if message.payload.get("rescheduled_from") else texts.CONFIRMATION
    return Notification(template.format(details=details))


def visit_details(booking: Booking) -> str:
    """Who, when (clinic time, with its zone) and where."""
    return texts.VISIT_DETAILS.format(
        service=escape(booking.service_name), when=escape(clinic_time(booking.starts_at, booking.clinic.timezone)),
        clinic=escape(booking.clinic.name), address=escape(booking.clinic.address),
    )


def clinic_time(instant: datetime, zone_name: str) -> str:
    """'Wednesday, 2 December 2026, 10:00 (Europe/Kyiv)': the clinic's wall clock, never UTC."""
    local = instant.astimezone(ZoneInfo(zone_name))
    return f"{local:%A}, {local.day} {local:%B %Y, %H:%M} ({zone_name})"


def reminder_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    """"I'll come" / "Cancel" under a reminder."""
    keyboard = InlineKeyboardMarkup(row_width=2)
    keyboard.add(
        InlineKeyboardButton(texts.REMINDER_CONFIRM_BUTTON, callback_data=reminder_confirm.new(booking_id=booking_id)),
        InlineKeyboardButton(texts.REMINDER_CANCEL_BUTTON, callback_data=reminder_cancel.new(booking_id=booking_id)),
    )
    return keyboard


def _result(booking: Booking, result: Result) -> Notification:
    local = booking.starts_at.astimezone(ZoneInfo(booking.clinic.timezone))
    caption = texts.RESULT_CAPTION.format(
        title=escape(result.title), service=escape(booking.service_name), day=f"{local.day} {local:%B %Y}"
    )
    document = ResultDocument(result.id, result.file_name, file_path(result), result.telegram_file_id)
    return Notification(caption, document=document)

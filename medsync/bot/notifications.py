"""Outbox rows rendered as Telegram messages: text in clinic-local time, reminder buttons, result captions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from html import escape

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from medsync.bot import texts
from medsync.bot.callbacks import reminder_cancel, reminder_confirm
from medsync.bot.documents import ResultDocument
from medsync.bot.staff import notices as staff_notices
from medsync.models import Booking, MessageKind, OutboxMessage, Result


@dataclass(frozen=True)
class Notification:
    """What to send: a text message, or a result document with `text` as its caption. Plain values only."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    document: ResultDocument | None = None
    # A bot reply Telegram could not take during the webhook, as queued by medsync.bot.replies.
    reply: dict[str, Any] | None = None


def render(message: OutboxMessage) -> Notification:
    """The message a patient (or, for the staff kinds, a staff member or group) receives for this outbox row."""
    if message.kind == MessageKind.REPLY.value:
        return Notification("", reply=message.payload["reply"])
    if message.kind in staff_notices.STAFF_KINDS:
        return Notification(staff_notices.render_text(message))
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
        service=escape(booking.service_name), when=escape(texts.visit_time(booking)),
        clinic=escape(booking.clinic.name), address=escape(booking.clinic.address),
    )


def reminder_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    """"I'll come" / "Cancel" under a reminder."""
    keyboard = InlineKeyboardMarkup(row_width=2)
    keyboard.add(
        InlineKeyboardButton(texts.REMINDER_CONFIRM_BUTTON, callback_data=reminder_confirm.new(booking_id=booking_id)),
        InlineKeyboardButton(texts.REMINDER_CANCEL_BUTTON, callback_data=reminder_cancel.new(booking_id=booking_id)),
    )
    return keyboard


def _result(booking: Booking, result: Result) -> Notification:
    local = texts.local_time(booking)
    caption = texts.RESULT_CAPTION.format(
        title=escape(result.title), service=escape(booking.service_name), day=f"{local.day} {local:%B %Y}"
    )
    return Notification(caption, document=ResultDocument.of(result))

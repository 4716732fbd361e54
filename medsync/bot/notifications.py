"""Outbox rows rendered as Telegram messages: clinic-local times, the buttons that still apply, result captions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from telebot.types import InlineKeyboardMarkup

from medsync import clock, formats
from medsync.bot import keyboards, texts
from medsync.bot.documents import ResultDocument
from medsync.bot.staff import notices as staff_notices
from medsync.config import current_settings
from medsync.i18n import translated
from medsync.models import Actor, Booking, MessageKind, OutboxMessage, Result
from medsync.services import rebooking, reminders, results


@dataclass(frozen=True)
class Notification:
    """What to send: a text message, or a result document with `text` as its caption. Plain values only."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    document: ResultDocument | None = None
    # A bot reply Telegram could not take during the webhook, as queued by medsync.bot.replies.
    reply: dict[str, Any] | None = None


def render(message: OutboxMessage, *, now: datetime | None = None) -> Notification:
    """The message a patient (or, for the staff kinds, a staff member or group) receives for this outbox row.

    Rendered when it is sent, from the booking as it is then: a button that no longer applies at `now` is left out.
    """
    if message.kind == MessageKind.REPLY.value:
        return Notification("", reply=message.payload["reply"])
    if message.kind in staff_notices.STAFF_KINDS:
        return Notification(staff_notices.render_text(message))
    booking = message.booking
    if message.kind == MessageKind.RESULT.value:
        return _result(booking, message.result)
    now = now or clock.now()
    if message.kind == MessageKind.CANCELLATION.value:
        change = (message.payload or {}).get("schedule_change")
        return _cancellation(booking) if change is None else schedule_cancellation(booking, change, now=now)
    may_cancel, may_move = booking.can_cancel(now), booking.can_move(now)
    webapp_url = current_settings().WEBAPP_URL
    if message.kind == MessageKind.REMINDER.value:
        keyboard = keyboards.reminder_notification(booking, webapp_url, may_cancel=may_cancel, may_move=may_move)
        return Notification(reminders.text(visit_details(booking)), keyboard)
    if booking.rescheduled_from is not None:
        text = _moved(booking)
    else:
        text = texts.CONFIRMATION.format(details=visit_details(booking))
    if not (may_cancel or may_move):
        text = f"{text}\n\n{texts.TOO_LATE_TO_CHANGE}"
    keyboard = keyboards.booked_notification(booking, webapp_url, may_cancel=may_cancel, may_move=may_move)
    return Notification(text, keyboard)


def visit_details(booking: Booking) -> str:
    """Who, when (clinic time, with its zone) and where."""
    return texts.VISIT_DETAILS.format(
        service=escape(booking.service_name), when=escape(texts.visit_time(booking)),
        clinic=escape(booking.clinic.name), address=escape(booking.clinic.address),
    )


def _moved(booking: Booking) -> str:
    """From the old time to the new one, both in the clinic's time (a move stays at its clinic); the clinic's reason
    when the clinic moved it."""
    old = booking.rescheduled_from
    moved = texts.MOVED.format(
        service=escape(booking.service_name), old=escape(texts.visit_time(old)),
        new=escape(texts.visit_time(booking)), clinic=escape(booking.clinic.name),
        address=escape(booking.clinic.address),
    )
    if old.cancelled_by != Actor.PATIENT.value and old.cancel_reason:
        moved += texts.CANCEL_REASON_LINE.format(reason=escape(translated(old.cancel_reason)))
    return moved


def _cancellation(booking: Booking) -> Notification:
    """Who cancelled (the patient, or the clinic and why), and a way to book again."""
    details = visit_details(booking)
    if booking.cancelled_by == Actor.PATIENT.value:
        text = texts.CANCELLED_BY_PATIENT.format(details=details)
    else:
        reason = (texts.CANCEL_REASON_LINE.format(reason=escape(translated(booking.cancel_reason)))
                  if booking.cancel_reason else "")
        text = texts.CANCELLED_BY_CLINIC.format(reason=reason, details=details)
    return Notification(text, keyboards.cancellation_notification(booking, current_settings().WEBAPP_URL))


def schedule_cancellation(booking: Booking, change: dict[str, Any], *, now: datetime) -> Notification:
    """A visit the clinic cancelled because its schedule changed: what happened and why, and the first free times with
    the same doctor once they are back and with a colleague, each booked with one tap (read now: `rebooking`)."""
    offers = rebooking.offers_for(booking, change, now=now)
    text = f"{schedule_cancellation_text(booking, change)}\n\n{texts.OFFERS_HINT if offers else texts.NO_OFFERS_HINT}"
    return Notification(text, keyboards.rebooking_offers(booking, offers, current_settings().WEBAPP_URL))


def schedule_cancellation_text(booking: Booking, change: dict[str, Any]) -> str:
    """The clinic cancelled the visit, what took its time away and the admin's reason, and the visit."""
    why = texts.why_cancelled(change, booking)
    if booking.cancel_reason:
        why += texts.CANCEL_REASON_LINE.format(reason=escape(translated(booking.cancel_reason)))
    return texts.CANCELLED_BY_CLINIC.format(reason=why, details=visit_details(booking))


def _result(booking: Booking, result: Result) -> Notification:
    caption = texts.RESULT_CAPTION.format(title=escape(results.title_of(result)), service=escape(booking.service_name),
                                          day=formats.long_date(texts.local_time(booking).date()))
    return Notification(caption, document=ResultDocument.of(result))

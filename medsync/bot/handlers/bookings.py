""""My bookings": the paged list, a booking's details, cancel with confirmation, the .ics file."""
from __future__ import annotations

import telebot
from telebot.callback_data import CallbackData
from telebot.types import CallbackQuery, Message

from medsync import clock, log_context, metrics
from medsync.bot import callbacks, keyboards, replies, texts
from medsync.bot.handlers.common import (
    PER_PAGE, Position, answer, fields, identifier, not_found, on_callback, position, show, webapp_url,
)
from medsync.errors import BookingNotFound, CancelTooLate, IllegalTransition
from medsync.extensions import db
from medsync.models import Booking, BookingStatus
from medsync.services import bookings, calendar


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(send_bookings_command, commands=["bookings"], chat_types=["private"], pass_bot=True)
    on_callback(bot, callbacks.open_bookings, send_bookings_from_menu)
    on_callback(bot, callbacks.bookings_page, turn_page)
    on_callback(bot, callbacks.booking_details, open_details)
    on_callback(bot, callbacks.booking_cancel_ask, ask_to_cancel)
    on_callback(bot, callbacks.booking_cancel_yes, cancel_booking)
    on_callback(bot, callbacks.booking_calendar, send_calendar_file)


def send_bookings(bot: telebot.TeleBot, chat_id: int, user_id: int) -> None:
    """A new message with the first page of the user's upcoming bookings."""
    page = bookings.list_lines_for_user(user_id, when="upcoming", page=1, per_page=PER_PAGE)
    replies.send_message(
        bot, chat_id, texts.bookings_list("upcoming", page.total), keyboards.bookings_page(page, "upcoming", webapp_url())
    )


def send_bookings_command(message: Message, bot: telebot.TeleBot) -> None:
    send_bookings(bot, message.chat.id, message.from_user.id)


def send_bookings_from_menu(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    send_bookings(bot, call.message.chat.id, call.from_user.id)
    answer(bot, call)


def turn_page(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """◀ / ▶ / the upcoming-past toggle: the same message shows another page."""
    where = position(fields(callbacks.bookings_page, call))
    if where is None:
        return not_found(bot, call)
    show_page(bot, call, where)
    answer(bot, call)


def show_page(bot: telebot.TeleBot, call: CallbackQuery, where: Position) -> None:
    page = bookings.list_lines_for_user(call.from_user.id, when=where.when, page=where.page, per_page=PER_PAGE)
    show(bot, call.message, texts.bookings_list(where.when, page.total),
         keyboards.bookings_page(page, where.when, webapp_url()))


def owned_booking(call: CallbackQuery, data: dict[str, str] | None) -> Booking | None:
    """The booking named in the callback data if it is the presser's; None for forged or others' ids."""
    booking_id = identifier((data or {}).get("booking_id"))
    if booking_id is None:
        return None
    log_context.bind(booking_id=booking_id)
    try:
        return bookings.get_booking(booking_id, user_id=call.from_user.id)
    except BookingNotFound:
        return None


def _booking_and_position(call: CallbackQuery, factory: CallbackData) -> tuple[Booking, Position] | None:
    """The presser's booking and the list position named in the callback data, else None."""
    data = fields(factory, call)
    where = position(data)
    booking = owned_booking(call, data) if where is not None else None
    return (booking, where) if booking is not None else None


def open_details(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The booking's details in place of the list."""
    found = _booking_and_position(call, callbacks.booking_details)
    if found is None:
        return not_found(bot, call)
    booking, where = found
    show_details(bot, call, booking, where)
    answer(bot, call)


def show_details(bot: telebot.TeleBot, call: CallbackQuery, booking: Booking, where: Position) -> None:
    """The booking with the buttons it allows now; a booking too close to change says whom to call."""
    now = clock.now()
    show(bot, call.message, texts.booking_details(booking, too_late=booking.too_late_to_change(now)),
         keyboards.booking_details(booking, where.when, where.page, webapp_url(), now))


def ask_to_cancel(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Cancel asks Yes/No before anything changes."""
    found = _booking_and_position(call, callbacks.booking_cancel_ask)
    if found is None:
        return not_found(bot, call)
    booking, where = found
    show_cancel_question(bot, call, booking, where)


def show_cancel_question(bot: telebot.TeleBot, call: CallbackQuery, booking: Booking, where: Position) -> None:
    """The Yes/No question in place of the message; a booking that can no longer be cancelled shows its details
    (an old message's Cancel button, or a reminder's, may be pressed inside the cutoff)."""
    now = clock.now()
    if not booking.can_cancel(now):
        show_details(bot, call, booking, where)
        if booking.too_late_to_change(now):
            return answer(bot, call, texts.CANCEL_TOO_LATE, alert=True)
        return answer(bot, call, texts.NO_LONGER_ACTIVE)
    show(bot, call.message, texts.cancel_question(booking), keyboards.cancel_confirmation(booking, where.when, where.page))
    answer(bot, call)


def cancel_booking(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Yes: cancel through the booking service (its pending reminders are skipped there)."""
    found = _booking_and_position(call, callbacks.booking_cancel_yes)
    if found is None:
        return not_found(bot, call)
    booking, where = found
    try:
        with metrics.booking_attempt("cancelled", "bot"), db.session.begin_nested():
            booking = bookings.cancel(booking.id, user_id=call.from_user.id)
        # Committed before the patient is told "cancelled": the message must never get ahead of the data.
        db.session.commit()
    except CancelTooLate:
        show_details(bot, call, booking, where)
        return answer(bot, call, texts.CANCEL_TOO_LATE, alert=True)
    except IllegalTransition:
        db.session.refresh(booking)
        show_details(bot, call, booking, where)
        cancelled = booking.status == BookingStatus.CANCELLED.value
        return answer(bot, call, texts.ALREADY_CANCELLED if cancelled else texts.NO_LONGER_ACTIVE)
    show(bot, call.message, texts.cancelled(booking), keyboards.back_to_bookings(where.when, where.page))
    answer(bot, call, texts.CANCELLED)


def send_calendar_file(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The booking as an .ics document, to open in any calendar app."""
    booking = owned_booking(call, fields(callbacks.booking_calendar, call))
    if booking is None:
        return not_found(bot, call)
    replies.send_text_document(bot, call.message.chat.id, calendar.ics_file_name(booking),
                               calendar.booking_ics(booking).decode(), texts.calendar_caption(booking))
    answer(bot, call, texts.CALENDAR_SENT)

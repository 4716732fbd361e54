"""A visit's card in place of the day's list: Arrived, No-show, Completed — the booking service's own moves."""
from __future__ import annotations

from collections.abc import Callable

import telebot
from telebot.callback_data import CallbackData
from telebot.types import CallbackQuery, Message

from medsync import clock
from medsync.bot.handlers.common import answer, identifier, not_found, on_callback, show
from medsync.bot.staff import callbacks, keyboards, texts
from medsync.bot.staff.common import committed, member_and_data
from medsync.errors import BookingNotFound, IllegalTransition, SlotTaken
from medsync.extensions import db
from medsync.models import Booking, StaffMember
from medsync.services import privacy_audit, staff_agenda

_MOVES = {status.value: status for status in staff_agenda.CHAT_MOVES}
_UNDOES = {status.value: status for status in staff_agenda.UNDO_TARGETS}


def register(bot: telebot.TeleBot) -> None:
    """Register the card's handlers."""
    on_callback(bot, callbacks.visit_card, open_card)
    on_callback(bot, callbacks.visit_refresh, refresh_card)
    on_callback(bot, callbacks.visit_move, move_visit)
    on_callback(bot, callbacks.visit_undo, ask_undo_reason)
    on_callback(bot, callbacks.visit_undo_reason, undo_for_reason)


def pressed_visit(call: CallbackQuery, factory: CallbackData) -> tuple[StaffMember, Booking, dict[str, str]] | None:
    """The presser (still staff), the visit named in the data if they may see it, and the data; else None."""
    found = member_and_data(call, factory)
    booking_id = identifier(found[1]["booking_id"]) if found is not None else None
    if found is None or booking_id is None:
        return None
    member, data = found
    try:
        return member, staff_agenda.visit(member, booking_id), data
    except BookingNotFound:
        return None


def page_of(data: dict[str, str]) -> int:
    """The agenda page a card was opened from (a forged one just means page 1)."""
    return identifier(data.get("page")) or 1


def show_card(bot: telebot.TeleBot, message: Message, booking: Booking, page: int) -> None:
    """The visit's card in place of the message."""
    show(bot, message, texts.visit_card(booking), keyboards.visit_card(booking, page, clock.now()))


def open_card(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The visit's card, opened from its day (or kept after "Cancel visit")."""
    _show_pressed(call, bot, callbacks.visit_card)


def refresh_card(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The card's Refresh: the visit as it is now."""
    _show_pressed(call, bot, callbacks.visit_refresh)


def _show_pressed(call: CallbackQuery, bot: telebot.TeleBot, factory: CallbackData) -> None:
    found = pressed_visit(call, factory)
    if found is None:
        return not_found(bot, call)
    member, booking, data = found
    # The card shows the patient's name, phone and message: the read is audited (ids only).
    privacy_audit.patients_listed(member.actor_id, [booking], day=None, listing=privacy_audit.VISIT)
    show_card(bot, call.message, booking, page_of(data))
    answer(bot, call)


def move_visit(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Arrived / No-show / Completed, audited as the member; a move the visit does not allow says why."""
    found = pressed_visit(call, callbacks.visit_move)
    status = _MOVES.get(found[2]["status"]) if found is not None else None
    if found is None or status is None:
        return not_found(bot, call)
    member, booking, data = found
    change_on_card(bot, call, booking, page_of(data), lambda: staff_agenda.move(member, booking.id, status),
                   texts.MOVED[status.value])


def ask_undo_reason(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """"Back to booked" / "Arrived after all": why, as buttons; a visit that cannot take it back now shows its card."""
    found = pressed_visit(call, callbacks.visit_undo)
    status = _UNDOES.get(found[2]["status"]) if found is not None else None
    if found is None or status is None:
        return not_found(bot, call)
    _, booking, data = found
    if not (booking.is_undo(status) and booking.can_be_marked(status, clock.now())):
        show_card(bot, call.message, booking, page_of(data))
        return answer(bot, call, texts.UNDO_TOO_LATE, alert=True)
    show(bot, call.message, texts.undo_question(booking), keyboards.undo_reasons(booking, status, page_of(data)))
    answer(bot, call)


def undo_for_reason(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A reason button: take the mark back with it, audited as the member."""
    found = pressed_visit(call, callbacks.visit_undo_reason)
    status = _UNDOES.get(found[2]["status"]) if found is not None else None
    reason = texts.UNDO_REASONS.get(found[2]["reason"]) if found is not None else None
    if found is None or status is None or reason is None:
        return not_found(bot, call)
    member, booking, data = found
    change_on_card(bot, call, booking, page_of(data), lambda: staff_agenda.undo(member, booking.id, status, reason),
                   texts.UNDONE[status.value])


def change_on_card(bot: telebot.TeleBot, call: CallbackQuery, booking: Booking, page: int,
                   change: Callable[[], Booking], done: str) -> None:
    """Make the change, commit it before the desk sees it, show the card again; a refused change says why."""
    try:
        booking = committed(change)
    except (IllegalTransition, SlotTaken) as refused:
        db.session.refresh(booking)
        show_card(bot, call.message, booking, page)
        return answer(bot, call, refused.message, alert=True)
    show_card(bot, call.message, booking, page)
    answer(bot, call, done)

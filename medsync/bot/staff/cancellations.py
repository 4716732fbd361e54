"""Cancelling a visit from its card: a reason button, or "other" typed as a reply; the patient is told by the outbox."""
from __future__ import annotations

import requests
import telebot
from telebot.apihelper import ApiHTTPException, ApiTelegramException
from telebot.types import CallbackQuery, ForceReply, Message

from medsync import clock
from medsync.bot import replies
from medsync.bot.handlers.common import answer, not_found, on_callback, show
from medsync.bot.staff import callbacks, keyboards, prompts, texts
from medsync.bot.staff.common import committed, member_of
from medsync.bot.staff.visits import change_on_card, page_of, pressed_visit, show_card
from medsync.errors import BookingNotFound, IllegalTransition
from medsync.models import BookingStatus
from medsync.services import bookings, staff_agenda


def register(bot: telebot.TeleBot) -> None:
    """Register the cancelling handlers."""
    on_callback(bot, callbacks.visit_cancel, ask_reason)
    on_callback(bot, callbacks.visit_cancel_reason, cancel_for_reason)
    on_callback(bot, callbacks.visit_cancel_other, ask_other_reason)
    bot.register_message_handler(cancel_for_typed_reason, content_types=["text"], chat_types=["private"],
                                 func=_answers_a_prompt, pass_bot=True)


def ask_reason(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """The card asks why, with the usual reasons as buttons; a visit no longer booked shows its card."""
    found = pressed_visit(call, callbacks.visit_cancel)
    if found is None:
        return not_found(bot, call)
    _, booking, data = found
    refusal = bookings.transition_refusal(booking, BookingStatus.CANCELLED)
    if refusal is not None:
        show_card(bot, call.message, booking, page_of(data))
        return answer(bot, call, refusal)
    show(bot, call.message, texts.cancel_question(booking), keyboards.cancel_reasons(booking, page_of(data)))
    answer(bot, call)


def cancel_for_reason(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A reason button: cancel with it, audited as the member."""
    found = pressed_visit(call, callbacks.visit_cancel_reason)
    reason = texts.CANCEL_REASONS.get(found[2]["reason"]) if found is not None else None
    if found is None or reason is None:
        return not_found(bot, call)
    member, booking, data = found
    change_on_card(bot, call, booking, page_of(data), lambda: staff_agenda.cancel(member, booking.id, reason),
                   texts.CANCELLED)


def ask_other_reason(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A new message the member answers by replying; which visit it is about is kept with the prompt."""
    found = pressed_visit(call, callbacks.visit_cancel_other)
    if found is None:
        return not_found(bot, call)
    _, booking, _ = found
    markup = ForceReply(input_field_placeholder=str(texts.REASON_PLACEHOLDER))
    try:
        prompt = bot.send_message(call.message.chat.id, texts.reason_prompt(booking), reply_markup=markup)
    except (ApiTelegramException, ApiHTTPException, requests.RequestException):
        # Not worth a later delivery: a prompt nobody can tie to its visit. The member presses again.
        return answer(bot, call, texts.TRY_AGAIN, alert=True)
    prompts.remember(prompt.chat.id, prompt.message_id, booking.id)
    answer(bot, call)


def _answers_a_prompt(message: Message) -> bool:
    reply_to = message.reply_to_message
    return reply_to is not None and prompts.is_open(message.chat.id, reply_to.message_id)


def cancel_for_typed_reason(message: Message, bot: telebot.TeleBot) -> None:
    """The member's reply to the prompt is the reason; the visit is re-checked as if the button were pressed now."""
    booking_id = prompts.take(message.chat.id, message.reply_to_message.message_id)
    member = member_of(message.from_user.id)
    if booking_id is None or member is None:
        return
    try:
        booking = committed(lambda: staff_agenda.cancel(member, booking_id, message.text))
    except BookingNotFound:
        return
    except IllegalTransition as refused:
        return replies.send_message(bot, message.chat.id, refused.message)
    replies.send_message(bot, message.chat.id, texts.cancelled_with_reason(booking),
                         keyboards.visit_card(booking, 1, clock.now()))

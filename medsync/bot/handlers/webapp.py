"""Data the Mini App sends back to the chat (`Telegram.WebApp.sendData`)."""
from __future__ import annotations

import json

import telebot
from telebot.types import Message

from medsync import clock
from medsync.bot import keyboards, replies, texts
from medsync.bot.handlers.common import webapp_url
from medsync.errors import BookingNotFound
from medsync.services import bookings


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(
        answer_web_app_data, content_types=["web_app_data"], chat_types=["private"], pass_bot=True
    )


def answer_web_app_data(message: Message, bot: telebot.TeleBot) -> None:
    """{"action": "booking_confirmed", "booking_id": N} → that booking's confirmation, if it is the sender's."""
    action, booking_id = _parse(message.web_app_data.data)
    if action != "booking_confirmed":
        return
    try:
        booking = bookings.get_booking(booking_id or 0, user_id=message.from_user.id)
    except BookingNotFound:
        replies.send_message(bot, message.chat.id, texts.BOOKING_NOT_FOUND)
        return
    replies.send_message(bot, message.chat.id, texts.booking_confirmed(booking),
                         keyboards.booking_details(booking, "upcoming", 1, webapp_url(), clock.now()))


def _parse(data: str) -> tuple[str | None, int | None]:
    """The action and booking id; anything malformed reads as (None or the action, None)."""
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
        return None, None
    if not isinstance(payload, dict):
        return None, None
    booking_id = payload.get("booking_id")
    valid_id = isinstance(booking_id, int) and not isinstance(booking_id, bool) and 0 < booking_id < 2**31
    return payload.get("action"), booking_id if valid_id else None

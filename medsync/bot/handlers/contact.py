"""/phone: a patient booked by phone at the front desk links their Telegram by sharing their contact.

Only the contact Telegram vouches for counts: one shared with the keyboard's `request_contact` button, whose
`user_id` is the sender's own. A contact of someone else, or a number typed as text, never links anything.
"""
from __future__ import annotations

import telebot
from flask_babel import ngettext
from telebot.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from medsync import phones
from medsync.bot import replies, texts
from medsync.extensions import db
from medsync.services import patients


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(ask_contact, commands=["phone"], chat_types=["private"], pass_bot=True)
    bot.register_message_handler(link_contact, content_types=["contact"], chat_types=["private"], pass_bot=True)


def ask_contact(message: Message, bot: telebot.TeleBot) -> None:
    """Offer the one button that shares the sender's own number."""
    keyboard = ReplyKeyboardMarkup(resize_keyboard=True, one_time_keyboard=True)
    keyboard.add(KeyboardButton(str(texts.BUTTON_SHARE_PHONE), request_contact=True))
    replies.send_message(bot, message.chat.id, texts.ASK_PHONE, keyboard)


def link_contact(message: Message, bot: telebot.TeleBot) -> None:
    """The sender's own contact: their bookings made by phone become theirs (committed before they are told)."""
    contact = message.contact
    if contact.user_id != message.from_user.id:
        return _reply(bot, message, texts.NOT_YOUR_CONTACT)
    phone = phones.from_telegram(contact.phone_number or "")
    if phone is None:
        return _reply(bot, message, texts.PHONE_UNREADABLE)
    try:
        linked = patients.link_contact(message.from_user.id, phone)
    except patients.LinkRefused as refused:
        db.session.rollback()
        return _reply(bot, message, refused.message)
    db.session.commit()
    if not linked:
        return _reply(bot, message, texts.NOTHING_BOOKED_BY_PHONE)
    _reply(bot, message, ngettext(
        "Done: %(num)d visit booked by phone is now under My bookings, and I will remind you of it here.",
        "Done: %(num)d visits booked by phone are now under My bookings, and I will remind you of them here.",
        len(linked),
    ))


def _reply(bot: telebot.TeleBot, message: Message, text: str) -> None:
    replies.send_message(bot, message.chat.id, text, ReplyKeyboardRemove())

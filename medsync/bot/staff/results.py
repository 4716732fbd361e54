"""A PDF from a staff member becomes a visit's result: sent as a reply to the visit's card, or with its number
as the caption. Checked like the staff API's upload; the patient gets it through the outbox."""
from __future__ import annotations

import re

import telebot
from telebot.types import Message

from medsync.bot import replies
from medsync.bot.handlers.common import identifier
from medsync.bot.staff import callbacks, files, texts
from medsync.bot.staff.common import member_of
from medsync.config import current_settings
from medsync.errors import BookingNotFound, InvalidRequest
from medsync.extensions import db
from medsync.services import staff_agenda, staff_results

_CAPTION_NUMBER = re.compile(r"#?(\d{1,18})")


def register(bot: telebot.TeleBot) -> None:
    """Register the document handler."""
    bot.register_message_handler(receive_result, content_types=["document"], chat_types=["private"], pass_bot=True)


def receive_result(message: Message, bot: telebot.TeleBot) -> None:
    """Find the visit, fetch the file (size-capped), store it as the result; say plainly what went wrong."""
    member = member_of(message.from_user.id)
    if member is None:
        return  # a patient's document: the bot has nothing to do with it
    booking_id = visit_named(message)
    if booking_id is None:
        return replies.send_message(bot, message.chat.id, texts.RESULT_HOW)
    limit = current_settings().RESULT_MAX_BYTES
    too_large = texts.result_too_large(limit)
    if (message.document.file_size or 0) > limit:
        return replies.send_message(bot, message.chat.id, too_large)
    try:
        booking = staff_agenda.visit(member, booking_id)
        content = files.download(bot, message.document.file_id, max_bytes=limit)
        with db.session.begin_nested():
            staff_results.store(member, booking.id, content=content,
                                file_name=message.document.file_name or "result.pdf")
        db.session.commit()  # stored before the member is told so
    except BookingNotFound:
        return replies.send_message(bot, message.chat.id, texts.RESULT_NOT_FOUND.format(number=booking_id))
    except files.DownloadFailed:
        return replies.send_message(bot, message.chat.id, texts.RESULT_DOWNLOAD_FAILED)
    except InvalidRequest:
        return replies.send_message(bot, message.chat.id, too_large if len(content) > limit else texts.RESULT_NOT_PDF)
    replies.send_message(bot, message.chat.id, texts.result_stored(booking))


def visit_named(message: Message) -> int | None:
    """The visit a document is for: the card it replies to (its Refresh button names it), else its caption's number."""
    card = message.reply_to_message
    if card is not None and card.reply_markup is not None:
        for row in card.reply_markup.keyboard:
            for button in row:
                if (booking_id := _card_visit(button.callback_data)) is not None:
                    return booking_id
    match = _CAPTION_NUMBER.fullmatch((message.caption or "").strip())
    return identifier(match.group(1)) if match else None


def _card_visit(data: str | None) -> int | None:
    try:
        return identifier(callbacks.visit_card.parse(data or "")["booking_id"])
    except ValueError:
        return None

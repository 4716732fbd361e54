"""A PDF from a staff member becomes a visit's result: sent as a reply to the visit's card (stored at once), or with
the visit's number as the caption (stored once the member confirms the patient named back to them). Checked like the
staff API's upload; the patient gets it through the outbox."""
from __future__ import annotations

import re

import telebot
from telebot.types import CallbackQuery, InlineKeyboardMarkup, Message

from medsync.bot import replies
from medsync.bot.handlers.common import answer, identifier, not_found, on_callback, show
from medsync.bot.staff import callbacks, files, keyboards, texts, uploads
from medsync.bot.staff.common import committed, member_and_data, member_of
from medsync.bot.staff.uploads import Upload
from medsync.config import current_settings
from medsync.errors import BookingNotFound, InvalidRequest, ResultNotAccepted
from medsync.models import StaffMember
from medsync.services import results, staff_agenda, staff_results

_CAPTION_NUMBER = re.compile(r"#?(\d{1,18})")


def register(bot: telebot.TeleBot) -> None:
    """Register the document handler and the caption's confirmation buttons."""
    bot.register_message_handler(receive_result, content_types=["document"], chat_types=["private"], pass_bot=True)
    on_callback(bot, callbacks.result_send, send_confirmed)
    on_callback(bot, callbacks.result_drop, drop_unconfirmed)


def receive_result(message: Message, bot: telebot.TeleBot) -> None:
    """Find the visit; a reply to its card is stored now, a caption's number is first confirmed; say plainly what
    went wrong."""
    member = member_of(message.from_user.id)
    if member is None:
        return  # a patient's document: the bot has nothing to do with it
    booking_id = visit_named(message)
    if booking_id is None:
        refusal = texts.RESULT_REPLY_TO_A_CARD if message.reply_to_message is not None else texts.RESULT_HOW
        return replies.send_message(bot, message.chat.id, refusal)
    limit = current_settings().RESULT_MAX_BYTES
    if (message.document.file_size or 0) > limit:
        return replies.send_message(bot, message.chat.id, texts.result_too_large(limit))
    try:
        booking = staff_agenda.visit(member, booking_id)
        results.ensure_accepts_results(booking)  # before anything is fetched or asked
    except BookingNotFound:
        return replies.send_message(bot, message.chat.id, texts.RESULT_NOT_FOUND.format(number=booking_id))
    except ResultNotAccepted as refused:
        return replies.send_message(bot, message.chat.id, refused.message)
    upload = Upload(booking.id, message.document.file_id, message.document.file_name or "result.pdf")
    if message.reply_to_message is not None:
        return replies.send_message(bot, message.chat.id, _store(bot, member, upload))
    # A typed number can be a typo that names another patient: medical data goes out only once a person has
    # seen whose visit it is.
    token = uploads.keep(message.chat.id, upload)
    replies.send_message(bot, message.chat.id, texts.result_confirmation(booking, upload.file_name),
                         keyboards.result_confirmation(token))


def send_confirmed(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """"Send": the waiting PDF is stored for its visit (once; the visit is checked again as of now)."""
    found = member_and_data(call, callbacks.result_send)
    if found is None:
        return not_found(bot, call)
    member, data = found
    upload = uploads.take(call.message.chat.id, data["upload"])
    if upload is None:
        return answer(bot, call, texts.RESULT_NOT_WAITING, alert=True)
    show(bot, call.message, _store(bot, member, upload), InlineKeyboardMarkup())
    answer(bot, call)


def drop_unconfirmed(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """"Don't send": the waiting PDF is forgotten."""
    found = member_and_data(call, callbacks.result_drop)
    if found is None:
        return not_found(bot, call)
    if uploads.take(call.message.chat.id, found[1]["upload"]) is None:
        return answer(bot, call, texts.RESULT_NOT_WAITING, alert=True)
    show(bot, call.message, texts.RESULT_NOT_SENT, InlineKeyboardMarkup())
    answer(bot, call)


def _store(bot: telebot.TeleBot, member: StaffMember, upload: Upload) -> str:
    """Fetch the file (size-capped), store it as the visit's result and commit; what to tell the member."""
    limit = current_settings().RESULT_MAX_BYTES
    content = b""
    try:
        booking = staff_agenda.visit(member, upload.booking_id)
        results.ensure_accepts_results(booking)  # the visit as of now: it may have been cancelled meanwhile
        content = files.download(bot, upload.file_id, max_bytes=limit)
        stored = committed(lambda: staff_results.store(member, booking.id, content=content,
                                                       file_name=upload.file_name))
    except BookingNotFound:
        return texts.RESULT_NOT_FOUND.format(number=upload.booking_id)
    except ResultNotAccepted as refused:
        return refused.message
    except files.DownloadFailed:
        return texts.RESULT_DOWNLOAD_FAILED
    except InvalidRequest:
        return texts.result_too_large(limit) if len(content) > limit else texts.RESULT_NOT_PDF
    if stored.sent_before:
        return texts.result_sent_before(booking, stored.result, stored.delivery, member)
    return texts.result_stored(booking)


def visit_named(message: Message) -> int | None:
    """The visit a document is for: a reply counts only when it answers a visit's card (the list of the day is the
    same message in another state, so any visit button will not do); otherwise the caption's number."""
    if message.reply_to_message is not None:
        return card_visit(message.reply_to_message)
    match = _CAPTION_NUMBER.fullmatch((message.caption or "").strip())
    return identifier(match.group(1)) if match else None


def card_visit(message: Message) -> int | None:
    """The visit whose card this message is (its card-only Refresh button names it), else None."""
    markup = message.reply_markup
    named = {_refreshed_visit(button.callback_data)
             for row in (markup.inline_keyboard if markup is not None else []) for button in row}
    named.discard(None)
    return named.pop() if len(named) == 1 else None


def _refreshed_visit(data: str | None) -> int | None:
    try:
        return identifier(callbacks.visit_refresh.parse(data or "")["booking_id"])
    except ValueError:
        return None

"""/mydata: a copy of everything we keep about the patient (built by a worker, sent here), or their data erased
after an explicit confirmation."""
from __future__ import annotations

import telebot
from telebot.types import CallbackQuery, Message

from medsync.bot import callbacks, keyboards, replies, texts
from medsync.bot.handlers.common import answer, on_callback, show
from medsync.bot.handlers.users import note_erased
from medsync.extensions import db
from medsync.services import data_export, erasure, users


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(show_my_data, commands=["mydata"], chat_types=["private"], pass_bot=True)
    on_callback(bot, callbacks.my_data_export, ask_for_export)
    on_callback(bot, callbacks.my_data_erase_ask, ask_to_confirm_erasure)
    on_callback(bot, callbacks.my_data_erase_yes, erase)
    on_callback(bot, callbacks.my_data_erase_no, keep)


def show_my_data(message: Message, bot: telebot.TeleBot) -> None:
    replies.send_message(bot, message.chat.id, texts.MY_DATA, keyboards.my_data())


def ask_for_export(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Queue an export of the presser's data (at most one an hour: otherwise say when they may ask again)."""
    sender = call.from_user
    profile = users.Profile.of(sender.id, first_name=sender.first_name, last_name=sender.last_name,
                               username=sender.username, language_code=sender.language_code)
    try:
        data_export.request_export(profile)
    except data_export.ExportTooSoon as exc:
        return answer(bot, call, exc.message, alert=True)
    db.session.commit()
    answer(bot, call, texts.EXPORT_QUEUED, alert=True)


def ask_to_confirm_erasure(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    show(bot, call.message, texts.ERASE_CONFIRM, keyboards.erase_confirmation())
    answer(bot, call)


def erase(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Confirmed: erase the presser's data, then say what was kept and why (the same words as the Mini App's)."""
    done = erasure.erase_patient(call.from_user.id)
    db.session.commit()
    note_erased()
    show(bot, call.message, erasure.notice(done), None)
    answer(bot, call)


def keep(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    show(bot, call.message, texts.ERASE_KEPT_ALL, None)
    answer(bot, call)

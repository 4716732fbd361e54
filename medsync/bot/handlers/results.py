""""My results": the paged list, and each result sent as a protected document."""
from __future__ import annotations

import telebot
from telebot.types import CallbackQuery, Message

from medsync.bot import callbacks, keyboards, replies, texts
from medsync.bot.handlers.common import PER_PAGE, answer, fields, identifier, not_found, on_callback, show
from medsync.errors import ResultFileDamaged, ResultNotFound
from medsync.services import results


def register(bot: telebot.TeleBot) -> None:
    bot.register_message_handler(send_results_command, commands=["results"], chat_types=["private"], pass_bot=True)
    on_callback(bot, callbacks.open_results, send_results_from_menu)
    on_callback(bot, callbacks.results_page, turn_page)
    on_callback(bot, callbacks.result_document, send_result_from_list)


def send_results(bot: telebot.TeleBot, chat_id: int, user_id: int) -> None:
    """A new message with the first page of the user's results."""
    page = results.list_for_user(user_id, page=1, per_page=PER_PAGE)
    replies.send_message(bot, chat_id, texts.results_list(page.total), keyboards.results_page(page))


def send_results_command(message: Message, bot: telebot.TeleBot) -> None:
    send_results(bot, message.chat.id, message.from_user.id)


def send_results_from_menu(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    send_results(bot, call.message.chat.id, call.from_user.id)
    answer(bot, call)


def turn_page(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """◀ / ▶: the same message shows another page."""
    number = identifier(fields(callbacks.results_page, call)["page"])
    if number is None:
        return not_found(bot, call)
    page = results.list_for_user(call.from_user.id, page=number, per_page=PER_PAGE)
    show(bot, call.message, texts.results_list(page.total), keyboards.results_page(page))
    answer(bot, call)


def send_result_from_list(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """A tap on a result sends its file, if the result is the presser's."""
    result_id = identifier(fields(callbacks.result_document, call)["result_id"])
    try:
        result = results.get_result(result_id or 0, user_id=call.from_user.id)
    except ResultNotFound:
        return not_found(bot, call)
    try:
        replies.send_result(bot, call.message.chat.id, result, texts.result_caption(result))
    except (ResultFileDamaged, ResultNotFound) as exc:
        return answer(bot, call, exc.message, alert=True)
    answer(bot, call, texts.RESULT_SENT)

"""/today and /agenda <day>: a clinic day's visits in one message, paged and turned in place."""
from __future__ import annotations

from datetime import date

import telebot
from telebot.types import CallbackQuery, InlineKeyboardMarkup, Message

from medsync.bot import replies
from medsync.bot.handlers.common import answer, identifier, not_found, on_callback, show, webapp_url
from medsync.bot.staff import callbacks, keyboards, texts
from medsync.bot.staff import days as days_read
from medsync.bot.staff.common import as_patient, callback_day, command_argument, member_and_data, member_of
from medsync.errors import NotFound
from medsync.models import StaffMember
from medsync.services import staff_agenda
from medsync.services.staff_agenda import ClinicDay


def register(bot: telebot.TeleBot) -> None:
    """Register the day's handlers."""
    bot.register_message_handler(send_today, commands=["today"], chat_types=["private"], pass_bot=True)
    bot.register_message_handler(send_agenda, commands=["agenda"], chat_types=["private"], pass_bot=True)
    bot.register_message_handler(send_staff_help, commands=["staff"], chat_types=["private"], pass_bot=True)
    on_callback(bot, callbacks.agenda_page, turn_page)
    on_callback(bot, callbacks.agenda_clinics, choose_clinic)


def send_today(message: Message, bot: telebot.TeleBot) -> None:
    """Today's visits (in each clinic's own today); the patient menu for anyone else."""
    member = member_of(message.from_user.id)
    if member is None:
        return as_patient(message, bot)
    send_day(bot, message.chat.id, member, [staff_agenda.clinic_today(clinic) for clinic in member.clinics])


def send_agenda(message: Message, bot: telebot.TeleBot) -> None:
    """Another day's visits, the day read as the desk writes it (a relative one from each clinic's own today); what
    is not a day gets the forms that work."""
    member = member_of(message.from_user.id)
    if member is None:
        return as_patient(message, bot)
    argument = command_argument(message)
    days = [days_read.read_day(argument, staff_agenda.clinic_today(clinic)) for clinic in member.clinics]
    if not argument or None in days:
        return replies.send_message(bot, message.chat.id, texts.AGENDA_DATE_HELP)
    send_day(bot, message.chat.id, member, days)


def send_staff_help(message: Message, bot: telebot.TeleBot) -> None:
    """What staff can do here, and the staff pages' button; the patient menu for anyone else."""
    if member_of(message.from_user.id) is None:
        return as_patient(message, bot)
    replies.send_message(bot, message.chat.id, texts.HELP, keyboards.staff_pages(webapp_url()))


def send_day(bot: telebot.TeleBot, chat_id: int, member: StaffMember, days: list[date]) -> None:
    """A new message: the day's first page, or first the clinic choice for a member of several clinics (`days` has
    each clinic's day: their zones may differ in date)."""
    if len(member.clinics) > 1:
        markup = keyboards.clinic_choice(member.clinics, days)
        return replies.send_message(bot, chat_id, texts.choose_clinic(days), markup)
    clinic_day = staff_agenda.day_page(member, member.clinics[0].id, days[0])
    replies.send_message(bot, chat_id, _agenda_text(clinic_day), _agenda_keyboard(member, clinic_day))


def turn_page(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Another page or day of a clinic, in place; a clinic that is not the member's does not exist."""
    found = member_and_data(call, callbacks.agenda_page)
    if found is None:
        return not_found(bot, call)
    member, data = found
    clinic_id, day, number = identifier(data["clinic_id"]), callback_day(data["day"]), identifier(data["page"])
    if clinic_id is None or day is None or number is None:
        return not_found(bot, call)
    try:
        clinic_day = staff_agenda.day_page(member, clinic_id, day, page=number)
    except NotFound:
        return not_found(bot, call)
    show(bot, call.message, _agenda_text(clinic_day), _agenda_keyboard(member, clinic_day))
    answer(bot, call)


def choose_clinic(call: CallbackQuery, bot: telebot.TeleBot) -> None:
    """Back to the clinic choice of a member of several clinics."""
    found = member_and_data(call, callbacks.agenda_clinics)
    day = callback_day(found[1]["day"]) if found is not None else None
    if found is None or day is None:
        return not_found(bot, call)
    days = [day] * len(found[0].clinics)
    show(bot, call.message, texts.choose_clinic(days), keyboards.clinic_choice(found[0].clinics, days))
    answer(bot, call)


def _agenda_text(clinic_day: ClinicDay) -> str:
    return texts.agenda(clinic_day.clinic, clinic_day.day, clinic_day.visits.items, clinic_day.visits.total)


def _agenda_keyboard(member: StaffMember, clinic_day: ClinicDay) -> InlineKeyboardMarkup:
    return keyboards.agenda(clinic_day.visits, clinic_day.clinic.id, clinic_day.day,
                            several_clinics=len(member.clinics) > 1)

"""/remind [day]: send a day's reminders now (default: tomorrow) and follow them in one progress message.

The run and its progress: medsync.services.reminder_runs (followed by workers/reminder_runs.py); the reminders it
queues: medsync.services.reminders."""
from __future__ import annotations

import telebot
from telebot.types import Message

from medsync import metrics
from medsync.bot import replies
from medsync.bot.staff import texts
from medsync.bot.staff.common import as_patient, command_argument, committed, member_of
from medsync.bot.staff.days import read_day
from medsync.services import reminder_runs, staff_agenda
from medsync.services.staff_accounts import NotAllowed


def register(bot: telebot.TeleBot) -> None:
    """Register /remind."""
    bot.register_message_handler(start_reminders, commands=["remind"], chat_types=["private"], pass_bot=True)


def start_reminders(message: Message, bot: telebot.TeleBot) -> None:
    """Queue the run; the workers send the reminders and edit the progress message (nothing waits here)."""
    member = member_of(message.from_user.id)
    if member is None:
        return as_patient(message, bot)
    argument = command_argument(message)
    asked = None
    if argument:  # read as /agenda reads it, a relative day from each clinic's own today
        asked = {clinic.id: read_day(argument, staff_agenda.clinic_today(clinic)) for clinic in member.clinics}
        if None in asked.values():
            return replies.send_message(bot, message.chat.id, texts.REMIND_DATE_HELP)
    try:
        # The run and its reminders are committed before the desk is told (and before its follower is queued).
        run = committed(lambda: reminder_runs.start_run(member, asked=asked, chat_id=message.chat.id))
    except NotAllowed:
        return replies.send_message(bot, message.chat.id, texts.REMIND_NOT_ALLOWED)
    if run is None:
        return replies.send_message(bot, message.chat.id, texts.remind_nothing(sorted(set(asked.values())) if asked else []))
    metrics.reminder_run("bot", len(run.message_ids))
    days = reminder_runs.run_days(run.message_ids)
    sent = replies.send_message(bot, message.chat.id, texts.remind_queued(days, len(run.message_ids)))
    reminder_runs.show_in(run, sent.message_id if sent is not None else None)

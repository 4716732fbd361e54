"""Following a reminder run started from the chat: one progress message, edited at most every
STAFF_PROGRESS_INTERVAL by one chain of short-countdown tasks, and a sweep that revives a run whose chain was lost.

A countdown of a few seconds is safe on Redis (see workers.delivery); the run row, not the queue, is the truth.
The run's rows: medsync.services.reminder_runs; the reminders it follows (sent by workers.delivery like any outbox
row): medsync.services.reminders.
"""
from __future__ import annotations

import logging

import requests
from celery import shared_task
from telebot import TeleBot
from telebot.apihelper import ApiHTTPException, ApiTelegramException

from medsync.bot import get_bot
from medsync.bot.staff import texts
from medsync.config import current_settings
from medsync.extensions import db, redis_client
from medsync.i18n import in_language
from medsync.services import languages, reminder_runs
from medsync.services.ratelimit import TelegramRateLimiter, retry_after
from medsync.services.reminder_runs import Look

log = logging.getLogger(__name__)

MAX_SLOT_WAIT = 2.0  # seconds; a progress edit is not worth holding a worker longer: the next look comes soon


class _Unreachable(Exception):
    """Telegram refused the chat itself (the member blocked the bot): stop following."""


@shared_task(name="workers.reminder_runs.follow_reminder_run", ignore_result=True)
def follow_reminder_run(run_id: int, follower: str) -> str:
    """Look at the run's reminders, show the progress if it changed, and come back until all have settled."""
    look = reminder_runs.look(run_id, follower)
    db.session.commit()
    if look is None:
        return "not this chain's"  # finished, or the sweep handed the run to a newer chain
    finished = look.progress.settled or look.overdue
    with in_language(languages.of_chat(look.chat_id)):
        text = texts.remind_progress(look.days, look.progress, finished=finished)
    message_id = look.message_id
    if text != look.shown_text:
        try:
            message_id = _show(look, text, final=finished)
        except _Unreachable:
            message_id, finished = look.message_id, True  # nobody to show it to, with a message or without
        else:
            if message_id is None and not (finished and look.overdue):
                reminder_runs.follow_again(run_id, follower)
                return "not shown yet"
    recorded = reminder_runs.record_shown(run_id, follower, text=text, message_id=message_id, finished=finished)
    db.session.commit()
    if not recorded:
        return "not this chain's"  # it stalled while the sweep handed the run to a newer chain
    if finished:
        return "finished"
    reminder_runs.follow_again(run_id, follower)
    return "following"


@shared_task(name="workers.reminder_runs.sweep_reminder_runs", ignore_result=True)
def sweep_reminder_runs() -> int:
    """Runs whose follow-up was lost (a lost queue message, a dead worker) get a new chain."""
    revived = reminder_runs.revive_lost()
    db.session.commit()  # the new chains are queued once this commits
    if revived:
        log.warning("following %d reminder runs again after their follow-up was lost", len(revived))
    return len(revived)


def _show(look: Look, text: str, *, final: bool) -> int | None:
    """Edit the progress message (or send the summary anew when there is none); the message's id, or None for
    "not now" (no rate slot, or Telegram busy)."""
    bot = get_bot()
    if bot is None or (look.message_id is None and not final):
        return None  # intermediate steps need the message; the summary can come as a new one
    limiter = TelegramRateLimiter.from_settings(redis_client.client, current_settings())
    if limiter.wait_for_turn(look.chat_id, max_wait=MAX_SLOT_WAIT) is not None:
        return None
    try:
        if look.message_id is not None:
            return _edit(bot, look.chat_id, look.message_id, text)
        return bot.send_message(look.chat_id, text).message_id
    except ApiTelegramException as exc:
        if exc.error_code == 429:
            limiter.pause(retry_after(exc))
            return None
        if exc.error_code >= 500:
            return None
        raise _Unreachable() from None
    except (requests.RequestException, ApiHTTPException):
        return None


def _edit(bot: TeleBot, chat_id: int, message_id: int, text: str) -> int:
    """Edit in place; a message that cannot be edited any more (deleted, too old) is replaced by a new one."""
    try:
        bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except ApiTelegramException as exc:
        description = exc.description or ""
        if exc.error_code != 400:
            raise
        if "message is not modified" not in description:
            return bot.send_message(chat_id, text).message_id
    return message_id

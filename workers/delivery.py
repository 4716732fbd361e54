"""Delivering outbox rows to Telegram, one row per task, and the sweep that hands out due and lost rows.

A task may run twice for one row (a doubled sweep, a redelivered message): the atomic claim lets
only one of them send. Short waits (Telegram's retry_after, the first backoff steps) are a
countdown of at most RETRY_COUNTDOWN_MAX on a row whose due_at already says when; anything
longer is left to the sweep, because on Redis a long eta is redelivered after the visibility
timeout. If the countdown message is lost, the sweep finds the due row anyway.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from celery import shared_task
from sqlalchemy.exc import DBAPIError, OperationalError
from telebot import TeleBot
from telebot.apihelper import ApiHTTPException, ApiTelegramException
from telebot.types import Message

from medsync import clock, log_context, metrics
from medsync.bot import get_bot, replies
from medsync.bot.documents import send_result_document
from medsync.bot.notifications import Notification, render
from medsync.config import current_settings
from medsync.errors import ResultFileDamaged
from medsync.extensions import db, redis_client
from medsync.i18n import in_language
from medsync.logs import log_failure
from medsync.models import Actor, BookingEvent, MessageKind, OutboxMessage, User
from medsync.services import delivery, languages, staff_results, users
from medsync.services.delivery import Claim
from medsync.services.outbox import DELIVER_TASK
from medsync.services.ratelimit import TelegramRateLimiter, retry_after
from medsync.task_queue import TaskCall, current_task_queue, enqueue
from workers.leases import lease_keeper

log = logging.getLogger(__name__)

RETRY_COUNTDOWN_MAX = 60
# The longest a task sleeps for its rate-limit slot; beyond it the row is deferred and the worker freed.
MAX_SLOT_WAIT = 5.0
# Marking a sent row on a fresh connection after the one in hand was lost: pauses from the first to the longest,
# doubling, for at most one DELIVERY_LEASE (README, "The duplicate bound").
MARK_RETRY_PAUSES = (0.1, 2.0)


@dataclass(frozen=True)
class Claimed:
    """The claimed row's identity, kept as plain values: no transaction stays open while talking to Telegram."""

    claim: Claim
    chat_id: int
    booking_id: int | None
    attempts: int
    kind: str
    # What went wrong last time (None: nothing, or it was the rate limiter's turn): a trouble is logged when it changes.
    last_error: str | None

    @property
    def id(self) -> int:
        return self.claim.message_id


@shared_task(name=DELIVER_TASK, ignore_result=True)
def deliver_message(message_id: int) -> str:
    """Send one outbox row if it is still pending and due; returns what happened (for logs)."""
    taken = delivery.claim(message_id)
    if taken is None:
        db.session.commit()
        return "not claimed"
    claim, message = taken
    claimed = Claimed(claim, message.chat_id, message.booking_id, message.attempts, message.kind, message.last_error)
    db.session.commit()
    if claimed.booking_id is not None:
        log_context.bind(booking_id=claimed.booking_id)
    with lease_keeper().holding(claim):
        try:
            outcome = _deliver_claimed(claimed, message)
        except Exception as exc:  # noqa: BLE001 - an unforeseen error must not leave the row 'sending'
            db.session.rollback()
            log_failure(log, exc, "delivering outbox message %s failed", claimed.id)
            outcome = _retry_later(claimed, f"error: {type(exc).__name__}", reason=f"error ({type(exc).__name__})")
        db.session.commit()
    log.debug("outbox message %s (%s, attempt %s): %s", claimed.id, claimed.kind, claimed.attempts, outcome)
    return outcome


@shared_task(name="workers.delivery.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Return rows of dead workers to pending, and hand every due pending row to the workers."""
    lost = delivery.return_lost()
    due = delivery.due_for_delivery()
    handed_out = delivery.hand_out(due)
    # Commit first: the row locks are released before workers try to claim, and the hand-out marks in
    # Redis already keep a concurrent sweep from queueing the same rows.
    db.session.commit()
    current_task_queue().send([TaskCall(DELIVER_TASK, (message_id,)) for message_id in handed_out])
    if lost:
        log.warning("returned %d messages of lost workers to pending", len(lost))
    return len(handed_out)


def _deliver_claimed(claimed: Claimed, message: OutboxMessage) -> str:
    if (skipped := _skip_if_irrelevant(claimed, message)) is not None:
        return skipped
    user = db.session.get(User, claimed.chat_id)
    if user is not None and not user.reachable:
        delivery.mark_failed(claimed.claim, "the user has blocked the bot")
        metrics.delivery(claimed.kind, "failed")
        return "failed"
    language = languages.of_chat(claimed.chat_id, user)  # the recipient's, as it is now
    bot = get_bot()
    if bot is None:
        return _retry_later(claimed, "BOT_TOKEN is not set", reason="BOT_TOKEN is not set")
    db.session.commit()  # nothing is held open while waiting for a slot
    come_back_in = _limiter().wait_for_turn(claimed.chat_id, max_wait=MAX_SLOT_WAIT)
    if come_back_in is not None:
        return _defer(claimed, come_back_in)
    # The wait can take seconds: a visit cancelled meanwhile must not get its reminder.
    if (skipped := _skip_if_irrelevant(claimed, message)) is not None:
        return skipped
    with in_language(language):
        notification = render(message)
    # Right before the send: is the row still this claim's? (A worker that stalled past its lease is
    # fenced off here; the renewal also covers the send itself.)
    if not delivery.renew([claimed.claim]):
        db.session.commit()
        return "claim lost"
    db.session.commit()  # nothing is held open while talking to Telegram
    try:
        with in_language(language):  # a staff chat's command list is rendered as it is sent
            sent = _send(bot, claimed.chat_id, notification)
    except ApiTelegramException as exc:
        return _telegram_refused(claimed, exc)
    except requests.RequestException as exc:
        return _retry_later(claimed, f"network: {type(exc).__name__}", reason=f"network error ({type(exc).__name__})")
    except ApiHTTPException as exc:  # an HTTP error whose body is not the Bot API's JSON (a proxy's page)
        return _retry_later(claimed, f"network: {type(exc).__name__}",
                            reason=f"the Bot API's host answered HTTP {exc.result.status_code}")
    except ResultFileDamaged:
        # Sending it again cannot help: the file failed its integrity check (its alert is logged). A file that is
        # gone is an unforeseen error like any other, retried in case the disk comes back.
        return _fail(claimed, "the result file failed its integrity check",
                     reason="the result file failed its integrity check")
    return _record_sent_and_commit(claimed, notification, sent)


def _skip_if_irrelevant(claimed: Claimed, message: OutboxMessage) -> str | None:
    reason = delivery.reason_to_skip(message)
    if reason is None and message.kind == MessageKind.REPLY.value and replies.stale_edit(
        message.chat_id, message.payload["reply"]
    ):
        reason = "superseded by a newer update in the chat"
    if reason is None:
        return None
    delivery.mark_skipped(claimed.claim, reason)
    metrics.delivery(claimed.kind, "skipped")
    return "skipped"


def _send(bot: TeleBot, chat_id: int, notification: Notification) -> Message | None:
    if notification.reply is not None:
        return replies.deliver(bot, chat_id, notification.reply)
    if notification.document is None:
        return bot.send_message(chat_id, notification.text, reply_markup=notification.reply_markup)
    return send_result_document(bot, chat_id, notification.document, notification.text)


def _record_sent_and_commit(claimed: Claimed, notification: Notification, sent: Message | None) -> str:
    """Mark the row sent and commit; a lost database connection is retried on a fresh one, for up to a lease.

    Telegram has the message now: a row left 'sending' is handed out again when its lease runs out, and one
    put back for a retry goes out again at once. The pool replaces a connection that died (killed, or the
    server restarted), so one more try usually succeeds; while PostgreSQL is away nobody can take the row over.
    """
    metrics.delivery(claimed.kind, "sent")
    give_up_at = time.monotonic() + current_settings().DELIVERY_LEASE.total_seconds()
    pause, longest_pause = MARK_RETRY_PAUSES
    while True:
        try:
            _record_sent(claimed, notification, sent)
            db.session.commit()
            return "sent"
        except DBAPIError as exc:
            if not (exc.connection_invalidated or isinstance(exc, OperationalError)):
                raise
            db.session.rollback()
            lost = type(exc.orig).__name__
            if time.monotonic() + pause > give_up_at:
                log.error("outbox message %s reached Telegram but could not be marked sent (%s); it goes out once "
                          "more when its lease runs out", claimed.id, lost)
                return "sent, not marked"
            log.warning("outbox message %s reached Telegram; marking it sent lost the database connection (%s), "
                        "trying again on a fresh one", claimed.id, lost)
            time.sleep(pause)
            pause = min(2 * pause, longest_pause)


def _record_sent(claimed: Claimed, notification: Notification, sent: Message | None) -> None:
    message_id = sent.message_id if sent is not None else None
    if not delivery.mark_sent(claimed.claim, telegram_message_id=message_id):
        log.warning("outbox message %s was sent after its claim was lost; the new claimer may send it again",
                    claimed.id)
        return
    document = notification.document
    if document is None:
        return
    db.session.add(BookingEvent(
        booking_id=claimed.booking_id, actor=Actor.SYSTEM.value, action="result_delivered",
        details={"result_id": document.result_id, "message_id": claimed.id},
    ))
    # In the transaction that marks the result sent: the staff member who sent it is told once.
    staff_results.tell_uploader_delivered(document.result_id)


def _telegram_refused(claimed: Claimed, exc: ApiTelegramException) -> str:
    # The log names the code only: a description can quote the message ("can't parse entities: … <b …").
    description = str(exc.description or "")
    answered = f"Telegram answered {exc.error_code}"
    if exc.error_code == 429:
        wait = retry_after(exc)
        _limiter().pause(wait)
        metrics.delivery(claimed.kind, "429")
        return _defer(claimed, wait, error="429: Too Many Requests", reason=f"{answered} (too many requests)")
    if exc.error_code == 403 or (exc.error_code == 400 and "chat not found" in description.lower()):
        users.set_reachable(claimed.chat_id, False)
        return _fail(claimed, f"{exc.error_code}: {description}", reason=f"{answered} (blocked, or no such chat)",
                     result="403")
    if exc.error_code >= 500:
        return _retry_later(claimed, f"{exc.error_code}: {description}", reason=answered)
    # Any other 4xx is about the request itself: sending it again cannot succeed.
    return _fail(claimed, f"{exc.error_code}: {description}", reason=f"{answered} (refused the request)")


def _retry_later(claimed: Claimed, error: str, *, reason: str) -> str:
    """Back off exponentially; out of attempts → failed. `error` is kept on the row, `reason` logged (see _log)."""
    if claimed.attempts >= current_settings().DELIVERY_MAX_ATTEMPTS:
        return _fail(claimed, f"gave up after {claimed.attempts} attempts; last: {error}",
                     reason=f"{reason}; gave up after {claimed.attempts} attempts")
    delay = delivery.retry_delay(claimed.attempts)
    delivery.retry_at(claimed.claim, clock.now() + delay, error=error)
    _log(claimed, error, f"retrying in {delay.total_seconds():.0f} s", reason)
    metrics.delivery(claimed.kind, "retry")
    _nudge(claimed.id, delay.total_seconds())
    return "retrying"


def _fail(claimed: Claimed, error: str, *, reason: str, result: str = "failed") -> str:
    """Give up on the row; `result` is how /metrics counts it (403: the user blocked the bot)."""
    delivery.mark_failed(claimed.claim, error)
    _log(claimed, error, "failed", reason)
    metrics.delivery(claimed.kind, result)
    return "failed"


def _defer(claimed: Claimed, seconds: float, *, error: str | None = None, reason: str | None = None) -> str:
    """Not this message's turn yet (rate limit, 429): back to pending without using up an attempt."""
    delivery.retry_at(claimed.claim, clock.now() + timedelta(seconds=seconds), error=error, counts_as_attempt=False)
    if error is not None and reason is not None:
        _log(claimed, error, f"retrying in {seconds:.0f} s, no attempt used", reason)
    _nudge(claimed.id, seconds)
    return "deferred"


def _log(claimed: Claimed, error: str, outcome: str, reason: str) -> None:
    """Say why a row was not delivered, once per row and state: not again while its retries meet the same trouble.

    `reason` is written for the log: ids, codes and exception types only, never the message's text, Telegram's
    description or an exception's text (a network error's carries the Bot API URL, and so the token).
    """
    if error == claimed.last_error:
        return
    log.warning("outbox message %s (%s, attempt %s) not delivered, %s: %s",
                claimed.id, claimed.kind, claimed.attempts, outcome, reason)


def _nudge(message_id: int, seconds: float) -> None:
    """Queue the retry after the commit when it is soon; the next sweep hands it out in any case."""
    delivery.forget_handed_out([message_id])
    db.session.commit()
    if seconds > RETRY_COUNTDOWN_MAX:
        return
    try:
        enqueue(DELIVER_TASK, message_id, countdown=max(seconds, 0.0))
    except Exception:  # noqa: BLE001 - the row is committed with its due time: the sweep hands it out
        log.warning("could not queue the retry of outbox message %s; the sweep will", message_id)


def _limiter() -> TelegramRateLimiter:
    return TelegramRateLimiter.from_settings(redis_client.client, current_settings())

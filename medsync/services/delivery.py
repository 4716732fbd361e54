"""The outbox from the sender's side: claiming a row, recording how its delivery went, finding due and lost rows.

A row moves pending → sending (claimed by exactly one worker) → sent | skipped | failed, or back to
pending with a later due_at (a retry). A claim is a token plus a lease: the worker renews the lease
while it works on the row (see workers.leases), every finishing update must carry the token (a
worker that stalled past its lease can no longer touch a row someone else claimed since), and a
row whose lease ran out goes back to pending. The workers do the Telegram part; these functions
only write rows and flush — the task commits.
"""
from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.config import current_settings
from medsync.extensions import db, redis_client
from medsync.models import Booking, BookingStatus, MessageKind, MessageStatus, OutboxMessage
from medsync.models.outbox import PATIENT_KINDS
from medsync.services import reminders
from medsync.services.pagination import Page, paginate

# Retries after a network error or a Telegram 5xx: 5 s, 10 s, 20 s … at most an hour apart.
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(hours=1)
SWEEP_BATCH = 5000
_HANDED_OUT_KEY = "medsync:outbox:handed-out:{}"


@dataclass(frozen=True)
class Claim:
    """One worker's hold on one row: every finishing update names it."""

    message_id: int
    token: str


def claim(message_id: int, *, now: datetime | None = None) -> tuple[Claim, OutboxMessage] | None:
    """Take a due pending row for sending, under a fresh token and lease; a second claimer (or a row not due) gets None."""
    now = now or clock.now()
    token = uuid.uuid4().hex
    claimed_id = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MessageStatus.PENDING.value,
            OutboxMessage.due_at <= now,
        )
        .values(status=MessageStatus.SENDING.value, claimed_at=now, claim_token=token,
                lease_expires_at=now + current_settings().DELIVERY_LEASE, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
    ).scalar_one_or_none()
    if claimed_id is None:
        return None
    message = db.session.get(
        OutboxMessage, claimed_id, populate_existing=True,
        options=[joinedload(OutboxMessage.booking).joinedload(Booking.clinic), joinedload(OutboxMessage.result)],
    )
    return Claim(claimed_id, token), message


def renew(claims: list[Claim], *, now: datetime | None = None) -> list[Claim]:
    """Extend the leases of these claims; returns those still held (a claim that lost its row is not renewed)."""
    if not claims:
        return []
    now = now or clock.now()
    tokens = {held.token: held for held in claims}
    renewed = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.SENDING.value, OutboxMessage.claim_token.in_(list(tokens)))
        .values(lease_expires_at=now + current_settings().DELIVERY_LEASE)
        .returning(OutboxMessage.claim_token)
    ).all()
    return [tokens[token] for token in renewed]


def reason_to_skip(message: OutboxMessage, *, now: datetime | None = None) -> str | None:
    """Why this message must not go out any more (re-checked just before sending), or None."""
    if message.booking_id is None:
        return None  # a chat reply the user asked for, a staff group's digest: nothing about it expires
    now = now or clock.now()
    booking = db.session.get(Booking, message.booking_id, populate_existing=True)
    if booking is None:
        return "booking deleted"
    if message.kind in (MessageKind.CONFIRMATION.value, MessageKind.REMINDER.value):
        if booking.status != BookingStatus.BOOKED.value:
            return f"booking {booking.status}"
        if message.kind == MessageKind.REMINDER.value:
            return reminders.reason_to_skip(message, booking, now)
    return None


def mark_sent(held: Claim, *, telegram_message_id: int | None, now: datetime | None = None) -> bool:
    """The message reached Telegram."""
    return _finish(held, MessageStatus.SENT, sent_at=now or clock.now(), telegram_message_id=telegram_message_id,
                   last_error=None)


def mark_skipped(held: Claim, reason: str) -> bool:
    """The message is no longer relevant (booking cancelled, moved or over)."""
    return _finish(held, MessageStatus.SKIPPED, last_error=reason)


def mark_failed(held: Claim, error: str) -> bool:
    """Give up on this message: the user cannot be reached or the attempts are used up."""
    return _finish(held, MessageStatus.FAILED, last_error=error[:1000])


def retry_at(held: Claim, due_at: datetime, *, error: str | None, counts_as_attempt: bool = True) -> bool:
    """Put a claimed row back to pending, due again at `due_at`; a deferral by the rate limiter is no attempt."""
    values: dict = {"due_at": due_at, "claimed_at": None}
    if error is not None:
        values["last_error"] = error[:1000]
    if not counts_as_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    return _finish(held, MessageStatus.PENDING, **values)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after `attempts` failed attempts."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def return_lost(*, now: datetime | None = None) -> list[int]:
    """Rows whose claim's lease ran out (their worker died or hung) go back to pending, or fail once out of attempts."""
    now = now or clock.now()
    out_of_attempts = OutboxMessage.attempts >= current_settings().DELIVERY_MAX_ATTEMPTS
    rows = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.SENDING.value, OutboxMessage.lease_expires_at < now)
        .values(
            status=case((out_of_attempts, MessageStatus.FAILED.value), else_=MessageStatus.PENDING.value),
            claimed_at=None, claim_token=None, lease_expires_at=None,
            last_error="the worker sending it was lost",
        )
        .returning(OutboxMessage.id, OutboxMessage.status)
    ).all()
    returned = [row.id for row in rows if row.status == MessageStatus.PENDING.value]
    forget_handed_out(returned)
    return returned


def due_for_delivery(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Due pending rows, oldest first, locked so that a concurrent sweep passes over them."""
    now = now or clock.now()
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.PENDING.value, OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))


def hand_out(message_ids: list[int]) -> list[int]:
    """Of these due rows, those not handed to the queue lately; marks them handed out now.

    "Lately" is DELIVERY_REQUEUE_AFTER, or twice the time the workers need for this backlog at
    TELEGRAM_RATE if that is longer: a row whose queue message died with a worker (taken from the
    queue, never claimed) goes out again soon, while a long queue is not filled twice. The mark
    lives in Redis, with the queue: if the queue is lost, so are the marks, and the next sweep
    hands everything out again.
    """
    if not message_ids:
        return []
    settings = current_settings()
    seconds = max(1, int(settings.DELIVERY_REQUEUE_AFTER.total_seconds()),
                  round(2 * len(message_ids) / settings.TELEGRAM_RATE))
    with redis_client.pipeline(transaction=False) as pipe:
        for message_id in message_ids:
            pipe.set(_HANDED_OUT_KEY.format(message_id), 1, nx=True, ex=seconds)
        fresh = pipe.execute()
    return [message_id for message_id, is_new in zip(message_ids, fresh) if is_new]


def forget_handed_out(message_ids: list[int]) -> None:
    """Let the next sweep hand these rows out again at once."""
    if message_ids:
        redis_client.delete(*(_HANDED_OUT_KEY.format(message_id) for message_id in message_ids))


def failed_deliveries(*, within: Collection[int] | None = None, page: int = 1,
                      per_page: int = 20) -> Page[OutboxMessage]:
    """Messages to patients given up on, newest first, with their booking: who did not get what; of the clinics
    `within` (None: every clinic)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.FAILED.value,
               OutboxMessage.kind.in_([kind.value for kind in PATIENT_KINDS]))
        .options(joinedload(OutboxMessage.booking))
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
    )
    if within is not None:
        query = query.where(OutboxMessage.booking.has(Booking.clinic_id.in_(list(within))))
    return paginate(query, page=page, per_page=per_page)


def statuses(message_ids: list[int]) -> dict[str, int]:
    """How many of these rows are in each status (for progress displays)."""
    rows = db.session.execute(
        select(OutboxMessage.status, db.func.count())
        .where(OutboxMessage.id.in_(message_ids))
        .group_by(OutboxMessage.status)
    ).all()
    return {status: count for status, count in rows}


def _finish(held: Claim, status: MessageStatus, **values: object) -> bool:
    """End the claim with this outcome, if it is still this claim's row; False when someone else holds it now."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == held.message_id,
            OutboxMessage.status == MessageStatus.SENDING.value,
            OutboxMessage.claim_token == held.token,
        )
        .values(status=status.value, claim_token=None, lease_expires_at=None, **values)
    )
    return result.rowcount == 1

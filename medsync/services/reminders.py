"""Reminders of a visit: when they are due, what they say, how they are queued, and when one is no longer worth
sending. Each of those is decided here; the rest of a reminder's path only carries it:

- queued with the booking: the booking statement (services/bookings/statement.py) writes the reminders
  `scheduled` gives, as outbox rows keyed `booking:<id>:reminder:<label>` (`outbox.dedupe_key`);
- queued now by staff (`queue_manual_reminders`): the staff API (api/staff.py), `flask medsync remind`
  (staff_commands.py) and /remind in the chat (bot/staff/remind.py, whose progress message
  services/reminder_runs.py and workers/reminder_runs.py keep up to date);
- sent: the outbox's generic delivery (workers/delivery.py) claims the row when it is due, asks
  services/delivery.py's `reason_to_skip`, which asks `reason_to_skip` here, and bot/notifications.py renders
  `text` with the visit's details and the buttons of bot/keyboards.py's `reminder_notification`;
- answered: the buttons' callbacks are bot/handlers/reminder_buttons.py;
- withdrawn: a cancellation or status change skips the visit's pending reminders (services/bookings/commands.py).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.config import current_settings
from medsync.extensions import db
from medsync.models import Booking, BookingStatus, MessageKind, MessageStatus, OutboxMessage
from medsync.services import outbox
from medsync.services.clinic_day import on_local_day

# What a reminder says (bot/notifications.py fills in the visit's details).
TEXT = _l("⏰ Reminder: your visit is coming up.\n\n{details}\n\nWill you come?")
MANUAL = "manual"  # the label of a reminder staff send now
# A reminder that will still reach the patient, or already has.
_STILL_GOING_OUT = (MessageStatus.PENDING.value, MessageStatus.SENDING.value, MessageStatus.SENT.value)


@dataclass(frozen=True)
class Scheduled:
    """A reminder a new booking gets: which one (`label`, as '24h') and when it is due."""

    label: str
    due_at: datetime

    @property
    def payload(self) -> dict[str, Any]:
        return {"offset": self.label}


def label(offset: timedelta) -> str:
    """'24h', '2h', '90m': how a reminder offset is named in keys and payloads."""
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def scheduled(starts_at: datetime, now: datetime) -> list[Scheduled]:
    """One reminder per configured offset (REMINDER_OFFSETS) before the visit that is still ahead, largest first as
    configured: of reminders due together the last written is the one sent (`reason_to_skip`)."""
    return [Scheduled(label(offset), starts_at - offset) for offset in current_settings().REMINDER_OFFSETS
            if starts_at - offset > now]


def due(now: datetime) -> ColumnElement[bool]:
    """A visit whose first reminder is due by `now` (the largest REMINDER_OFFSETS before it) and that has not begun:
    a patient with Telegram has it in the chat; one booked by phone is called by the front desk (call_list)."""
    offsets = current_settings().REMINDER_OFFSETS
    if not offsets:
        return false()
    return and_(Booking.starts_at > now, Booking.starts_at <= now + max(offsets))


def text(details: str) -> str:
    """The reminder's text around the visit's details, in the language being rendered."""
    return TEXT.format(details=details)


def queue_manual_reminders(
    *, day: date | None = None, clinic_id: int | None = None, booking_ids: Collection[int] | None = None,
    within: Collection[int] | None = None, now: datetime | None = None,
) -> list[int]:
    """Queue a reminder now for each chosen upcoming booking, at most once per booking per clinic day.

    Chosen: the given bookings, else those on `day` (default: each clinic's today), narrowed by clinic, and always
    by the clinics `within` (the caller's; None: every clinic). One INSERT writes them all. Returns the new outbox
    ids; a repeat the same day returns none.
    """
    now = now or clock.now()
    query = (
        select(Booking)
        .where(Booking.status == BookingStatus.BOOKED.value, Booking.starts_at > now)
        .options(joinedload(Booking.clinic))
        .order_by(Booking.starts_at, Booking.id)
    )
    if booking_ids is not None:
        query = query.where(Booking.id.in_(list(booking_ids)))
    if booking_ids is None or day is not None:
        query = query.where(on_local_day(day, clinic_ids=None if clinic_id is None else [clinic_id], now=now))
    elif clinic_id is not None:
        query = query.where(Booking.clinic_id == clinic_id)
    if within is not None:
        query = query.where(Booking.clinic_id.in_(list(within)))
    messages = [
        outbox.Message(
            MessageKind.REMINDER, booking.user_id,
            outbox.dedupe_key("booking", booking.id, MessageKind.REMINDER.value, MANUAL,
                              now.astimezone(booking.clinic.zone).date().isoformat()),
            booking_id=booking.id, payload={"offset": MANUAL, "starts_at": booking.starts_at.isoformat()},
        )
        for booking in db.session.scalars(query)
    ]
    return sorted(outbox.queue_messages(messages))  # written in the bookings' order: their ids ascend with it


def reason_to_skip(reminder: OutboxMessage, booking: Booking, now: datetime) -> str | None:
    """Why this reminder of a booked visit must not go out any more (asked just before sending), or None."""
    if booking.starts_at <= now:
        return "visit already started"
    promised = reminder.payload.get("starts_at")  # a reminder staff sent names the time it reminds of
    if promised is not None and datetime.fromisoformat(promised) != booking.starts_at:
        return "booking moved"
    if _superseded(reminder, now):
        return "superseded by a later reminder"
    return None


def _superseded(reminder: OutboxMessage, now: datetime) -> bool:
    """Is a later reminder of the same visit also due (or already out)? Then only that one is worth sending.

    After an outage, or when two offsets fall due together, "your visit is tomorrow" and "your visit
    is in 2 hours" must not arrive at once. "Later" orders by due time, then by row id (the rows of one
    booking are written largest offset first), so of any set of due reminders exactly one survives,
    whichever worker looks first.
    """
    later = or_(
        OutboxMessage.due_at > reminder.due_at,
        and_(OutboxMessage.due_at == reminder.due_at, OutboxMessage.id > reminder.id),
    )
    return db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.booking_id == reminder.booking_id,
            OutboxMessage.kind == MessageKind.REMINDER.value,
            OutboxMessage.id != reminder.id,
            OutboxMessage.due_at <= now,
            OutboxMessage.status.in_(_STILL_GOING_OUT),
            later,
        ).limit(1)
    ) is not None

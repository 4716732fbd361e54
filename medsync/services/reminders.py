"""Reminders staff send now (besides the scheduled ones written at booking time)."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, BookingStatus, MessageKind
from medsync.services import outbox
from medsync.services.clinic_day import on_local_day


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
            f"booking:{booking.id}:reminder:manual:{now.astimezone(booking.clinic.zone).date().isoformat()}",
            booking_id=booking.id, payload={"offset": "manual", "starts_at": booking.starts_at.isoformat()},
        )
        for booking in db.session.scalars(query)
    ]
    return sorted(outbox.queue_messages(messages))  # written in the bookings' order: their ids ascend with it

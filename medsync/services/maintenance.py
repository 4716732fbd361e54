"""Housekeeping on bookings that the clock decides: visits nobody came to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from medsync import clock
from medsync.config import current_settings
from medsync.errors import IllegalTransition
from medsync.extensions import db
from medsync.models import Actor, Booking, BookingStatus
from medsync.services import bookings


def mark_noshows(*, now: datetime | None = None) -> list[int]:
    """Bookings still 'booked' past their end plus NOSHOW_GRACE become 'noshow'; returns their ids."""
    now = now or clock.now()
    overdue = db.session.scalars(
        select(Booking.id)
        .where(Booking.status == BookingStatus.BOOKED.value, Booking.ends_at < now - current_settings().NOSHOW_GRACE)
        .order_by(Booking.id)
    ).all()
    marked = []
    for booking_id in overdue:
        try:
            with db.session.begin_nested():
                bookings.change_status(booking_id, BookingStatus.NOSHOW, actor=Actor.SYSTEM, now=now)
        except IllegalTransition:
            continue  # staff marked it meanwhile: their word stands
        marked.append(booking_id)
    return marked

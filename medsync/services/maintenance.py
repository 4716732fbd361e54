"""Housekeeping on bookings that the clock decides: visits nobody came to."""
from __future__ import annotations

from datetime import datetime

from medsync import clock
from medsync.config import current_settings
from medsync.services import bookings


def mark_noshows(*, now: datetime | None = None) -> list[int]:
    """Bookings still 'booked' past their end plus NOSHOW_GRACE become 'noshow'; returns their ids."""
    return bookings.mark_missed((now or clock.now()) - current_settings().NOSHOW_GRACE)

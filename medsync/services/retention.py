"""Retention: results older than RESULTS_RETENTION are deleted, bookings that ended before BOOKINGS_RETENTION lose
their patient's personal fields (kept anonymised for the clinic's accounting), and so do the patients without Telegram
(booked by phone) whose last visit did; exports go after a week. In batches, each committed on its own, so a long
backlog neither holds one huge transaction nor blocks the day's bookings."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from medsync import clock
from medsync.config import current_settings
from medsync.extensions import db
from medsync.services import data_export, erasure

BATCH = 1000


@dataclass(frozen=True)
class Purged:
    """Counts only: what a run removed (logged as it is)."""

    results: int
    bookings: int
    patients: int
    exports: int


def purge(*, now: datetime | None = None, batch: int = BATCH) -> Purged:
    """Delete and anonymise what retention no longer allows, committing each batch."""
    now = now or clock.now()
    settings = current_settings()
    results = _in_batches(lambda: erasure.delete_results_before(now - settings.RESULTS_RETENTION, limit=batch), batch)
    bookings = _in_batches(lambda: erasure.anonymise_bookings_before(now - settings.BOOKINGS_RETENTION, limit=batch),
                           batch)
    # After the bookings: a phone patient whose last visit the bookings' retention just emptied goes the same night.
    patients = _in_batches(
        lambda: erasure.anonymise_phone_patients_before(now - settings.BOOKINGS_RETENTION, limit=batch), batch)
    exports = data_export.delete_exports_before(now - data_export.EXPORT_KEPT)
    db.session.commit()
    return Purged(results=results, bookings=bookings, patients=patients, exports=exports)


def _in_batches(step: Callable[[], int], batch: int) -> int:
    total = 0
    while True:
        done = step()
        db.session.commit()
        total += done
        if done < batch:
            return total

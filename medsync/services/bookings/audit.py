"""A booking's audit trail: who did what to it. Every change writes its event here, or in the booking statement
(`statement.py`) from the same `event` values."""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy.dialects.postgresql import Insert, insert

from medsync.extensions import db
from medsync.models import Actor, Booking, BookingEvent


def event(
    *, actor: Actor, action: str, details: dict[str, Any] | None = None, actor_id: str | None = None,
    patient_id: int | None = None,
) -> dict[str, Any]:
    """An event's values but the booking's id: a patient acting on their own booking is named by their id."""
    if actor_id is None and actor is Actor.PATIENT:
        actor_id = str(patient_id)
    return {"actor": actor.value, "actor_id": actor_id, "action": action, "details": details or {}}


def record(
    booking: Booking, actor: Actor, action: str, details: dict[str, Any] | None = None, actor_id: str | None = None
) -> None:
    """Append the audit event (a plain INSERT: nothing reads the row back in this transaction)."""
    record_each([booking.id], event(patient_id=booking.user_id, actor=actor, action=action, details=details,
                                     actor_id=actor_id))


def record_each(booking_ids: Sequence[int], values: dict[str, Any]) -> None:
    """Append the same event to each of these bookings, in one INSERT."""
    db.session.execute(_insert_event(), [{"booking_id": booking_id, **values} for booking_id in booking_ids])


@cache
def _insert_event() -> Insert:
    return insert(BookingEvent.__table__)

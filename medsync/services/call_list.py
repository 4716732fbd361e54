"""The front desk's "call these patients" list: every visit of a clinic whose patient the clinic must phone, with why.

- cancelled by the clinic (an absence, a closure, hours taken away) and no message reached the patient
  (services/schedules.py `to_call`: no Telegram, blocked the bot, delivery failed);
- a reminder is due (services/reminders.py `due`) and the patient has no Telegram (booked by phone: the outbox
  writes them no reminder), unless they already said they will come.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking
from medsync.models.booking import is_booked
from medsync.services import catalog, reminders, schedules
from medsync.services.clinic_day import day_bounds

DAYS_AHEAD = 60  # how far ahead the list looks for visits the clinic cancelled, unless asked
CHAT_DAYS = 14  # as far as /tocall looks: a chat message stays short


class CallReason(StrEnum):
    CANCELLED_BY_CLINIC = "cancelled_by_clinic"
    REMINDER_DUE = "reminder_due"


@dataclass(frozen=True)
class PatientToCall:
    """A visit whose patient the desk phones, and why."""

    reason: CallReason
    booking_id: int
    clinic_id: int
    doctor_id: int | None
    diagnostic_id: int | None
    starts_at: datetime  # in the clinic's zone
    patient_first_name: str
    patient_last_name: str
    patient_phone: str
    cancel_reason: str | None  # what the clinic said when it cancelled


def to_call(clinic_id: int, *, days: int = DAYS_AHEAD, now: datetime | None = None) -> list[PatientToCall]:
    """The clinic's patients to phone about visits from its today on, `days` days ahead; soonest first."""
    clinic = catalog.get_clinic(clinic_id)
    now = now or clock.now()
    today, _tomorrow = day_bounds(clinic.zone, now.astimezone(clinic.zone).date())
    until = today + timedelta(days=days)
    cancelled = [
        PatientToCall(CallReason.CANCELLED_BY_CLINIC, visit.booking_id, visit.clinic_id, visit.doctor_id,
                      visit.diagnostic_id, visit.starts_at.astimezone(clinic.zone), visit.patient_first_name,
                      visit.patient_last_name, visit.patient_phone, visit.cancel_reason)
        for visit in schedules.to_call([clinic.id], since=today) if visit.starts_at < until
    ]
    due = [
        PatientToCall(CallReason.REMINDER_DUE, row.id, row.clinic_id, row.doctor_id, row.diagnostic_id,
                      row.starts_at.astimezone(clinic.zone), row.patient_first_name, row.patient_last_name,
                      row.patient_phone, None)
        for row in db.session.execute(
            select(Booking.id, Booking.clinic_id, Booking.doctor_id, Booking.diagnostic_id, Booking.starts_at,
                   Booking.patient_first_name, Booking.patient_last_name, Booking.patient_phone)
            .where(Booking.clinic_id == clinic.id, is_booked(Booking.status), Booking.user_id.is_(None),
                   Booking.confirmed_at.is_(None), reminders.due(now), Booking.starts_at < until)
        )
    ]
    return sorted(cancelled + due, key=lambda visit: (visit.starts_at, visit.booking_id))

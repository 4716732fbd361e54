"""Staff reads of medical and personal data, in the audit trail (medsync.services.audit): who read which result, or
whose details in a list, and when. Ids only: the trail never holds what was read."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import groupby

from medsync.models import Booking, Result
from medsync.services import audit


def result_read(actor_id: str, result: Result, *, action: str) -> None:
    """A staff member downloaded ("result.read") or re-sent ("result.resend") a result."""
    audit.record(action, actor_id=actor_id, object_type="result", object_id=result.id,
                 clinic_id=result.booking.clinic_id, after={"booking_id": result.booking_id})


def patients_listed(actor_id: str, shown: Sequence[Booking], *, day: date | None) -> None:
    """A staff member read a list showing patients' details (the day's bookings): one entry per clinic it showed,
    naming the bookings (each clinic's admins see their own); an empty list read nobody's details."""
    by_clinic = sorted(shown, key=lambda booking: (booking.clinic_id, booking.id))
    for clinic_id, bookings in groupby(by_clinic, key=lambda booking: booking.clinic_id):
        audit.record("patients.read", actor_id=actor_id, object_type="bookings", clinic_id=clinic_id,
                     after={"day": day.isoformat() if day else None, "booking_ids": [item.id for item in bookings]})


def patient_read(actor_id: str, patient_id: int, shown: Mapping[int, Sequence[int]]) -> None:
    """A staff member opened a patient's details: one entry per clinic whose visits it showed, naming them (each
    clinic's admins see their own); a patient shown with no visit (every clinic's asker) in one entry of no clinic."""
    for clinic_id, booking_ids in sorted(shown.items()) or [(None, [])]:
        audit.record("patient.read", actor_id=actor_id, object_type="patient", object_id=patient_id,
                     clinic_id=clinic_id, after={"booking_ids": sorted(booking_ids)})


def patients_called(actor_id: str, clinic_id: int, booking_ids: Sequence[int]) -> None:
    """A staff member read the clinic's list of patients to call (names and phones); an empty list read nobody's."""
    if booking_ids:
        audit.record("patients.read", actor_id=actor_id, object_type="bookings", clinic_id=clinic_id,
                     after={"list": "to_call", "booking_ids": sorted(booking_ids)})

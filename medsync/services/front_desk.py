"""Booking a caller at the front desk, with or without Telegram, at one of the desk's own clinics.

The booking goes through services.bookings, the same statement and race safety as a patient's own; a patient
without Telegram is simply sent nothing (the outbox writes no message without a chat). Moves, marks, their undoing
and notes are the booking service's own commands.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from flask_babel import gettext as _

from medsync.errors import NotFound
from medsync.models import Actor
from medsync.services import bookings, catalog, patients
from medsync.services.bookings import PatientDetails
from medsync.services.patients import CallerDetails


def book_for_caller(*, within: Collection[int] | None, clinic_id: int, starts_at: datetime, actor_id: str,
                    patient_id: int | None = None, caller: CallerDetails | None = None,
                    doctor_id: int | None = None, diagnostic_id: int | None = None) -> bookings.BookingDetails:
    """Book a free slot for a patient found by the desk (`patient_id`) or told on the phone (`caller`: found by their
    phone, else new); a clinic or patient outside `within` (None: every clinic) does not exist for the desk."""
    clinic = _clinic(clinic_id, within)
    if patient_id is not None:
        patient = patients.visible(patient_id, within=within)
        details = PatientDetails(patient.first_name, patient.last_name, patient.phone, patient.email)
    else:
        details = PatientDetails(caller.first_name, caller.last_name, caller.phone, caller.email)
        patient = patients.caller(caller, region=clinic.country)
        details = PatientDetails(details.first_name, details.last_name, patient.phone, details.email)
    return bookings.book(
        user_id=patient.user_id, patient_id=patient.id, clinic_id=clinic_id, starts_at=starts_at, patient=details,
        doctor_id=doctor_id, diagnostic_id=diagnostic_id, actor=Actor.STAFF, actor_id=actor_id,
    )


def _clinic(clinic_id: int, within: Collection[int] | None) -> catalog.ClinicInfo:
    clinic = catalog.current_catalog().clinics.get(clinic_id)
    if clinic is None or (within is not None and clinic_id not in within):
        raise NotFound(_("Clinic not found."))
    return clinic

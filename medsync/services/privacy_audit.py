"""Staff reads of medical and personal data, in the audit trail (medsync.services.audit): who read which result, or
whose details in a list, and when. Ids only: the trail never holds what was read (nor what was searched for).

A list read is one INSERT whatever its length: one entry per clinic it showed (each clinic's admins see their own),
naming the bookings or patients in it, never one entry per row.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Booking, Result
from medsync.services import audit

# What a list of patients' details was (`after.list` of a "patients.read" entry).
DAY = "day"  # a clinic day's visits: the staff pages' day grid, the bot's /today and /agenda
VISIT = "visit"  # one visit's card in the bot
FAILED_DELIVERIES = "failed deliveries"  # messages that did not reach their patients
TO_CALL = "to call"  # visits cancelled by the clinic whose patients must be called
SEARCH = "search"  # the patients a search found (the staff pages, the bot's /find)


def result_read(actor_id: str, result: Result, *, action: str) -> None:
    """A staff member downloaded ("result.read") or re-sent ("result.resend") a result."""
    audit.record(action, actor_id=actor_id, object_type="result", object_id=result.id,
                 clinic_id=result.booking.clinic_id, after={"booking_id": result.booking_id})


def patients_listed(actor_id: str, shown: Iterable[Booking], *, day: date | None, listing: str = DAY) -> None:
    """A staff member read a list showing patients' details through its bookings (a clinic day, a visit's card, failed
    deliveries…): the entries name the bookings; an empty list read nobody's details."""
    by_clinic: dict[int, set[int]] = defaultdict(set)
    for booking in shown:
        by_clinic[booking.clinic_id].add(booking.id)  # a list may show a booking twice (its failed messages)
    bookings_listed(actor_id, by_clinic, day=day, listing=listing)


def bookings_listed(actor_id: str, booking_ids_by_clinic: Mapping[int, Collection[int]], *, day: date | None = None,
                    listing: str) -> None:
    """The same, from the bookings' ids by clinic."""
    audit.record_all(
        audit.new_entry("patients.read", actor_id=actor_id, object_type="bookings", clinic_id=clinic_id,
                        after={"list": listing, "day": day.isoformat() if day else None,
                               "booking_ids": sorted(booking_ids)})
        for clinic_id, booking_ids in sorted(booking_ids_by_clinic.items()) if booking_ids
    )


def patients_found(actor_id: str, patient_ids: Sequence[int], *, within: Collection[int] | None) -> None:
    """A staff member read the patients a search found (names, phones, next visits): one entry per clinic of the
    asker's (`within`; None: every clinic) the patients have visits at, naming the patients."""
    if not patient_ids:
        return
    if within is not None and len(within) == 1:
        by_clinic = {next(iter(within)): list(patient_ids)}  # the desk's usual case: no query
    else:
        by_clinic = defaultdict(set)
        query = (select(Booking.clinic_id, Booking.patient_id).distinct()
                 .where(Booking.patient_id.in_(list(patient_ids))))
        if within is not None:
            query = query.where(Booking.clinic_id.in_(list(within)))
        for clinic_id, patient_id in db.session.execute(query):
            by_clinic[clinic_id].add(patient_id)
    audit.record_all(
        audit.new_entry("patients.read", actor_id=actor_id, object_type="patients", clinic_id=clinic_id,
                        after={"list": SEARCH, "patient_ids": sorted(ids)})
        for clinic_id, ids in sorted(by_clinic.items())
    )


def patient_read(actor_id: str, patient_id: int, shown: Mapping[int, Sequence[int]]) -> None:
    """A staff member opened a patient's details: one entry per clinic whose visits it showed, naming them (each
    clinic's admins see their own); a patient shown with no visit (every clinic's asker) in one entry of no clinic."""
    for clinic_id, booking_ids in sorted(shown.items()) or [(None, [])]:
        audit.record("patient.read", actor_id=actor_id, object_type="patient", object_id=patient_id,
                     clinic_id=clinic_id, after={"booking_ids": sorted(booking_ids)})

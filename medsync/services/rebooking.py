"""Other times for a visit the clinic cancelled because its schedule changed, and booking one of them.

The patient's message offers, as buttons, the first free times with the same doctor (or the same test at the same
clinic) once the doctor is back (the day after an absence, a closure or a day off; otherwise the visit's own day),
and the first free times with other doctors of the same specialty at that clinic from the visit's day on. The
offers are read when the message is rendered (the free slots as they are then, leaving out the patient's own busy
times) and again when a pressed offer was taken meanwhile.

A patient rebooks one cancelled visit once: the new booking carries the Idempotency-Key "rebook:<visit id>", so a
second press of the same offer returns the same booking, and another offer is refused (`AlreadyRebooked`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from medsync.config import current_settings
from medsync.errors import DomainError, InvalidRequest, NotFound
from medsync.models import Actor, Booking, BookingStatus
from medsync.services import availability, bookings, catalog

SAME_RESOURCE_OFFERS = 3
OTHER_DOCTOR_OFFERS = 2
OTHER_DOCTORS_ASKED = 5  # the other doctors whose free times are read (each costs a query or two)


class AlreadyRebooked(DomainError):
    default_message = _l("You have already booked a new time for this visit. See My bookings.")


@dataclass(frozen=True)
class Offer:
    """A free time to book instead: with `doctor_id` (None: the visit's own test at its clinic)."""

    starts_at: datetime  # aware, in the clinic's zone
    doctor_id: int | None
    name: str  # the doctor's, or the test's (for the button)


def resume_day(change: dict[str, Any], visit_day: date) -> date:
    """From when the same doctor (or test) is offered again: the day after what took the visit's time away."""
    last_day = change.get("last_day")
    if change.get("kind") in ("absence", "closure", "day_off") and last_day:
        return max(visit_day, date.fromisoformat(last_day) + timedelta(days=1))
    return visit_day


def offers_for(booking: Booking, change: dict[str, Any], *, now: datetime) -> list[Offer]:
    """The times to offer for a cancelled visit: the same doctor's (or test's) first, then other doctors'."""
    zone = booking.clinic.zone
    visit_day = booking.starts_at.astimezone(zone).date()
    snapshot = catalog.current_catalog()
    if booking.doctor_id is None:
        schedule = availability.diagnostic_schedule(booking.diagnostic_id, booking.clinic_id)
        return [Offer(start.astimezone(zone), None, booking.service_name) for start in _first_free(
            schedule, resume_day(change, visit_day), SAME_RESOURCE_OFFERS, now, booking.user_id)]
    doctor = snapshot.doctor_of_booking(booking.doctor_id)
    same = []
    if doctor.id in snapshot.doctors:  # a doctor deactivated since is offered no more; their colleagues are
        same = [Offer(start.astimezone(zone), doctor.id, doctor.full_name) for start in _first_free(
            availability.doctor_schedule(doctor.id), resume_day(change, visit_day), SAME_RESOURCE_OFFERS, now,
            booking.user_id)]
    return same + _other_doctors(doctor, booking, visit_day, now)


def _other_doctors(doctor: catalog.DoctorInfo, booking: Booking, since: date, now: datetime) -> list[Offer]:
    """The earliest free time of each other doctor of the specialty at the clinic; the soonest ones."""
    colleagues = [other for other in catalog.find_doctors(specialty_id=doctor.specialty.id, clinic_id=doctor.clinic.id)
                  if other.id != doctor.id][:OTHER_DOCTORS_ASKED]
    zone = doctor.clinic.zone
    earliest = []
    for colleague in colleagues:
        free = _first_free(availability.doctor_schedule(colleague.id), since, 1, now, booking.user_id)
        earliest += [Offer(start.astimezone(zone), colleague.id, colleague.full_name) for start in free]
    return sorted(earliest, key=lambda offer: offer.starts_at)[:OTHER_DOCTOR_OFFERS]


def _first_free(schedule: availability.Schedule, since: date, count: int, now: datetime, patient_id: int) -> list[datetime]:
    """The first `count` free slot starts (UTC) from `since`, a range at a time, up to the booking horizon."""
    today = now.astimezone(schedule.clinic.zone).date()
    first = max(since, today)
    last_bookable = today + timedelta(days=current_settings().BOOKING_HORIZON_DAYS)
    found: list[datetime] = []
    while first <= last_bookable and len(found) < count:
        last = min(first + timedelta(days=availability.MAX_RANGE_DAYS - 1), last_bookable)
        found += [start for start, _ in availability.free_spans(schedule, first, last, now=now,
                                                                   patient_id=patient_id).spans]
        first = last + timedelta(days=1)
    return found[:count]


def book_offer(cancelled: Booking, *, user_id: int, doctor_id: int | None,
               starts_at: datetime) -> bookings.BookingDetails:
    """Book an offered time for the patient of a visit the clinic cancelled: the same details, the same clinic, the
    same doctor or a colleague of the same specialty there (or the same test). Raises what booking raises when
    the time was taken meanwhile, AlreadyRebooked when another new time was booked for this visit already."""
    if cancelled.user_id != user_id:
        raise NotFound(_l("Booking not found."))
    if cancelled.status != BookingStatus.CANCELLED.value or cancelled.cancelled_by != Actor.STAFF.value:
        raise NotFound(_l("This offer is no longer available."))
    if doctor_id is not None:
        _ensure_colleague(cancelled, doctor_id)
    patient = bookings.PatientDetails(cancelled.patient_first_name, cancelled.patient_last_name, cancelled.patient_phone,
                                      cancelled.patient_email, cancelled.patient_message)
    try:
        return bookings.book(
            user_id=user_id, clinic_id=cancelled.clinic_id, starts_at=starts_at, patient=patient,
            doctor_id=doctor_id, diagnostic_id=cancelled.diagnostic_id if doctor_id is None else None,
            idempotency_key=f"rebook:{cancelled.id}",
        )
    except InvalidRequest as exc:
        if "Idempotency-Key" in exc.errors:
            raise AlreadyRebooked() from None
        raise


def _ensure_colleague(cancelled: Booking, doctor_id: int) -> None:
    """An offered doctor is the visit's own, or one of the same specialty at its clinic (callback data is forgeable)."""
    offered = catalog.current_catalog().doctors.get(doctor_id)
    if cancelled.doctor_id is None or offered is None:
        raise NotFound(_l("This offer is no longer available."))
    own = catalog.current_catalog().doctor_of_booking(cancelled.doctor_id)
    if doctor_id != cancelled.doctor_id and (offered.specialty.id != own.specialty.id
                                             or offered.clinic.id != cancelled.clinic_id):
        raise NotFound(_l("This offer is no longer available."))

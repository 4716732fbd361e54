"""What a staff member sees and does in the chat: a clinic day's visits, and moving a visit forward or cancelling it.

Every call takes the member as loaded for this update, so a role, clinic or revocation changed a moment
ago already counts. A visit the member may not see does not exist for them (BookingNotFound).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from medsync import clock
from medsync.errors import BookingNotFound, NotFound
from medsync.models import Actor, Booking, BookingStatus, Clinic, StaffMember
from medsync.services import bookings, clinic_day, privacy_audit
from medsync.services.pagination import Page, paginate

# What a visit's card offers; cancelling has its own call (it needs a reason).
CHAT_MOVES = (BookingStatus.ARRIVED, BookingStatus.NOSHOW, BookingStatus.FULFILLED)
# What a mark can be taken back to on the visit's day (the booking decides which applies).
UNDO_TARGETS = (BookingStatus.BOOKED, BookingStatus.ARRIVED)


def clinic_today(clinic: Clinic, *, now: datetime | None = None) -> date:
    """The clinic's own calendar date now."""
    return (now or clock.now()).astimezone(clinic.zone).date()


def clinic_for(member: StaffMember, clinic_id: int) -> Clinic:
    """One of the member's clinics; any other does not exist for them."""
    for clinic in member.clinics:
        if clinic.id == clinic_id:
            return clinic
    raise NotFound()


@dataclass(frozen=True)
class ClinicDay:
    """One page of a clinic day's visits."""

    clinic: Clinic
    day: date
    visits: Page[Booking]


def day_page(member: StaffMember, clinic_id: int, day: date | None = None, *, page: int = 1,
             per_page: int = 8) -> ClinicDay:
    """The clinic day's visits the member may see (a doctor: their own), by start time; default: the clinic's today.
    Reading them is audited (the page's bookings, ids only): they show the patients' names."""
    clinic = clinic_for(member, clinic_id)
    day = day or clinic_today(clinic)
    query = clinic_day.day_query(day, clinic_ids=[clinic.id], doctor_id=member.doctor_id if member.is_doctor else None)
    visits = paginate(query, page=page, per_page=per_page)
    privacy_audit.patients_listed(member.actor_id, visits.items, day=day, listing=privacy_audit.DAY)
    return ClinicDay(clinic, day, visits)


def visit(member: StaffMember, booking_id: int) -> Booking:
    """A visit the member may see, with what its card shows."""
    booking = bookings.get_booking_for_staff(booking_id)
    if not member.can_see(booking):
        raise BookingNotFound()
    return booking


def move(member: StaffMember, booking_id: int, status: BookingStatus) -> Booking:
    """Arrived, no-show or completed, through the booking service's forward-only rules; audited as the member."""
    if status not in CHAT_MOVES:
        raise ValueError(f"{status.value} is not a move offered in the chat")
    visit(member, booking_id)
    return bookings.change_status(booking_id, status, actor=Actor.STAFF, actor_id=member.actor_id)


def undo(member: StaffMember, booking_id: int, status: BookingStatus, reason: str) -> Booking:
    """Take a mark back on the visit's day (a late patient, a mistake), saying why; audited as the member."""
    if status not in UNDO_TARGETS:
        raise ValueError(f"{status.value} is not a mark taken back in the chat")
    visit(member, booking_id)
    return bookings.change_status(booking_id, status, actor=Actor.STAFF, actor_id=member.actor_id, reason=reason)


def cancel(member: StaffMember, booking_id: int, reason: str) -> Booking:
    """Cancel a booked visit with a reason; the patient is told through the outbox."""
    visit(member, booking_id)
    return bookings.cancel_by_staff(booking_id, actor_id=member.actor_id, reason=reason.strip()[:500] or None)

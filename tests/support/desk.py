"""A visit the front desk booked for a caller without Telegram, as the tests of several areas need one."""
from __future__ import annotations

from datetime import datetime

from medsync.extensions import db
from medsync.models import Doctor
from medsync.services import front_desk
from medsync.services.bookings.queries import BookingDetails
from medsync.services.patients import CallerDetails

CALLER = CallerDetails("Olha", "Kobylianska", "067 123 45 67")


def book_by_phone(doctor: Doctor, starts_at: datetime, caller: CallerDetails = CALLER) -> BookingDetails:
    """Booked by a staff token of every clinic for `caller` (Olha, +380671234567 unless given), and committed."""
    booking = front_desk.book_for_caller(within=None, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                                         actor_id="staff-token:1", starts_at=starts_at, caller=caller)
    db.session.commit()
    return booking

"""A clinic's day: bookings by the clinic's own calendar date, whatever its time zone."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, Select, cast, func, literal, select
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, BookingStatus, Clinic


def local_start_date() -> ColumnElement[date]:
    """A booking's start date in its clinic's time zone. Needs Clinic joined."""
    return cast(func.timezone(Clinic.timezone, Booking.starts_at), Date)


def on_local_day(day: date | None, *, now: datetime | None = None) -> ColumnElement[bool]:
    """Bookings that start on `day` in their clinic's time zone (default: that clinic's today). Needs Clinic joined."""
    local_start = local_start_date()
    if day is not None:
        return local_start == day
    return local_start == cast(func.timezone(Clinic.timezone, literal(now or clock.now())), Date)


def day_query(day: date | None = None, *, clinic_id: int | None = None, status: BookingStatus | None = None,
              doctor_id: int | None = None) -> Select[tuple[Booking]]:
    """The day's bookings with what a list of them shows, by clinic and start time; narrowed by clinic, status and
    doctor. Run it whole (bookings_for_day) or a page at a time (pagination.paginate)."""
    query = (
        select(Booking).join(Booking.clinic).where(on_local_day(day))
        .options(joinedload(Booking.clinic), joinedload(Booking.doctor), joinedload(Booking.diagnostic))
        .order_by(Booking.clinic_id, Booking.starts_at, Booking.id)
    )
    if clinic_id is not None:
        query = query.where(Booking.clinic_id == clinic_id)
    if status is not None:
        query = query.where(Booking.status == status.value)
    if doctor_id is not None:
        query = query.where(Booking.doctor_id == doctor_id)
    return query


def bookings_for_day(day: date | None = None, *, clinic_id: int | None = None,
                     status: BookingStatus | None = None) -> list[Booking]:
    """The day's bookings, by clinic and start time."""
    return list(db.session.scalars(day_query(day, clinic_id=clinic_id, status=status)))

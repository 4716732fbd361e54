"""A clinic's day: bookings by the clinic's own calendar date, whatever its time zone."""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Select, and_, cast, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, BookingStatus, Clinic
from medsync.services.pagination import Page, paginate


def local_start_date() -> ColumnElement[date]:
    """A booking's start date in its clinic's time zone. Needs Clinic joined."""
    return cast(func.timezone(Clinic.timezone, Booking.starts_at), Date)


def day_bounds(zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """The instant a clinic day begins and the instant the next one begins (23 or 25 hours apart across a clock
    change)."""
    return datetime.combine(day, time.min, zone), datetime.combine(day + timedelta(days=1), time.min, zone)


def on_local_day(day: date | None, *, clinic_ids: Collection[int] | None = None,
                 now: datetime | None = None) -> ColumnElement[bool]:
    """Bookings of these clinics (None: every clinic) that start on `day` in their clinic's time zone (default: that
    clinic's today).

    Written as bounds on clinic_id and starts_at, computed here for each zone, so that ix_bookings_clinic_starts
    reads exactly the day: a date computed from each row's starts_at reads the clinic's whole history, and bounds
    computed in SQL from the joined clinic's zone cannot be estimated, so the planner may still choose to read the
    history in start order.
    """
    now = now or clock.now()
    days: dict[tuple[datetime, datetime], list[int]] = {}
    for clinic_id, zone in _zones(clinic_ids):
        days.setdefault(day_bounds(zone, day or now.astimezone(zone).date()), []).append(clinic_id)
    return or_(false(), *(
        and_(Booking.clinic_id.in_(ids), Booking.starts_at >= begins, Booking.starts_at < ends)
        for (begins, ends), ids in days.items()
    ))


def _zones(clinic_ids: Collection[int] | None) -> list[tuple[int, ZoneInfo]]:
    query = select(Clinic.id, Clinic.timezone).order_by(Clinic.id)
    if clinic_ids is not None:
        query = query.where(Clinic.id.in_(list(clinic_ids)))
    return [(clinic_id, ZoneInfo(name)) for clinic_id, name in db.session.execute(query)]


def day_query(day: date | None = None, *, clinic_ids: Collection[int] | None = None,
              status: BookingStatus | None = None, doctor_id: int | None = None) -> Select[tuple[Booking]]:
    """The day's bookings with what a list of them shows, by clinic and start time; narrowed by clinics (None: every
    clinic), status and doctor; to be run a page at a time (pagination.paginate)."""
    query = (
        select(Booking).join(Booking.clinic).where(on_local_day(day, clinic_ids=clinic_ids))
        .options(contains_eager(Booking.clinic), joinedload(Booking.doctor), joinedload(Booking.diagnostic))
        .order_by(Booking.clinic_id, Booking.starts_at, Booking.id)
    )
    if status is not None:
        query = query.where(Booking.status == status.value)
    if doctor_id is not None:
        query = query.where(Booking.doctor_id == doctor_id)
    return query


def bookings_page(day: date | None = None, *, within: Collection[int] | None = None, clinic_id: int | None = None,
                  status: BookingStatus | None = None, doctor_id: int | None = None, page: int = 1,
                  per_page: int = 20) -> Page[Booking]:
    """One page of the day's bookings of the clinics `within` (None: every clinic), by clinic and start time; of one
    of them when `clinic_id` is given (a clinic outside them has none); of one doctor when `doctor_id` is given."""
    clinic_ids = within
    if clinic_id is not None:
        clinic_ids = [clinic_id] if within is None or clinic_id in within else []
    return paginate(day_query(day, clinic_ids=clinic_ids, status=status, doctor_id=doctor_id), page=page,
                    per_page=per_page)

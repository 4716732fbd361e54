"""Free slots: working hours minus breaks, closures, absences, active bookings, the past and the horizon.

Slots are generated in the clinic's local time, each with the UTC offset of its own date, so a
clinic's 09:00 stays 09:00 across DST changes. A local time that does not exist (spring-forward
gap) is skipped; an ambiguous one (fall-back) takes its first occurrence. The original front end's
month of whole hours is checked against the same slots (`refused_whole_hours`).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, bindparam, exists, false, select, text
from sqlalchemy.orm import selectinload

from medsync import clock
from medsync.config import current_settings
from medsync.errors import InvalidRequest, NotFound, SlotTaken, SlotUnavailable
from medsync.extensions import db
from medsync.models import (
    Booking, Clinic, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor, DoctorAbsence, WorkingHours,
)
from medsync.models.booking import ACTIVE_SQL
from medsync.services import catalog
from medsync.services.catalog import ClinicInfo, DayHours

# The longest range of days one free-slots request may ask for (the API documents and enforces this).
MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, in the clinic's zone
    ends_at: datetime


@dataclass(frozen=True)
class Resource:
    """What is being booked: a doctor at their clinic, or a diagnostic at a clinic."""

    clinic: Clinic
    length: timedelta
    doctor_id: int | None = None
    diagnostic_id: int | None = None


def doctor_resource(doctor_id: int) -> Resource:
    doctor = db.session.get(Doctor, doctor_id, options=[selectinload(Doctor.clinic)])
    if doctor is None:
        raise NotFound("Doctor not found.")
    return Resource(doctor.clinic, timedelta(minutes=doctor.appointment_minutes), doctor_id=doctor.id)


def diagnostic_resource(diagnostic_id: int, clinic_id: int) -> Resource:
    diagnostic = db.session.get(DiagnosticType, diagnostic_id)
    if diagnostic is None:
        raise NotFound("Diagnostic not found.")
    offered = db.session.get(ClinicDiagnostic, (clinic_id, diagnostic_id))
    if offered is None:
        raise InvalidRequest(
            "This clinic does not offer this diagnostic.", errors={"clinic_id": ["Not offered at this clinic."]}
        )
    clinic = db.session.get(Clinic, clinic_id)
    return Resource(clinic, timedelta(minutes=diagnostic.duration_minutes), diagnostic_id=diagnostic.id)


def free_slots(
    resource: Resource, date_from: date, date_to: date, *, now: datetime | None = None, patient_id: int | None = None,
) -> list[Slot]:
    """Bookable slots between two clinic-local dates (inclusive), earliest first.

    With `patient_id`, the times that patient already holds (any active booking, anywhere) are left out too.
    """
    if date_to < date_from:
        raise InvalidRequest("The range ends before it starts.", errors={"to": ["Must not be before 'from'."]})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidRequest(f"The range is limited to {MAX_RANGE_DAYS} days.", errors={"to": ["Range too long."]})
    zone = resource.clinic.zone
    spans = _free_spans(resource, date_from, date_to, now or clock.now())
    if patient_id is not None:
        # Kept apart from the resource's bookings: _overlaps needs intervals that never overlap each other,
        # which holds within each list (the exclusion constraints) but not across them.
        own = _patient_intervals(patient_id, zone, date_from, date_to)
        own_starts = [start for start, _ in own]
        spans = [(start, end) for start, end in spans if not _overlaps(start, end, own, own_starts)]
    return [Slot(start.astimezone(zone), end.astimezone(zone)) for start, end in spans]


def refused_whole_hours(
    resource: Resource, date_from: date, date_to: date, *, now: datetime | None = None
) -> list[datetime]:
    """Whole-hour starts of each day's `offered_hours` that `check_slot` refuses, in clinic time, earliest first."""
    # The original front end offers these whole hours and drops the listed ones: what it keeps must be bookable.
    accepted = {start for start, _ in _free_spans(resource, date_from, date_to, now or clock.now())}
    zone = resource.clinic.zone
    hours = {row.weekday: offered_hours(row.opens_at, row.closes_at) for row in _weekly_hours(resource.clinic.id)}
    refused = []
    day = date_from
    while day <= date_to:
        for hour in hours.get(day.isoweekday(), ()):
            starts_at = _to_utc(datetime.combine(day, time(hour)), zone)  # skipped by DST: not offered at all
            if starts_at is not None and starts_at not in accepted:
                refused.append(starts_at.astimezone(zone))
        day += timedelta(days=1)
    return refused


def offered_hours(opens_at: time, closes_at: time) -> range:
    """The whole hours the original front end offers on a day open from `opens_at` to `closes_at`."""
    return range(opens_at.hour, closes_at.hour)


def booking_window(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest instants a slot may start at, seen from `now`."""
    settings = current_settings()
    return now + settings.MIN_BOOKING_NOTICE, now + timedelta(days=settings.BOOKING_HORIZON_DAYS)


def check_slot(resource: Resource, starts_at: datetime, *, now: datetime | None = None) -> Slot:
    """The slot starting exactly at `starts_at`, or the domain error a patient should see.

    The schedule (hours, breaks, closures, slot length) is checked by arithmetic on the catalog snapshot;
    one query then asks for what the snapshot does not hold: an absence of the doctor that day, and an
    active booking overlapping the slot.
    """
    if starts_at.tzinfo is None:
        raise InvalidRequest("The time needs a UTC offset.", errors={"starts_at": ["Missing UTC offset."]})
    now = now or clock.now()
    earliest, latest = booking_window(now)
    if starts_at < now:
        raise SlotUnavailable("This time is in the past.")
    if starts_at < earliest:
        minutes = int(current_settings().MIN_BOOKING_NOTICE.total_seconds() // 60)
        raise SlotUnavailable(f"Bookings must be made at least {minutes} minutes ahead.")
    if starts_at > latest:
        days = current_settings().BOOKING_HORIZON_DAYS
        raise SlotUnavailable(f"Bookings can be made at most {days} days ahead.")
    clinic = _schedule(resource.clinic)
    zone = clinic.zone
    start = starts_at.astimezone(timezone.utc)
    end = start + resource.length
    local = start.astimezone(zone)
    if not _on_grid(clinic, local.replace(tzinfo=None), resource.length, zone, start):
        raise SlotUnavailable(_OFF_SCHEDULE)
    absent, busy = _absent_or_busy(resource, local.date(), start, end)
    if absent:
        raise SlotUnavailable(_OFF_SCHEDULE)
    if busy:
        raise SlotTaken()
    return Slot(local, end.astimezone(zone))


_OFF_SCHEDULE = "The clinic does not take bookings at this time. Please choose a listed slot."


def _schedule(clinic: Clinic | ClinicInfo) -> ClinicInfo:
    """The clinic's hours, breaks and closures, from the catalog snapshot."""
    return clinic if isinstance(clinic, ClinicInfo) else catalog.get_clinic(clinic.id)


def _on_grid(clinic: ClinicInfo, local: datetime, length: timedelta, zone: ZoneInfo, instant: datetime) -> bool:
    """Is the clinic wall time `local` (naive; the instant `instant`) one of the day's slot starts?

    The same slots `_grid` lists, found by arithmetic: open that weekday, not closed that day, inside a
    working stretch and a whole number of slot lengths after its start, not a fall-back hour's repeat.
    """
    day = local.date()
    if any(closure.first_day <= day <= closure.last_day for closure in clinic.closures):
        return False
    hours = next((hours for hours in clinic.hours if hours.weekday == day.isoweekday()), None)
    if hours is None or _to_utc(local, zone) != instant:
        return False
    for stretch_start, stretch_end in _stretches(hours):
        opening = datetime.combine(day, stretch_start)
        if opening <= local and local + length <= datetime.combine(day, stretch_end):
            return (local - opening) % length == timedelta(0)
    return False


def _stretches(hours: DayHours) -> list[tuple[time, time]]:
    """The working stretches of a day of the snapshot (as `_working_stretches` for a row)."""
    stretches, start = [], hours.opens_at
    for pause_start, pause_end in sorted(hours.breaks):
        if pause_start > start:
            stretches.append((start, min(pause_start, hours.closes_at)))
        start = max(start, pause_end)
    if start < hours.closes_at:
        stretches.append((start, hours.closes_at))
    return stretches


def _absent_or_busy(resource: Resource, day: date, start: datetime, end: datetime) -> tuple[bool, bool]:
    """In one query: is the doctor away on the clinic-local `day`; does an active booking hold [start, end)?"""
    values = {"day": day, "starts_at": start, "ends_at": end, "clinic_id": resource.clinic.id,
              "doctor_id": resource.doctor_id, "diagnostic_id": resource.diagnostic_id}
    absent, busy = db.session.execute(_absent_or_busy_query(resource.doctor_id is not None), values).one()
    return absent, busy


@cache
def _absent_or_busy_query(of_doctor: bool) -> Select:
    """Built once with bound parameters: building and keying a statement costs more Python than running it."""
    holder = {"doctor_id": bindparam("doctor_id")} if of_doctor else {"diagnostic_id": bindparam("diagnostic_id")}
    busy = exists().where(
        *holding_time(clinic_id=bindparam("clinic_id"), **holder),
        Booking.starts_at < bindparam("ends_at"), Booking.ends_at > bindparam("starts_at"),
    )
    if not of_doctor:
        return select(false(), busy)
    absent = exists().where(
        DoctorAbsence.doctor_id == bindparam("doctor_id"),
        DoctorAbsence.first_day <= bindparam("day"), DoctorAbsence.last_day >= bindparam("day"),
    )
    return select(absent, busy)


# Internally every instant is UTC: comparing datetimes of one fixed zone is cheap and exact, while
# comparing across zones calls utcoffset() each time and is False for a fall-back hour's repeat.
Span = tuple[datetime, datetime]


def _free_spans(resource: Resource, date_from: date, date_to: date, now: datetime) -> list[Span]:
    """The schedule's slots (UTC) inside the booking window that no active booking overlaps."""
    earliest, latest = (instant.astimezone(timezone.utc) for instant in booking_window(now))
    busy = _busy_intervals(resource, date_from, date_to)
    starts = [start for start, _ in busy]
    return [
        (start, end) for start, end in _grid(resource, date_from, date_to)
        if earliest <= start <= latest and not _overlaps(start, end, busy, starts)
    ]


def _grid(resource: Resource, date_from: date, date_to: date) -> Iterator[Span]:
    """Every slot the schedule offers (UTC start, end), ignoring bookings and the booking window."""
    clinic = resource.clinic
    zone = clinic.zone
    hours = {row.weekday: row for row in _weekly_hours(clinic.id)}
    closed = _closed_days(resource, date_from, date_to)
    day = date_from
    while day <= date_to:
        row = hours.get(day.isoweekday())
        if row is not None and day not in closed:
            yield from _day_slots(day, row, resource.length, zone)
        day += timedelta(days=1)


def _day_slots(day: date, row: WorkingHours, length: timedelta, zone: ZoneInfo) -> Iterator[Span]:
    """Slots of each working stretch (opening → break, break → break, break → closing), each anchored at its start."""
    for stretch_start, stretch_end in _working_stretches(row):
        local = datetime.combine(day, stretch_start)
        closing = datetime.combine(day, stretch_end)
        while local + length <= closing:
            starts_at = _to_utc(local, zone)
            if starts_at is not None:
                yield starts_at, starts_at + length
            local += length


def _working_stretches(row: WorkingHours) -> list[tuple[time, time]]:
    stretches, start = [], row.opens_at
    for pause in sorted(row.breaks, key=lambda pause: pause.starts_at):
        if pause.starts_at > start:
            stretches.append((start, min(pause.starts_at, row.closes_at)))
        start = max(start, pause.ends_at)
    if start < row.closes_at:
        stretches.append((start, row.closes_at))
    return stretches


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a clinic wall time on its own date; None for a wall time skipped by DST."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    return instant if instant.astimezone(zone).replace(tzinfo=None) == local else None


def _weekly_hours(clinic_id: int) -> list[WorkingHours]:
    return list(
        db.session.scalars(
            select(WorkingHours).where(WorkingHours.clinic_id == clinic_id).options(selectinload(WorkingHours.breaks))
        )
    )


def _closed_days(resource: Resource, date_from: date, date_to: date) -> set[date]:
    """Days the clinic is closed or the doctor is away."""
    ranges = list(
        db.session.execute(
            select(ClinicClosure.first_day, ClinicClosure.last_day).where(
                ClinicClosure.clinic_id == resource.clinic.id,
                ClinicClosure.first_day <= date_to,
                ClinicClosure.last_day >= date_from,
            )
        )
    )
    if resource.doctor_id is not None:
        ranges += db.session.execute(
            select(DoctorAbsence.first_day, DoctorAbsence.last_day).where(
                DoctorAbsence.doctor_id == resource.doctor_id,
                DoctorAbsence.first_day <= date_to,
                DoctorAbsence.last_day >= date_from,
            )
        )
    days: set[date] = set()
    for first, last in ranges:
        day = max(first, date_from)
        while day <= min(last, date_to):
            days.add(day)
            day += timedelta(days=1)
    return days


def _busy_intervals(resource: Resource, date_from: date, date_to: date) -> list[Span]:
    """Active bookings of the resource overlapping the local date range (UTC), sorted by start."""
    return _intervals(
        holding_time(clinic_id=resource.clinic.id, doctor_id=resource.doctor_id, diagnostic_id=resource.diagnostic_id),
        resource.clinic.zone, date_from, date_to,
    )


def _patient_intervals(patient_id: int, zone: ZoneInfo, date_from: date, date_to: date) -> list[Span]:
    """The patient's active bookings (at any clinic) overlapping the local date range (UTC), sorted by start."""
    return _intervals([text(ACTIVE_SQL), Booking.user_id == patient_id], zone, date_from, date_to)


def _intervals(conditions: list[ColumnElement[bool]], zone: ZoneInfo, date_from: date, date_to: date) -> list[Span]:
    # One day of margin either side covers any offset and bookings spanning midnight.
    range_start = datetime.combine(date_from - timedelta(days=1), time.min, zone)
    range_end = datetime.combine(date_to + timedelta(days=2), time.min, zone)
    query = select(Booking.starts_at, Booking.ends_at).where(
        *conditions, Booking.starts_at < range_end, Booking.ends_at > range_start,
    )
    return sorted(
        (row.starts_at.astimezone(timezone.utc), row.ends_at.astimezone(timezone.utc))
        for row in db.session.execute(query)
    )


def holding_time(
    *, clinic_id: int, doctor_id: int | None = None, diagnostic_id: int | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for the active bookings that hold a doctor's time, or a diagnostic's at a clinic."""
    if doctor_id is not None:
        return [text(ACTIVE_SQL), Booking.doctor_id == doctor_id]
    return [text(ACTIVE_SQL), Booking.diagnostic_id == diagnostic_id, Booking.clinic_id == clinic_id]


def _overlaps(start: datetime, end: datetime, busy: list[Span], starts: list[datetime]) -> bool:
    """Does [start, end) overlap any busy interval? Busy intervals never overlap each other."""
    index = bisect.bisect_left(starts, end)
    return index > 0 and busy[index - 1][1] > start

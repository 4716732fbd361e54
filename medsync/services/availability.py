"""Free slots: working hours minus breaks, closures, absences, active bookings, the past and the horizon.

Slots are generated in the clinic's local time, each with the UTC offset of its own date, so a
clinic's 09:00 stays 09:00 across DST changes. A local time that does not exist (spring-forward
gap) is skipped; an ambiguous one (fall-back) takes its first occurrence. The original front end's
month of whole hours is checked against the same slots (`refused_hours`).

The grid comes from the catalog snapshot (a `Schedule`: hours, breaks, closures, absences, slot length, and the
resource's own hours narrowing the clinic's: `medsync.services.timetables`),
so a month of free slots costs one query, for the bookings that hold the time. `free_spans` also says
until when its answer holds as the clock moves, for the API's answer cache (`medsync.api.answers`).
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import TIMESTAMP, BigInteger, ColumnElement, Select, bindparam, cast, exists, false, func, select, text
from sqlalchemy.orm import selectinload

from medsync import clock
from medsync.config import current_settings
from medsync.errors import InvalidRequest, SlotTaken, SlotUnavailable
from medsync.extensions import db
from medsync.models import Booking, ClinicClosure, DoctorAbsence, WorkingHours
from medsync.models.booking import ACTIVE_SQL
from medsync.services import catalog, changes, timetables
from medsync.services.catalog import ClinicInfo, Closure, DayHours
from medsync.services.timetables import Timetable

# The longest range of days one free-slots request may ask for (the API documents and enforces this).
MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, in the clinic's zone
    ends_at: datetime


@dataclass(frozen=True)
class Resource:
    """What is being booked: a doctor at their clinic, or a diagnostic at a clinic."""

    clinic: ClinicInfo
    length: timedelta
    doctor_id: int | None = None
    diagnostic_id: int | None = None


@dataclass(frozen=True)
class Schedule:
    """What a resource's slot grid is made of: its clinic's week and closures, absences, the slot length."""

    clinic: ClinicInfo
    length: timedelta
    absences: tuple[tuple[date, date], ...] = ()
    doctor_id: int | None = None
    diagnostic_id: int | None = None
    timetable: Timetable | None = None  # the resource's own hours within the clinic's; None: the clinic's

    @property
    def working_time(self) -> Timetable:
        """The working stretches of each day (before closures, absences and bookings)."""
        return self.timetable or self.clinic.timetable

    def holds(self, starts_at: datetime, ends_at: datetime) -> bool:
        """Is [starts_at, ends_at) working time, whole: inside one working stretch of a day that is neither closed
        nor an absence? A booked visit whose time a schedule change took away is not (its length may differ from
        today's slot length: only the time counts, not the grid)."""
        zone = self.clinic.zone
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        day = start.date()
        if end.date() != day:
            return False
        closed = (*((closure.first_day, closure.last_day) for closure in self.clinic.closures), *self.absences)
        if any(first <= day <= last for first, last in closed):
            return False
        return self.working_time.covers(day, start.time(), end.time())

    @property
    def key(self) -> str:
        """The resource's slot-token key (see `changes`)."""
        if self.doctor_id is not None:
            return changes.doctor_key(self.doctor_id)
        return changes.diagnostic_key(self.diagnostic_id, self.clinic.id)


@dataclass(frozen=True)
class FreeSpans:
    spans: list[Span]  # UTC
    valid_until: datetime  # the first instant at which the booking window moving changes them


def doctor_schedule(doctor_id: int) -> Schedule:
    """A doctor's schedule from the catalog snapshot (no query when it is cached)."""
    doctor = catalog.get_doctor(doctor_id)
    return Schedule(doctor.clinic, timedelta(minutes=doctor.appointment_minutes), doctor.absences, doctor_id=doctor.id,
                    timetable=doctor.timetable)


def diagnostic_schedule(diagnostic_id: int, clinic_id: int) -> Schedule:
    """A diagnostic's schedule at a clinic from the catalog snapshot; refused when the clinic does not offer it
    (`catalog.offer_at`)."""
    offer = catalog.offer_at(clinic_id, diagnostic_id=diagnostic_id)
    return Schedule(offer.clinic, timedelta(minutes=offer.minutes), diagnostic_id=diagnostic_id,
                    timetable=offer.timetable)


def free_spans(
    schedule: Schedule, date_from: date, date_to: date, *, now: datetime, patient_id: int | None = None,
) -> FreeSpans:
    """The free slots (UTC spans) and until when they stay so if no booking or catalog change intervenes."""
    _check_range(date_from, date_to)
    grid = _grid_spans(schedule, date_from, date_to)
    busy = _intervals(_holding(schedule), schedule.clinic.zone, date_from, date_to)
    spans = _free_of(grid, busy, now)
    if patient_id is not None:
        # Kept apart from the resource's bookings: _overlaps needs intervals that never overlap each other,
        # which holds within each list (the exclusion constraints) but not across them.
        own = _patient_intervals(patient_id, schedule.clinic.zone, date_from, date_to)
        own_starts = [start for start, _ in own]
        spans = [(start, end) for start, end in spans if not _overlaps(start, end, own, own_starts)]
    return FreeSpans(spans, _window_moves(grid, now))


def refused_hours(
    schedule: Schedule, date_from: date, date_to: date, *, now: datetime
) -> tuple[list[datetime], datetime]:
    """Whole-hour starts of each day's `offered_hours` that `check_slot` refuses, in clinic time, earliest first; and
    until when the answer holds (as `FreeSpans.valid_until`)."""
    # The original front end offers these whole hours and drops the listed ones: what it keeps must be bookable.
    free = free_spans(schedule, date_from, date_to, now=now)
    accepted = {start for start, _ in free.spans}
    zone = schedule.clinic.zone
    hours = {day.weekday: offered_hours(day.opens_at, day.closes_at) for day in schedule.clinic.hours}
    refused = []
    day = date_from
    while day <= date_to:
        for hour in hours.get(day.isoweekday(), ()):
            starts_at = _to_utc(datetime.combine(day, time(hour)), zone)  # skipped by DST: not offered at all
            if starts_at is not None and starts_at not in accepted:
                refused.append(starts_at.astimezone(zone))
        day += timedelta(days=1)
    return refused, free.valid_until


def offered_hours(opens_at: time, closes_at: time) -> range:
    """The whole hours the original front end offers on a day open from `opens_at` to `closes_at`."""
    return range(opens_at.hour, closes_at.hour)


def booking_window(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest instants a slot may start at, seen from `now`."""
    settings = current_settings()
    return now + settings.MIN_BOOKING_NOTICE, now + timedelta(days=settings.BOOKING_HORIZON_DAYS)


def check_slot(resource: Resource, starts_at: datetime, *, now: datetime | None = None) -> Slot:
    """The slot starting exactly at `starts_at`, or the domain error a patient should see.

    The schedule (hours, breaks, closures, slot length) is checked by arithmetic on `schedule_of`'s clinic
    (`slot_on_grid`); one query then asks for what the snapshot does not hold: an absence of the doctor that
    day, and an active booking overlapping the slot.
    """
    slot = slot_on_grid(resource, starts_at, now=now)
    start, end = slot.starts_at.astimezone(timezone.utc), slot.ends_at.astimezone(timezone.utc)
    absent, busy = _absent_or_busy(resource, slot.starts_at.date(), start, end)
    if absent:
        raise SlotUnavailable(_OFF_SCHEDULE)
    if busy:
        raise SlotTaken()
    return slot


def slot_on_grid(resource: Resource, starts_at: datetime, *, now: datetime | None = None) -> Slot:
    """The slot starting exactly at `starts_at` if the schedule offers it (no query), else SlotUnavailable.

    What the catalog snapshot cannot tell (the doctor's absences, other bookings) is left to the caller:
    `check_slot` asks, a booking's INSERT refuses.
    """
    if starts_at.tzinfo is None:
        raise InvalidRequest(_("The time needs a UTC offset."), errors={"starts_at": [_("Missing UTC offset.")]})
    now = now or clock.now()
    earliest, latest = booking_window(now)
    if starts_at < now:
        raise SlotUnavailable(_("This time is in the past."))
    if starts_at < earliest:
        minutes = int(current_settings().MIN_BOOKING_NOTICE.total_seconds() // 60)
        raise SlotUnavailable(ngettext("Bookings must be made at least %(num)d minute ahead.",
                                        "Bookings must be made at least %(num)d minutes ahead.", minutes))
    if starts_at > latest:
        days = current_settings().BOOKING_HORIZON_DAYS
        raise SlotUnavailable(ngettext("Bookings can be made at most %(num)d day ahead.",
                                        "Bookings can be made at most %(num)d days ahead.", days))
    schedule = schedule_of(resource)  # the same hours the free-slot lists offer, uncommitted changes too
    zone = schedule.clinic.zone
    start = starts_at.astimezone(timezone.utc)
    end = start + resource.length
    local = start.astimezone(zone)
    if not _on_grid(schedule, local.replace(tzinfo=None), resource.length, zone, start):
        raise SlotUnavailable(_OFF_SCHEDULE)
    return Slot(local, end.astimezone(zone))


_OFF_SCHEDULE = _l("The clinic does not take bookings at this time. Please choose a listed slot.")


def _on_grid(schedule: Schedule, local: datetime, length: timedelta, zone: ZoneInfo, instant: datetime) -> bool:
    """Is the clinic wall time `local` (naive; the instant `instant`) one of the day's slot starts?

    The same slots `_grid_spans` lists, found by arithmetic: not closed that day, inside one of the day's working
    stretches (the resource's hours within the clinic's) and a whole number of slot lengths after its start, not
    a fall-back hour's repeat.
    """
    day = local.date()
    if any(closure.first_day <= day <= closure.last_day for closure in schedule.clinic.closures):
        return False
    if _to_utc(local, zone) != instant:
        return False
    for stretch_start, stretch_end in schedule.working_time.stretches(day):
        opening = datetime.combine(day, stretch_start)
        if opening <= local and local + length <= datetime.combine(day, stretch_end):
            return (local - opening) % length == timedelta(0)
    return False


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
        overlapping(bindparam("starts_at"), bindparam("ends_at")),
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


def _check_range(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise InvalidRequest(_("The range ends before it starts."), errors={"to": [_("Must not be before 'from'.")]})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidRequest(ngettext("The range is limited to %(num)d day.", "The range is limited to %(num)d days.",
                                      MAX_RANGE_DAYS), errors={"to": [_("Range too long.")]})


def _free_of(grid: list[Span], busy: list[Span], now: datetime) -> list[Span]:
    """The grid's slots inside the booking window that no busy interval overlaps."""
    earliest, latest = (instant.astimezone(timezone.utc) for instant in booking_window(now))
    starts = [start for start, _ in busy]
    return [(start, end) for start, end in grid if earliest <= start <= latest and not _overlaps(start, end, busy, starts)]


def _window_moves(grid: list[Span], now: datetime) -> datetime:
    """When the booking window next drops a slot of `grid` (too soon) or takes one in (within the horizon)."""
    earliest, latest = booking_window(now)
    settings = current_settings()
    moves = [datetime.max.replace(tzinfo=timezone.utc)]
    leaving = next((start for start, _ in grid if start >= earliest), None)
    if leaving is not None:
        moves.append(leaving - settings.MIN_BOOKING_NOTICE)
    entering = next((start for start, _ in grid if start > latest), None)
    if entering is not None:
        moves.append(entering - timedelta(days=settings.BOOKING_HORIZON_DAYS))
    return min(moves)


def schedule_of(resource: Resource) -> Schedule:
    """The resource's schedule: from the catalog snapshot, or from the database while this transaction
    holds catalog writes not yet committed (no snapshot has them)."""
    if not catalog.writing_catalog(db.session()):
        snapshot = catalog.current_catalog()
        clinic = snapshot.clinics.get(resource.clinic.id)
        doctor = snapshot.doctors.get(resource.doctor_id) if resource.doctor_id is not None else None
        if clinic is not None and (resource.doctor_id is None or doctor is not None):
            return Schedule(clinic, resource.length, doctor.absences if doctor else (),
                            doctor_id=resource.doctor_id, diagnostic_id=resource.diagnostic_id,
                            timetable=doctor.timetable if doctor else _test_timetable(snapshot, resource))
    return _schedule_from_database(resource)


def _test_timetable(snapshot: catalog.Catalog, resource: Resource) -> Timetable | None:
    diagnostic = snapshot.diagnostics.get(resource.diagnostic_id)
    offers = diagnostic.offers if diagnostic is not None else ()
    return next((offer.timetable for offer in offers if offer.clinic.id == resource.clinic.id), None)


def _schedule_from_database(resource: Resource) -> Schedule:
    clinic = resource.clinic
    hours = tuple(
        DayHours(row.weekday, row.opens_at, row.closes_at,
                 tuple((pause.starts_at, pause.ends_at) for pause in row.breaks))
        for row in _weekly_hours(clinic.id)
    )
    closures = tuple(Closure(row.first_day, row.last_day, row.reason) for row in db.session.scalars(
        select(ClinicClosure).where(ClinicClosure.clinic_id == clinic.id)))
    absences = ()
    if resource.doctor_id is not None:
        absences = tuple(db.session.execute(
            select(DoctorAbsence.first_day, DoctorAbsence.last_day).where(DoctorAbsence.doctor_id == resource.doctor_id)
        ).tuples())
        own = timetables.load(doctor_id=resource.doctor_id).doctors.get(resource.doctor_id)
    else:
        own = timetables.load(clinic_id=clinic.id).tests.get((clinic.id, resource.diagnostic_id))
    info = ClinicInfo(clinic.id, clinic.name, clinic.address, clinic.timezone, clinic.currency,
                      clinic.default_language, hours, closures, country=clinic.country)
    return Schedule(info, resource.length, absences, doctor_id=resource.doctor_id, diagnostic_id=resource.diagnostic_id,
                    timetable=timetables.timetable(info.timetable.clinic_week, own))


def _grid_spans(schedule: Schedule, date_from: date, date_to: date) -> list[Span]:
    """Every slot the schedule offers between two local dates (UTC start, end), earliest first."""
    zone = schedule.clinic.zone
    working_time = schedule.working_time
    closed = _closed_days((*((c.first_day, c.last_day) for c in schedule.clinic.closures), *schedule.absences),
                          date_from, date_to)
    spans: list[Span] = []
    day = date_from
    while day <= date_to:
        if day not in closed:
            for stretch_start, stretch_end in working_time.stretches(day):
                spans += _stretch_slots(datetime.combine(day, stretch_start), datetime.combine(day, stretch_end),
                                       schedule.length, zone)
        day += timedelta(days=1)
    return spans


def _stretch_slots(local: datetime, closing: datetime, length: timedelta, zone: ZoneInfo) -> list[Span]:
    """Slots of one working stretch, anchored at its start; without a DST change inside, by arithmetic."""
    count = (closing - local) // length
    if count <= 0:
        return []
    first, last = _to_utc(local, zone), _to_utc(local + (count - 1) * length, zone)
    if first is not None and last is not None and last - first == (count - 1) * length:
        return [(first + index * length, first + (index + 1) * length) for index in range(count)]
    spans = []
    for index in range(count):  # the stretch crosses a DST change: each wall time on its own
        starts_at = _to_utc(local + index * length, zone)
        if starts_at is not None:
            spans.append((starts_at, starts_at + length))
    return spans


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


def _closed_days(ranges: Iterable[tuple[date, date]], date_from: date, date_to: date) -> set[date]:
    """Days inside [date_from, date_to] that any (first, last) range covers: closures and absences."""
    days: set[date] = set()
    for first, last in ranges:
        day = max(first, date_from)
        while day <= min(last, date_to):
            days.add(day)
            day += timedelta(days=1)
    return days


def _holding(schedule: Schedule) -> list[ColumnElement[bool]]:
    return holding_time(clinic_id=schedule.clinic.id, doctor_id=schedule.doctor_id, diagnostic_id=schedule.diagnostic_id)


def _patient_intervals(patient_id: int, zone: ZoneInfo, date_from: date, date_to: date) -> list[Span]:
    """The patient's active bookings (at any clinic) overlapping the local date range (UTC), sorted by start."""
    return _intervals(holding_patients_time(patient_id), zone, date_from, date_to)


def _intervals(conditions: list[ColumnElement[bool]], zone: ZoneInfo, date_from: date, date_to: date) -> list[Span]:
    # One day of margin either side covers any offset and bookings spanning midnight.
    range_start = datetime.combine(date_from - timedelta(days=1), time.min, zone)
    range_end = datetime.combine(date_to + timedelta(days=2), time.min, zone)
    query = select(Booking.starts_at, Booking.ends_at).where(*conditions, overlapping(range_start, range_end))
    return sorted(
        (row.starts_at.astimezone(timezone.utc), row.ends_at.astimezone(timezone.utc))
        for row in db.session.execute(query)
    )


def overlapping(starts_at: Any, ends_at: Any) -> ColumnElement[bool]:
    """Bookings whose time overlaps [starts_at, ends_at), written exactly as the exclusion constraints index a
    booking's time, so that their GiST indexes read only the bookings in the window: compared end with start, the
    window is bounded on one side only, and a doctor's (a test's, a patient's) whole history before it is read."""
    window = func.tstzrange(cast(starts_at, TIMESTAMP(timezone=True)), cast(ends_at, TIMESTAMP(timezone=True)))
    return func.tstzrange(Booking.starts_at, Booking.ends_at).op("&&", is_comparison=True)(window)


def holding_time(
    *, clinic_id: int, doctor_id: int | None = None, diagnostic_id: int | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for the active bookings that hold a doctor's time, or a diagnostic's at a clinic."""
    if doctor_id is not None:
        return [text(ACTIVE_SQL), Booking.doctor_id == doctor_id]
    return [text(ACTIVE_SQL), Booking.diagnostic_id == diagnostic_id, Booking.clinic_id == clinic_id]


def holding_patients_time(patient_id: int) -> list[ColumnElement[bool]]:
    """Conditions for the active bookings that hold a patient's time."""
    return [text(ACTIVE_SQL), of_patient(patient_id)]


def of_patient(patient_id: Any) -> ColumnElement[bool]:
    """A patient's bookings. The id is compared as a bigint, as user_id is: the patients' exclusion index
    (btree_gist) has no operator for a bigint column against an integer (a Telegram id below 2^31 is sent as one),
    and would narrow by time alone."""
    return Booking.user_id == cast(patient_id, BigInteger)


def _overlaps(start: datetime, end: datetime, busy: list[Span], starts: list[datetime]) -> bool:
    """Does [start, end) overlap any busy interval? Busy intervals never overlap each other."""
    index = bisect.bisect_left(starts, end)
    return index > 0 and busy[index - 1][1] > start

"""Changing who works when: a doctor's weekly hours (rotas), day overrides and absences, a clinic's closures, a test's
hours and duration at a clinic. What such a change takes away from booked patients is found, not guessed.

Every change is written and flushed first; then the visits still booked from now on whose time the changed schedule
no longer holds (`availability.Schedule.holds`, on the schedule read back in this transaction) are the ones it
affects. A dry run stops there, rolls its savepoint back and says which they are; a real one cancels them by the
clinic (`bookings.cancel_by_clinic`: one message each, with ways to book again) in the same transaction. So one
rule decides for an absence, a closure, a day off and narrower hours alike, and the free-slot lists (the same
schedule, from the snapshot once committed) agree with it.

Bad values are refused before anything is written, each naming its field (`InvalidRequest`): hours that end before
they start, intervals that overlap, a weekday outside 1-7, a time off the resource's grid (`timetables.on_grid`),
a last day before the first.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from medsync import clock
from medsync.errors import InvalidRequest, NotFound
from medsync.extensions import db
from medsync.models import (
    Booking, BookingEvent, BookingStatus, Clinic, ClinicClosure, ClinicDiagnostic, DayOverride, DiagnosticType,
    Doctor, DoctorAbsence, MessageStatus, OutboxMessage, OverrideInterval, Rota, RotaInterval, User, WorkingHours,
)
from medsync.services import audit, availability, bookings, timetables
from medsync.services.catalog import ClinicInfo, Closure, DayHours

@dataclass(frozen=True)
class WeeklyHours:
    """One interval of a rota: an ISO weekday and clinic-local start and end."""

    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class Change:
    """What a schedule change wrote (None in a dry run) and the booked visits it takes time from (cancelled, or
    that would be)."""

    id: int | None
    affected: list[int]


# --- a doctor's weekly hours -----------------------------------------------------------------------


def rotas_of(doctor_id: int, *, today: date | None = None) -> list[Rota]:
    """The doctor's rota in force today (if any) and the ones that start later, earliest first."""
    doctor = _doctor(doctor_id)
    return _current_and_later(select(Rota).where(Rota.doctor_id == doctor.id), doctor.clinic, today)


def replace_hours(
    doctor_id: int, weekly: Sequence[WeeklyHours], *, valid_from: date | None = None, actor_id: str,
    dry_run: bool = False, now: datetime | None = None,
) -> Change:
    """The doctor's weekly hours from `valid_from` (default: today at the clinic) until their next rota, replacing a
    rota that starts the same day; the bookings it leaves outside their hours are cancelled."""
    doctor = _doctor(doctor_id)
    now = now or clock.now()
    valid_from = _starting(valid_from, doctor.clinic, now)
    check_weekly(weekly, doctor.appointment_minutes)

    owned = select(Rota).where(Rota.doctor_id == doctor.id)
    replaced = db.session.scalar(owned.where(Rota.valid_from == valid_from))
    before = _described(replaced) if replaced is not None else None

    def write() -> Rota:
        return _write_rota(owned, Rota(doctor_id=doctor.id), weekly, valid_from)

    return _apply(write, doctor, doctor.clinic_id, doctor_id=doctor.id, reason=None, actor_id=actor_id,
                  dry_run=dry_run, now=now, change={"kind": "hours", "doctor_id": doctor.id},
                  action="doctor.hours", before=before)


# --- a test's hours and duration at a clinic -------------------------------------------------------


def test_rotas_of(clinic_id: int, diagnostic_id: int, *, today: date | None = None) -> list[Rota]:
    offer = _offer(clinic_id, diagnostic_id)
    owner = (Rota.clinic_id == offer.clinic_id, Rota.diagnostic_id == offer.diagnostic_id)
    return _current_and_later(select(Rota).where(*owner), db.session.get(Clinic, clinic_id), today)


def replace_test_hours(
    clinic_id: int, diagnostic_id: int, weekly: Sequence[WeeklyHours], *, valid_from: date | None = None,
    duration_minutes: int | None = None, actor_id: str, dry_run: bool = False, now: datetime | None = None,
) -> Change:
    """A test's days and hours at a clinic from `valid_from` (and, when given, its duration there)."""
    offer = _offer(clinic_id, diagnostic_id)
    clinic = db.session.get(Clinic, clinic_id)
    now = now or clock.now()
    valid_from = _starting(valid_from, clinic, now)
    if duration_minutes is not None and duration_minutes <= 0:
        raise InvalidRequest(_("Please check the hours."), errors={"duration_minutes": [_("Must be positive.")]})
    minutes = duration_minutes or offer.duration_minutes or db.session.get(DiagnosticType, diagnostic_id).duration_minutes
    check_weekly(weekly, minutes)

    owned = select(Rota).where(Rota.clinic_id == clinic_id, Rota.diagnostic_id == diagnostic_id)
    replaced = db.session.scalar(owned.where(Rota.valid_from == valid_from))
    before = {**(_described(replaced) if replaced is not None else {}), "duration_minutes": offer.duration_minutes}

    def write() -> Rota:
        if duration_minutes is not None:
            offer.duration_minutes = duration_minutes
        return _write_rota(owned, Rota(clinic_id=clinic_id, diagnostic_id=diagnostic_id), weekly, valid_from)

    return _apply(write, offer, clinic_id, diagnostic_id=diagnostic_id, reason=None, actor_id=actor_id,
                  dry_run=dry_run, now=now, change={"kind": "hours", "diagnostic_id": diagnostic_id,
                                                    "duration_minutes": duration_minutes},
                  action="diagnostic.hours", before=before)


def test_duration(clinic_id: int, diagnostic_id: int) -> int:
    """How long the test takes at the clinic: its own duration there, else the test's."""
    offer = _offer(clinic_id, diagnostic_id)
    return offer.duration_minutes or db.session.get(DiagnosticType, diagnostic_id).duration_minutes


# --- a doctor's day overrides and absences ---------------------------------------------------------


def overrides_of(doctor_id: int, *, today: date | None = None) -> list[DayOverride]:
    doctor = _doctor(doctor_id)
    today = today or clock.now().astimezone(doctor.clinic.zone).date()
    return list(db.session.scalars(
        select(DayOverride).where(DayOverride.doctor_id == doctor.id, DayOverride.day >= today)
        .order_by(DayOverride.day)
    ))


def add_override(
    doctor_id: int, day: date, hours: Sequence[tuple[time, time]], *, reason: str | None = None, actor_id: str,
    dry_run: bool = False, now: datetime | None = None,
) -> Change:
    """Other hours for the doctor on one day (none: a day off), replacing an override of that day."""
    doctor = _doctor(doctor_id)
    errors = interval_errors([(index, start, end) for index, (start, end) in enumerate(hours)],
                              doctor.appointment_minutes)
    if errors:
        raise InvalidRequest(_("Please check the hours."), errors={"hours": errors})

    def write() -> DayOverride:
        earlier = db.session.scalar(select(DayOverride).where(DayOverride.doctor_id == doctor.id,
                                                              DayOverride.day == day))
        if earlier is not None:
            db.session.delete(earlier)
            db.session.flush()
        override = DayOverride(doctor_id=doctor.id, day=day, reason=reason,
                               intervals=[OverrideInterval(starts_at=start, ends_at=end) for start, end in hours])
        db.session.add(override)
        return override

    kind = "day_off" if not hours else "hours"
    replaced = db.session.scalar(select(DayOverride).where(DayOverride.doctor_id == doctor.id, DayOverride.day == day))
    return _apply(write, doctor, doctor.clinic_id, doctor_id=doctor.id, reason=reason, actor_id=actor_id,
                  dry_run=dry_run, now=now, change={"kind": kind, "doctor_id": doctor.id, "first_day": day.isoformat(),
                                                    "last_day": day.isoformat()},
                  action="doctor.override.create", before=_described(replaced) if replaced is not None else None)


def remove_override(doctor_id: int, override_id: int, *, actor_id: str) -> None:
    """The doctor works their rota's hours that day again (nothing booked is affected: time is only given back)."""
    doctor = _doctor(doctor_id)
    override = db.session.get(DayOverride, override_id)
    if override is None or override.doctor_id != doctor.id:
        raise NotFound(_("Override not found."))
    _removed("doctor.override.delete", override, object_type="doctor", object_id=doctor.id,
             clinic_id=doctor.clinic_id, actor_id=actor_id)


def absences_of(doctor_id: int, *, today: date | None = None) -> list[DoctorAbsence]:
    doctor = _doctor(doctor_id)
    today = today or clock.now().astimezone(doctor.clinic.zone).date()
    return list(db.session.scalars(
        select(DoctorAbsence).where(DoctorAbsence.doctor_id == doctor.id, DoctorAbsence.last_day >= today)
        .order_by(DoctorAbsence.first_day)
    ))


def add_absence(
    doctor_id: int, first_day: date, last_day: date, *, reason: str | None, actor_id: str, dry_run: bool = False,
    now: datetime | None = None,
) -> Change:
    """The doctor does not see patients from `first_day` to `last_day` (vacation, illness, training)."""
    doctor = _doctor(doctor_id)
    check_days(first_day, last_day)

    def write() -> DoctorAbsence:
        absence = DoctorAbsence(doctor_id=doctor.id, first_day=first_day, last_day=last_day, reason=reason)
        db.session.add(absence)
        return absence

    return _apply(write, doctor, doctor.clinic_id, doctor_id=doctor.id, reason=reason, actor_id=actor_id,
                  dry_run=dry_run, now=now, change={"kind": "absence", "doctor_id": doctor.id,
                                                    "first_day": first_day.isoformat(),
                                                    "last_day": last_day.isoformat()},
                  action="doctor.absence.create")


def remove_absence(doctor_id: int, absence_id: int, *, actor_id: str) -> None:
    """The doctor's days are offered again (visits cancelled for the absence stay cancelled)."""
    doctor = _doctor(doctor_id)
    absence = db.session.get(DoctorAbsence, absence_id)
    if absence is None or absence.doctor_id != doctor.id:
        raise NotFound(_("Absence not found."))
    _removed("doctor.absence.delete", absence, object_type="doctor", object_id=doctor.id, clinic_id=doctor.clinic_id,
             actor_id=actor_id)


# --- a clinic's closures ---------------------------------------------------------------------------


def closures_of(clinic_id: int, *, today: date | None = None) -> list[ClinicClosure]:
    clinic = _clinic(clinic_id)
    today = today or clock.now().astimezone(clinic.zone).date()
    return list(db.session.scalars(
        select(ClinicClosure).where(ClinicClosure.clinic_id == clinic.id, ClinicClosure.last_day >= today)
        .order_by(ClinicClosure.first_day)
    ))


def add_closure(
    clinic_id: int, first_day: date, last_day: date | None = None, *, reason: str | None, actor_id: str,
    dry_run: bool = False, now: datetime | None = None,
) -> Change:
    """The whole clinic is closed from `first_day` to `last_day` (default: that day only): a public holiday."""
    clinic = _clinic(clinic_id)
    last_day = last_day or first_day
    check_days(first_day, last_day)

    def write() -> ClinicClosure:
        closure = ClinicClosure(clinic_id=clinic.id, first_day=first_day, last_day=last_day, reason=reason)
        db.session.add(closure)
        return closure

    return _apply(write, clinic, clinic.id, reason=reason, actor_id=actor_id, dry_run=dry_run, now=now,
                  change={"kind": "closure", "clinic_id": clinic.id, "first_day": first_day.isoformat(),
                          "last_day": last_day.isoformat()},
                  action="clinic.closure.create")


def remove_closure(clinic_id: int, closure_id: int, *, actor_id: str) -> None:
    closure = db.session.get(ClinicClosure, closure_id)
    if closure is None or closure.clinic_id != _clinic(clinic_id).id:
        raise NotFound(_("Closure not found."))
    _removed("clinic.closure.delete", closure, object_type="clinic", object_id=clinic_id, clinic_id=clinic_id,
             actor_id=actor_id)


# --- what a change takes away ----------------------------------------------------------------------


def _apply(
    write: Callable[[], Any], owner: Any, clinic_id: int, *, doctor_id: int | None = None,
    diagnostic_id: int | None = None, reason: str | None, actor_id: str, dry_run: bool, now: datetime | None,
    change: dict[str, Any], action: str, before: dict[str, Any] | None = None,
) -> Change:
    """Write the change, find the visits it strands; a dry run undoes the write, a real one cancels them and signs
    the audit trail (`action` on the doctor, the test or the clinic: what it was `before`, what it is now and the
    visits it cancelled).

    The clinic's row is locked first (then the owner's: the doctor, the test at its clinic): a booking being written
    at the clinic holds a key-share lock on that row until it commits, so every booking that got in before is seen
    here, and one that comes after waits for this change and then finds the clinic's schedule version moved, and
    writes nothing (`schedule_changed`; services.bookings.statement).
    """
    now = now or clock.now()
    lock_schedule(clinic_id)  # the clinic's row first, then the owner's: a booking locks them in that order too
    db.session.refresh(owner, with_for_update=True)
    written, cancelled = strand(write, clinic_id, doctor_id=doctor_id, diagnostic_id=diagnostic_id, reason=reason,
                                actor_id=actor_id, dry_run=dry_run, now=now, change=change)
    if dry_run:
        return Change(None, cancelled)
    object_type, object_id = (("doctor", doctor_id) if doctor_id is not None else
                              ("diagnostic", diagnostic_id) if diagnostic_id is not None else ("clinic", clinic_id))
    after = {**{key: value for key, value in change.items() if key != "kind"}, **_described(written),
             "cancelled_bookings": cancelled}
    audit.record(action, actor_id=actor_id, object_type=object_type, object_id=object_id, clinic_id=clinic_id,
                 before=before, after=after)
    return Change(written.id, cancelled)


def strand(
    write: Callable[[], Any], clinic_id: int, *, doctor_id: int | None = None, diagnostic_id: int | None = None,
    reason: str | None, actor_id: str, dry_run: bool, now: datetime, change: dict[str, Any],
) -> tuple[Any, list[int]]:
    """The heart of a schedule change, its rows already locked (`lock_schedule` first): `write` it and flush, find the
    visits from `now` on it strands (of the doctor, of the test, or of the whole clinic when neither is named). A dry
    run undoes the write and returns (None, those visits); a real one moves the clinic's schedule version, cancels
    them by the clinic (`bookings.cancel_by_clinic`, each patient messaged with `change`) and returns (what `write`
    returned, the visits cancelled). The caller signs the audit trail. Also used by a clinic's opening hours
    (`catalog_editing.update_clinic`)."""
    savepoint = db.session.begin_nested()
    try:
        written = write()
        db.session.flush()
        affected = stranded_bookings(clinic_id, doctor_id=doctor_id, diagnostic_id=diagnostic_id, since=now)
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        return None, affected
    savepoint.commit()
    schedule_changed(clinic_id)
    cancelled = bookings.cancel_by_clinic(affected, reason=reason, actor_id=actor_id, change=change) if affected else []
    return written, cancelled


def lock_schedule(clinic_id: int) -> None:
    """Lock the clinic's row until this transaction ends (FOR UPDATE: a booking's key-share lock waits for it)."""
    db.session.execute(select(Clinic.id).where(Clinic.id == clinic_id).with_for_update())


def schedule_changed(clinic_id: int) -> None:
    """Move the clinic's schedule version (its row locked by `lock_schedule`): a booking validated on the schedule
    before this change, waiting on the lock, then finds another version and is refused."""
    db.session.execute(update(Clinic).where(Clinic.id == clinic_id)
                       .values(schedule_version=Clinic.schedule_version + 1), execution_options={
                           "synchronize_session": False})


def _described(row: Any) -> dict[str, Any]:
    """What the trail keeps of a rota, an override, an absence or a closure (JSON values)."""
    if isinstance(row, Rota):
        return {"valid_from": row.valid_from, "weekly": [
            f"{item.weekday} {item.starts_at:%H:%M}-{item.ends_at:%H:%M}" for item in row.intervals]}
    if isinstance(row, DayOverride):
        return {"day": row.day, "hours": [f"{item.starts_at:%H:%M}-{item.ends_at:%H:%M}" for item in row.intervals],
                "reason": row.reason}
    return {"first_day": row.first_day, "last_day": row.last_day, "reason": row.reason}


def _removed(action: str, row: Any, *, object_type: str, object_id: int, clinic_id: int, actor_id: str) -> None:
    """Delete an override, an absence or a closure, and say so in the trail."""
    audit.record(action, actor_id=actor_id, object_type=object_type, object_id=object_id, clinic_id=clinic_id,
                 before={"id": row.id, **_described(row)})
    db.session.delete(row)
    db.session.flush()


def stranded_bookings(
    clinic_id: int, *, doctor_id: int | None = None, diagnostic_id: int | None = None, since: datetime,
) -> list[int]:
    """The visits at the clinic (of one doctor, or one test, when named) still booked from `since` on whose time
    the schedule as this transaction sees it no longer holds; ascending ids. Some ten queries, however many."""
    query = select(Booking.id, Booking.doctor_id, Booking.diagnostic_id, Booking.starts_at, Booking.ends_at).where(
        Booking.clinic_id == clinic_id, Booking.status == BookingStatus.BOOKED.value, Booking.starts_at >= since,
    )
    if doctor_id is not None:
        query = query.where(Booking.doctor_id == doctor_id)
    if diagnostic_id is not None:
        query = query.where(Booking.diagnostic_id == diagnostic_id)
    visits = db.session.execute(query.order_by(Booking.id)).all()
    if not visits:
        return []
    schedules = _ClinicSchedules(clinic_id)
    return [visit.id for visit in visits
            if not schedules.of(visit.doctor_id, visit.diagnostic_id).holds(visit.starts_at, visit.ends_at)]


class _ClinicSchedules:
    """The schedules of a clinic's doctors and tests as this transaction sees them (uncommitted changes too)."""

    def __init__(self, clinic_id: int) -> None:
        clinic = db.session.get(Clinic, clinic_id)
        hours = db.session.scalars(select(WorkingHours).where(WorkingHours.clinic_id == clinic_id)
                                   .options(selectinload(WorkingHours.breaks)))
        closures = db.session.scalars(select(ClinicClosure).where(ClinicClosure.clinic_id == clinic_id))
        self.clinic = ClinicInfo(
            clinic.id, clinic.name, clinic.address, clinic.timezone, clinic.currency, clinic.default_language,
            tuple(DayHours(row.weekday, row.opens_at, row.closes_at,
                           tuple((pause.starts_at, pause.ends_at) for pause in row.breaks)) for row in hours),
            tuple(Closure(row.first_day, row.last_day, row.reason) for row in closures),
        )
        self.absences: dict[int, list[tuple[date, date]]] = {}
        for doctor_id, first_day, last_day in db.session.execute(
            select(DoctorAbsence.doctor_id, DoctorAbsence.first_day, DoctorAbsence.last_day)
            .join(Doctor, Doctor.id == DoctorAbsence.doctor_id).where(Doctor.clinic_id == clinic_id)
        ):
            self.absences.setdefault(doctor_id, []).append((first_day, last_day))
        self.own = timetables.load()
        self.week = self.clinic.timetable.clinic_week

    def of(self, doctor_id: int | None, diagnostic_id: int | None) -> availability.Schedule:
        if doctor_id is not None:
            own = self.own.doctors.get(doctor_id)
            absences = tuple(self.absences.get(doctor_id, ()))
        else:
            own, absences = self.own.tests.get((self.clinic.id, diagnostic_id)), ()
        return availability.Schedule(self.clinic, timedelta(0), absences, doctor_id=doctor_id,
                                     diagnostic_id=diagnostic_id, timetable=timetables.timetable(self.week, own))


# --- checks ----------------------------------------------------------------------------------------


def check_weekly(weekly: Sequence[WeeklyHours], length_minutes: int) -> None:
    errors: dict[int, dict[str, list[str]]] = {}
    for index, interval in enumerate(weekly):
        if not 1 <= interval.weekday <= 7:
            errors[index] = {"weekday": [_("Must be an ISO weekday from 1 (Monday) to 7 (Sunday).")]}
    by_day: dict[int, list[tuple[int, time, time]]] = {}
    for index, interval in enumerate(weekly):
        if index not in errors:
            by_day.setdefault(interval.weekday, []).append((index, interval.starts, interval.ends))
    for intervals in by_day.values():
        for index, messages in interval_errors(intervals, length_minutes).items():
            errors.setdefault(index, {}).update(messages)
    if errors:
        raise InvalidRequest(_("Please check the hours."), errors={"weekly": errors})


def interval_errors(intervals: list[tuple[int, time, time]], length_minutes: int) -> dict[int, dict[str, list[str]]]:
    """One day's intervals (index, start, end): each must end after it starts, on the grid, and overlap no other."""
    errors: dict[int, dict[str, list[str]]] = {}
    step = timetables.grid_minutes(length_minutes)
    off_grid = ngettext("Must be on the %(num)d-minute grid (e.g. 09:00).",
                        "Must be on the %(num)d-minute grid (e.g. 09:00).", step)
    for index, starts, ends in intervals:
        for name, moment in (("starts", starts), ("ends", ends)):
            if not timetables.on_grid(moment, length_minutes):
                errors.setdefault(index, {})[name] = [off_grid]
        if ends <= starts:
            errors.setdefault(index, {})["ends"] = [_("Must be after the start.")]
    valid = sorted((starts, ends, index) for index, starts, ends in intervals if index not in errors)
    for (_start, previous_end, _index), (starts, _end, index) in zip(valid, valid[1:]):
        if starts < previous_end:
            errors.setdefault(index, {})["starts"] = [_("Overlaps another interval of the same day.")]
    return errors


def check_days(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise InvalidRequest(_("The last day comes before the first."),
                             errors={"last_day": [_("Must not be before the first day.")]})


def _starting(valid_from: date | None, clinic: Clinic, now: datetime) -> date:
    """When new hours take effect: the given day, or today at the clinic; never in the past (that is history)."""
    today = now.astimezone(clinic.zone).date()
    if valid_from is None:
        return today
    if valid_from < today:
        raise InvalidRequest(_("New hours cannot start in the past."),
                             errors={"valid_from": [_("Must be today or later.")]})
    return valid_from


# --- reading -------------------------------------------------------------------------------------------


def _write_rota(owned: Any, rota: Rota, weekly: Sequence[WeeklyHours], valid_from: date) -> Rota:
    """Replace the owner's rota starting `valid_from` (if any) by `rota` with these hours."""
    earlier = db.session.scalar(owned.where(Rota.valid_from == valid_from))
    if earlier is not None:
        db.session.delete(earlier)
        db.session.flush()
    rota.valid_from = valid_from
    rota.intervals = [RotaInterval(weekday=item.weekday, starts_at=item.starts, ends_at=item.ends) for item in weekly]
    db.session.add(rota)
    return rota


def _current_and_later(owned: Any, clinic: Clinic, today: date | None) -> list[Rota]:
    today = today or clock.now().astimezone(clinic.zone).date()
    rotas = list(db.session.scalars(owned.order_by(Rota.valid_from)))
    in_force = [rota for rota in rotas if rota.valid_from <= today][-1:]
    return in_force + [rota for rota in rotas if rota.valid_from > today]


def _doctor(doctor_id: int) -> Doctor:
    doctor = db.session.get(Doctor, doctor_id, options=[selectinload(Doctor.clinic)])
    if doctor is None:
        raise NotFound(_("Doctor not found."))
    return doctor


def _clinic(clinic_id: int) -> Clinic:
    clinic = db.session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound(_("Clinic not found."))
    return clinic


def _offer(clinic_id: int, diagnostic_id: int) -> ClinicDiagnostic:
    offer = db.session.get(ClinicDiagnostic, (clinic_id, diagnostic_id))
    if offer is None:
        raise NotFound(_("This clinic does not offer this diagnostic."))
    return offer


# --- the front desk's list: patients no message reached ------------------------------------------------


@dataclass(frozen=True)
class VisitToCall:
    """A visit the clinic cancelled for a schedule change whose patient must be called."""

    booking_id: int
    clinic_id: int
    doctor_id: int | None
    diagnostic_id: int | None
    starts_at: datetime
    patient_first_name: str
    patient_last_name: str
    patient_phone: str
    cancel_reason: str | None


def to_call(clinic_ids: Collection[int] | None, *, since: datetime) -> list[VisitToCall]:
    """Visits from `since` on that the clinic cancelled for a schedule change and whose patient no message reached:
    there is none to send (a patient without Telegram: issue 19's front-desk bookings write none), they blocked the
    bot, or its delivery failed. Soonest first. `clinic_ids` None: every clinic."""
    message = aliased(OutboxMessage)
    query = (
        select(Booking.id, Booking.clinic_id, Booking.doctor_id, Booking.diagnostic_id, Booking.starts_at,
               Booking.patient_first_name, Booking.patient_last_name, Booking.patient_phone, Booking.cancel_reason)
        .join(BookingEvent, and_(BookingEvent.booking_id == Booking.id, BookingEvent.action == "cancelled",
                                 BookingEvent.details.has_key("schedule_change")))
        .outerjoin(message, message.dedupe_key == func.concat("booking:", Booking.id, ":cancellation"))
        .outerjoin(User, User.telegram_id == Booking.user_id)
        .where(Booking.status == BookingStatus.CANCELLED.value, Booking.starts_at >= since,
               or_(message.id.is_(None), message.status == MessageStatus.FAILED.value, User.reachable.is_(False)))
        .order_by(Booking.starts_at, Booking.id)
    )
    if clinic_ids is not None:
        query = query.where(Booking.clinic_id.in_(list(clinic_ids)))
    return [VisitToCall(*row) for row in db.session.execute(query)]


@dataclass(frozen=True)
class AffectedVisit:
    """A visit a schedule change cancels (or would), as an admin's preview lists it."""

    booking_id: int
    starts_at: datetime  # in the clinic's zone
    doctor_id: int | None
    diagnostic_id: int | None
    patient_name: str
    messaged: bool  # their patient can be told in the chat (else the front desk calls: `to_call`)


def describe(booking_ids: Collection[int]) -> list[AffectedVisit]:
    """The visits of these ids, soonest first (one query)."""
    if not booking_ids:
        return []
    rows = db.session.execute(
        select(Booking.id, Booking.starts_at, Clinic.timezone, Booking.doctor_id, Booking.diagnostic_id,
               Booking.patient_first_name, Booking.patient_last_name, User.reachable)
        .join(Clinic, Clinic.id == Booking.clinic_id).outerjoin(User, User.telegram_id == Booking.user_id)
        .where(Booking.id.in_(list(booking_ids))).order_by(Booking.starts_at, Booking.id)
    )
    return [AffectedVisit(row.id, row.starts_at.astimezone(ZoneInfo(row.timezone)), row.doctor_id, row.diagnostic_id,
                          f"{row.patient_first_name} {row.patient_last_name}", bool(row.reachable))
            for row in rows]

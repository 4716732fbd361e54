"""When a doctor (or a test at a clinic) works on a given day, before closures, absences and bookings.

The clinic's open stretches of that weekday (opening hours minus breaks), narrowed to the resource's own hours
where it has any: the day's override (a doctor's other hours that day, or none), else the rota in force that day
(the latest one whose `valid_from` is not after it). A resource without its own hours works the clinic's.

A `Timetable` is built once per catalog snapshot, its intersections computed ahead, so that asking for a day
costs a dictionary lookup or two: the free-slot lists ask for every day of a month on each request.
"""
from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Protocol

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import DayOverride, OverrideInterval, Rota, RotaInterval

Interval = tuple[time, time]  # clinic-local wall times, start < end
Week = Mapping[int, tuple[Interval, ...]]  # ISO weekday → intervals, earliest first; a missing weekday: none


class OpeningDay(Protocol):
    """A clinic's opening hours of one weekday (catalog.DayHours)."""

    weekday: int
    opens_at: time
    closes_at: time
    breaks: tuple[Interval, ...]


@dataclass(frozen=True)
class OwnHours:
    """A resource's own hours as stored: its rotas (valid_from, week), earliest first, and a doctor's day overrides."""

    rotas: tuple[tuple[date, Week], ...] = ()
    overrides: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    def rota_on(self, day: date) -> tuple[date, Week] | None:
        """The rota in force on `day` (None: none yet, the clinic's hours hold)."""
        index = bisect.bisect_right([valid_from for valid_from, _ in self.rotas], day) - 1
        return self.rotas[index] if index >= 0 else None


@dataclass(frozen=True)
class Timetable:
    """The working stretches of each day: the clinic's, narrowed to the resource's own hours (computed ahead)."""

    clinic_week: Week
    rota_starts: tuple[date, ...] = ()
    rota_weeks: tuple[Week, ...] = ()
    overrides: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    def stretches(self, day: date) -> tuple[Interval, ...]:
        """The day's working stretches (local wall times), earliest first; () when nobody works."""
        if self.overrides:
            own = self.overrides.get(day)
            if own is not None:
                return own
        if self.rota_starts and day >= self.rota_starts[0]:
            return self.rota_weeks[bisect.bisect_right(self.rota_starts, day) - 1].get(day.isoweekday(), ())
        return self.clinic_week.get(day.isoweekday(), ())

    def covers(self, day: date, starts: time, ends: time) -> bool:
        """Does one working stretch of `day` hold [starts, ends) whole?"""
        return any(start <= starts and ends <= end for start, end in self.stretches(day))


def clinic_week(hours: Iterable[OpeningDay]) -> dict[int, tuple[Interval, ...]]:
    """The clinic's open stretches per weekday: opening → break, break → break, break → closing."""
    return {day.weekday: open_stretches(day.opens_at, day.closes_at, day.breaks) for day in hours}


def open_stretches(opens_at: time, closes_at: time, breaks: Iterable[Interval]) -> tuple[Interval, ...]:
    stretches, start = [], opens_at
    for pause_start, pause_end in sorted(breaks):
        if pause_start > start:
            stretches.append((start, min(pause_start, closes_at)))
        start = max(start, pause_end)
    if start < closes_at:
        stretches.append((start, closes_at))
    return tuple(stretches)


def timetable(week: Week, own: OwnHours | None) -> Timetable:
    """A resource's timetable at a clinic open `week`; without hours of its own, the clinic's."""
    if own is None or not (own.rotas or own.overrides):
        return Timetable(week)
    return Timetable(
        week,
        rota_starts=tuple(valid_from for valid_from, _ in own.rotas),
        rota_weeks=tuple(
            {weekday: narrowed for weekday, intervals in rota.items()
             if (narrowed := intersection(intervals, week.get(weekday, ())))}
            for _, rota in own.rotas
        ),
        overrides={day: intersection(intervals, week.get(day.isoweekday(), ()))
                   for day, intervals in own.overrides.items()},
    )


def intersection(own: Sequence[Interval], open_: Sequence[Interval]) -> tuple[Interval, ...]:
    """The parts of `own` inside `open_` (both free of overlaps), earliest first."""
    parts = []
    for own_start, own_end in own:
        for open_start, open_end in open_:
            start, end = max(own_start, open_start), min(own_end, open_end)
            if start < end:
                parts.append((start, end))
    return tuple(sorted(parts))


def grid_minutes(length_minutes: int) -> int:
    """The step, in minutes from midnight, that a resource's hours start and end on.

    A 60-minute doctor works whole hours (the original front end offers whole hours only), a 30-minute one half
    hours, a 45-minute one quarter hours: every slot of a stretch then starts on the same clock marks.
    """
    return math.gcd(length_minutes, 60)


def on_grid(moment: time, length_minutes: int) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and (
        (moment.hour * 60 + moment.minute) % grid_minutes(length_minutes) == 0
    )


# --- reading them ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredHours:
    """Every resource's own hours, by owner: doctors by id, tests by (clinic id, diagnostic id)."""

    doctors: dict[int, OwnHours]
    tests: dict[tuple[int, int], OwnHours]


def load(*, doctor_id: int | None = None, clinic_id: int | None = None) -> StoredHours:
    """The stored rotas and overrides (two queries): all of them, or one doctor's, or one clinic's tests'."""
    rotas: dict[tuple, dict[date, dict[int, list[Interval]]]] = {}
    rota_query = select(Rota.doctor_id, Rota.clinic_id, Rota.diagnostic_id, Rota.valid_from, RotaInterval.weekday,
                        RotaInterval.starts_at, RotaInterval.ends_at).outerjoin(RotaInterval)
    override_query = select(DayOverride.doctor_id, DayOverride.day, OverrideInterval.starts_at,
                            OverrideInterval.ends_at).outerjoin(OverrideInterval)
    if doctor_id is not None:
        rota_query = rota_query.where(Rota.doctor_id == doctor_id)
        override_query = override_query.where(DayOverride.doctor_id == doctor_id)
    elif clinic_id is not None:
        rota_query = rota_query.where(Rota.clinic_id == clinic_id)
    for row in db.session.execute(rota_query.order_by(Rota.valid_from, RotaInterval.weekday, RotaInterval.starts_at)):
        owner = ("d", row.doctor_id) if row.doctor_id is not None else ("x", (row.clinic_id, row.diagnostic_id))
        week = rotas.setdefault(owner, {}).setdefault(row.valid_from, {})
        if row.weekday is not None:
            week.setdefault(row.weekday, []).append((row.starts_at, row.ends_at))
    overrides: dict[int, dict[date, list[Interval]]] = {}
    override_rows = () if clinic_id is not None and doctor_id is None else db.session.execute(
        override_query.order_by(DayOverride.day, OverrideInterval.starts_at))
    for row in override_rows:
        hours = overrides.setdefault(row.doctor_id, {}).setdefault(row.day, [])
        if row.starts_at is not None:
            hours.append((row.starts_at, row.ends_at))
    doctors: dict[int, OwnHours] = {}
    tests: dict[tuple[int, int], OwnHours] = {}
    for (kind, owner), by_start in rotas.items():
        hours = OwnHours(_frozen_rotas(by_start), _frozen_days(overrides.pop(owner, {})) if kind == "d" else {})
        (doctors if kind == "d" else tests)[owner] = hours
    for owner, days in overrides.items():
        doctors[owner] = OwnHours((), _frozen_days(days))
    return StoredHours(doctors, tests)


def _frozen_rotas(by_start: dict[date, dict[int, list[Interval]]]) -> tuple[tuple[date, Week], ...]:
    return tuple((valid_from, {weekday: tuple(hours) for weekday, hours in week.items()})
                 for valid_from, week in sorted(by_start.items()))


def _frozen_days(days: dict[date, list[Interval]]) -> dict[date, tuple[Interval, ...]]:
    return {day: tuple(hours) for day, hours in days.items()}

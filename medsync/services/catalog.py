"""Catalog reads (clinics, specialties, doctors, diagnostics) from an in-process snapshot.

The catalog changes rarely and is read on every screen of the Web App, so each process keeps one
snapshot of it. Every committed catalog write announces a new catalog version (see the session hooks
below, and `catalog_changed()` for bulk writes); each process learns it through its Redis subscription
(`changes.catalog_generation()`, no round trip per read) and drops its snapshot, so no process serves a
snapshot older than the last catalog commit once that commit's request has returned (the guarantee is
spelled out in `medsync.services.changes`). Without Redis the snapshot is simply not cached.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from medsync.errors import NotFound
from medsync.extensions import db
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor, DoctorAbsence, DoctorRating, Specialty,
    WorkingBreak, WorkingHours,
)
from medsync.services import after_commit, changes
from medsync.services.photos import avatar_path, photo_or_avatar

log = logging.getLogger(__name__)

VERSION_KEY = changes.CATALOG_KEY
MAX_RENDERED = 256
_CHANGED = "catalog: changed"
CATALOG_MODELS = (
    Clinic, WorkingHours, WorkingBreak, ClinicClosure, Specialty, Doctor, DoctorRating, DoctorAbsence,
    DiagnosticType, ClinicDiagnostic,
)


@dataclass(frozen=True)
class DayHours:
    weekday: int  # ISO: Monday = 1 … Sunday = 7
    opens_at: time
    closes_at: time
    breaks: tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class Closure:
    first_day: date
    last_day: date
    reason: str | None


@dataclass(frozen=True)
class ClinicInfo:
    id: int
    name: str
    address: str
    timezone: str
    hours: tuple[DayHours, ...]
    closures: tuple[Closure, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def upcoming_closures(self, today: date) -> list[Closure]:
        return [closure for closure in self.closures if closure.last_day >= today]


@dataclass(frozen=True)
class SpecialtyInfo:
    id: int
    name: str


@dataclass(frozen=True)
class DoctorInfo:
    id: int
    full_name: str
    clinic: ClinicInfo
    specialty: SpecialtyInfo
    price: Decimal
    photo_url: str  # the stored picture or the generated avatar: a path here, or an absolute URL elsewhere
    avatar_url: str  # the generated avatar: the page shows it when a stored picture does not load
    bio: str | None
    experience: str | None
    certificates: str | None
    services: str | None
    appointment_minutes: int
    rating_count: int
    avg_rating: float
    search_text: str = field(repr=False)
    absences: tuple[tuple[date, date], ...] = ()  # (first_day, last_day), inclusive


@dataclass(frozen=True)
class DiagnosticInfo:
    id: int
    name: str
    description: str | None
    price: Decimal
    photo_url: str  # as DoctorInfo.photo_url
    avatar_url: str  # as DoctorInfo.avatar_url
    duration_minutes: int
    clinics: tuple[ClinicInfo, ...]


@dataclass(frozen=True)
class Catalog:
    clinics: dict[int, ClinicInfo]
    doctors: dict[int, DoctorInfo]
    diagnostics: dict[int, DiagnosticInfo]
    # ("doctors" | "diagnostics", slug) → the name an avatar is drawn from
    avatar_names: dict[tuple[str, str], str] = field(default_factory=dict)
    # Responses rendered from this snapshot (e.g. a list's JSON), built once per snapshot.
    _rendered: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def rendered(self, name: Hashable, render: Callable[[Catalog], Any]) -> Any:
        """`render(self)`, computed on first use and kept as long as this snapshot is current.

        At most MAX_RENDERED names are kept (names may come from queries): past that, rendered every time.
        """
        if name in self._rendered:
            return self._rendered[name]
        value = render(self)
        if len(self._rendered) < MAX_RENDERED:
            self._rendered[name] = value
        return value

    @property
    def specialties(self) -> list[SpecialtyInfo]:
        """Specialties that have at least one doctor, by name."""
        unique = {doctor.specialty.id: doctor.specialty for doctor in self.doctors.values()}
        return sorted(unique.values(), key=lambda specialty: (specialty.name.casefold(), specialty.id))


class _Snapshot:
    """The cached catalog and the catalog generation it belongs to (one per app, like its Redis client)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # One attribute, replaced whole: a reader never pairs one generation with another one's catalog.
        self.current: tuple[int, Catalog] | None = None


def _snapshot() -> _Snapshot:
    snapshot = current_app.extensions.get("medsync_catalog_snapshot")
    if snapshot is None:
        snapshot = current_app.extensions.setdefault("medsync_catalog_snapshot", _Snapshot())
    return snapshot


def current_catalog() -> Catalog:
    """The whole catalog: from the process cache when no change was announced since it was loaded, else loaded."""
    generation = changes.catalog_generation()
    snapshot = _snapshot()
    current = snapshot.current
    if generation is not None and current is not None and current[0] == generation:
        return current[1]
    catalog = _load_catalog()
    if generation is not None:
        with snapshot.lock:
            snapshot.current = (generation, catalog)
    return catalog


def writing_catalog(session: Session) -> bool:
    """Has this session flushed catalog rows not yet committed (which no snapshot holds)?"""
    return after_commit.pending(session, _CHANGED)


def get_clinic(clinic_id: int) -> ClinicInfo:
    clinic = current_catalog().clinics.get(clinic_id)
    if clinic is None:
        raise NotFound(_("Clinic not found."))
    return clinic


def get_doctor(doctor_id: int) -> DoctorInfo:
    doctor = current_catalog().doctors.get(doctor_id)
    if doctor is None:
        raise NotFound(_("Doctor not found."))
    return doctor


def get_diagnostic(diagnostic_id: int) -> DiagnosticInfo:
    diagnostic = current_catalog().diagnostics.get(diagnostic_id)
    if diagnostic is None:
        raise NotFound(_("Diagnostic not found."))
    return diagnostic


def find_doctors(
    *, specialty_id: int | None = None, clinic_id: int | None = None, query: str | None = None
) -> list[DoctorInfo]:
    """Doctors by specialty and clinic, and whose name, specialty or services contain `query`."""
    needle = (query or "").strip().casefold()
    return [
        doctor
        for doctor in current_catalog().doctors.values()
        if (specialty_id is None or doctor.specialty.id == specialty_id)
        and (clinic_id is None or doctor.clinic.id == clinic_id)
        and needle in doctor.search_text
    ]


def catalog_changed() -> None:
    """Mark the current transaction as a catalog write (for bulk statements the ORM hooks cannot see)."""
    after_commit.add(db.session(), _CHANGED, True)


def bump_version() -> None:
    """Make every process drop its snapshot: this one now, the others on their next read."""
    with _snapshot().lock:
        _snapshot().current = None
    changes.catalog_committed()


def _load_catalog() -> Catalog:
    clinics = _load_clinics()
    specialties = {row.id: SpecialtyInfo(row.id, row.name) for row in db.session.scalars(select(Specialty))}
    absences: dict[int, list[tuple[date, date]]] = {}
    rows = db.session.execute(
        select(Doctor, DoctorAbsence.first_day, DoctorAbsence.last_day).outerjoin(DoctorAbsence)
        .order_by(Doctor.id, DoctorAbsence.first_day)
    )
    doctor_rows = {}
    for row, first_day, last_day in rows:  # one row per absence (or one without): a query, whatever the count
        doctor_rows[row.id] = row
        if first_day is not None:
            absences.setdefault(row.id, []).append((first_day, last_day))
    doctors = {}
    avatar_names = {}
    for row in doctor_rows.values():
        specialty = specialties[row.specialty_id]
        avatar_names["doctors", row.slug] = row.full_name
        doctors[row.id] = DoctorInfo(
            id=row.id, full_name=row.full_name, clinic=clinics[row.clinic_id], specialty=specialty,
            price=row.price, photo_url=photo_or_avatar(row.photo_url, kind="doctors", slug=row.slug),
            avatar_url=avatar_path("doctors", row.slug), bio=row.bio, experience=row.experience,
            certificates=row.certificates, services=row.services, appointment_minutes=row.appointment_minutes,
            rating_count=row.rating_count, avg_rating=row.avg_rating,
            search_text=" ".join(filter(None, (row.full_name, specialty.name, row.services))).casefold(),
            absences=tuple(absences.get(row.id, ())),
        )
    offered: dict[int, list[ClinicInfo]] = {}
    for clinic_id, diagnostic_id in db.session.execute(
        select(ClinicDiagnostic.clinic_id, ClinicDiagnostic.diagnostic_id).order_by(ClinicDiagnostic.clinic_id)
    ):
        offered.setdefault(diagnostic_id, []).append(clinics[clinic_id])
    diagnostics = {}
    for row in db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)):
        avatar_names["diagnostics", row.slug] = row.name
        diagnostics[row.id] = DiagnosticInfo(
            id=row.id, name=row.name, description=row.description, price=row.price,
            photo_url=photo_or_avatar(row.photo_url, kind="diagnostics", slug=row.slug),
            avatar_url=avatar_path("diagnostics", row.slug), duration_minutes=row.duration_minutes,
            clinics=tuple(offered.get(row.id, ())),
        )
    return Catalog(clinics, doctors, diagnostics, avatar_names)


def _load_clinics() -> dict[int, ClinicInfo]:
    hours: dict[int, list[DayHours]] = {}
    for row in db.session.scalars(
        select(WorkingHours).options(selectinload(WorkingHours.breaks)).order_by(WorkingHours.weekday)
    ):
        breaks = tuple((item.starts_at, item.ends_at) for item in row.breaks)
        hours.setdefault(row.clinic_id, []).append(DayHours(row.weekday, row.opens_at, row.closes_at, breaks))
    closures: dict[int, list[Closure]] = {}
    for row in db.session.scalars(select(ClinicClosure).order_by(ClinicClosure.first_day)):
        closures.setdefault(row.clinic_id, []).append(Closure(row.first_day, row.last_day, row.reason))
    return {
        row.id: ClinicInfo(
            row.id, row.name, row.address, row.timezone, tuple(hours.get(row.id, ())), tuple(closures.get(row.id, ()))
        )
        for row in db.session.scalars(select(Clinic).order_by(Clinic.id))
    }


@event.listens_for(Session, "after_flush")
def _notice_catalog_writes(session: Session, _context: object) -> None:
    if any(isinstance(row, CATALOG_MODELS) for row in (*session.new, *session.dirty, *session.deleted)):
        after_commit.add(session, _CHANGED, True)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if after_commit.take(session, _CHANGED):
        bump_version()

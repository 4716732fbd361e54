"""Catalog reads (clinics, specialties, doctors, diagnostics) from an in-process snapshot.

The catalog changes rarely and is read on every screen of the Web App, so each process keeps one
snapshot of it. A version token in Redis says which snapshot is current: every committed catalog
write replaces the token (see the session hooks below, and `catalog_changed()` for bulk writes),
and every read compares it, so no process serves a snapshot older than the last catalog commit.
Without Redis the snapshot is simply not cached.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from medsync.errors import NotFound
from medsync.extensions import db, redis_client
from medsync.services import after_commit
from medsync.services.photos import photo_or_avatar
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor, DoctorAbsence, DoctorRating, Specialty,
    WorkingBreak, WorkingHours,
)

log = logging.getLogger(__name__)

VERSION_KEY = "medsync:catalog:version"
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
    bio: str | None
    experience: str | None
    certificates: str | None
    services: str | None
    appointment_minutes: int
    rating_count: int
    avg_rating: float
    search_text: str = field(repr=False)


@dataclass(frozen=True)
class DiagnosticInfo:
    id: int
    name: str
    description: str | None
    price: Decimal
    photo_url: str  # as DoctorInfo.photo_url
    duration_minutes: int
    clinics: tuple[ClinicInfo, ...]


@dataclass(frozen=True)
class Catalog:
    clinics: dict[int, ClinicInfo]
    doctors: dict[int, DoctorInfo]
    diagnostics: dict[int, DiagnosticInfo]
    # Responses rendered from this snapshot (e.g. a list's JSON), built once per snapshot.
    _rendered: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def rendered(self, name: str, render: Callable[[Catalog], Any]) -> Any:
        """`render(self)`, computed on first use and kept as long as this snapshot is current."""
        if name not in self._rendered:
            self._rendered[name] = render(self)
        return self._rendered[name]

    @property
    def specialties(self) -> list[SpecialtyInfo]:
        """Specialties that have at least one doctor, by name."""
        unique = {doctor.specialty.id: doctor.specialty for doctor in self.doctors.values()}
        return sorted(unique.values(), key=lambda specialty: (specialty.name.casefold(), specialty.id))


class _Snapshot:
    """The process-wide cached catalog and the version it belongs to."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # One attribute, replaced whole: a reader never pairs one version with another version's catalog.
        self.current: tuple[str, Catalog] | None = None


_snapshot = _Snapshot()


def current_catalog() -> Catalog:
    """The whole catalog: from the process cache when its version is current, else loaded (7 queries)."""
    version = _current_version()
    current = _snapshot.current
    if version is not None and current is not None and current[0] == version:
        return current[1]
    catalog = _load_catalog()
    if version is not None:
        with _snapshot.lock:
            _snapshot.current = (version, catalog)
    return catalog


def get_clinic(clinic_id: int) -> ClinicInfo:
    clinic = current_catalog().clinics.get(clinic_id)
    if clinic is None:
        raise NotFound("Clinic not found.")
    return clinic


def get_doctor(doctor_id: int) -> DoctorInfo:
    doctor = current_catalog().doctors.get(doctor_id)
    if doctor is None:
        raise NotFound("Doctor not found.")
    return doctor


def get_diagnostic(diagnostic_id: int) -> DiagnosticInfo:
    diagnostic = current_catalog().diagnostics.get(diagnostic_id)
    if diagnostic is None:
        raise NotFound("Diagnostic not found.")
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
    """Make every process drop its snapshot on its next read."""
    with _snapshot.lock:
        _snapshot.current = None
    try:
        redis_client.set(VERSION_KEY, uuid.uuid4().hex)
    except redis.RedisError:
        log.warning("could not bump the catalog version in Redis; other processes may serve a stale catalog")


def _current_version() -> str | None:
    try:
        version = redis_client.get(VERSION_KEY)
        if version is None:
            # A fresh Redis: start a version so that snapshots from before the flush are never reused.
            redis_client.set(VERSION_KEY, uuid.uuid4().hex, nx=True)
            version = redis_client.get(VERSION_KEY)
    except redis.RedisError:
        return None
    return version.decode() if isinstance(version, bytes) else version


def _load_catalog() -> Catalog:
    clinics = _load_clinics()
    specialties = {row.id: SpecialtyInfo(row.id, row.name) for row in db.session.scalars(select(Specialty))}
    doctors = {}
    for row in db.session.scalars(select(Doctor).order_by(Doctor.id)):
        specialty = specialties[row.specialty_id]
        doctors[row.id] = DoctorInfo(
            id=row.id, full_name=row.full_name, clinic=clinics[row.clinic_id], specialty=specialty,
            price=row.price, photo_url=photo_or_avatar(row.photo_url, kind="doctors", slug=row.slug), bio=row.bio, experience=row.experience,
            certificates=row.certificates, services=row.services, appointment_minutes=row.appointment_minutes,
            rating_count=row.rating_count, avg_rating=row.avg_rating,
            search_text=" ".join(filter(None, (row.full_name, specialty.name, row.services))).casefold(),
        )
    offered: dict[int, list[ClinicInfo]] = {}
    for clinic_id, diagnostic_id in db.session.execute(
        select(ClinicDiagnostic.clinic_id, ClinicDiagnostic.diagnostic_id).order_by(ClinicDiagnostic.clinic_id)
    ):
        offered.setdefault(diagnostic_id, []).append(clinics[clinic_id])
    diagnostics = {
        row.id: DiagnosticInfo(
            id=row.id, name=row.name, description=row.description, price=row.price,
            photo_url=photo_or_avatar(row.photo_url, kind="diagnostics", slug=row.slug), duration_minutes=row.duration_minutes, clinics=tuple(offered.get(row.id, ())),
        )
        for row in db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id))
    }
    return Catalog(clinics, doctors, diagnostics)


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

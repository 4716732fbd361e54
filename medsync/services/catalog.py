"""Catalog reads (clinics, specialties, doctors, diagnostics) from an in-process snapshot.

The catalog changes rarely and is read on every screen of the Web App, so each process keeps one
snapshot of it. Every committed catalog write announces a new catalog version (see the session hooks
below, and `catalog_changed()` for bulk writes); each process learns it through its Redis subscription
(`changes.catalog_generation()`, no round trip per read) and drops its snapshot, so no process serves a
snapshot older than the last catalog commit once that commit's request has returned (the guarantee is
spelled out in `medsync.services.changes`). Without Redis the snapshot is simply not cached.

A snapshot is read once and seen in each language (`current_catalog(language)`): each language's view is
built on its first use and kept with the snapshot, with its own rendered answers, so a reader never gets
another language's texts or prices. Texts a clinic writes about its doctors (bio, experience, services) fall
back to the clinic's default language, then English; names shared by every clinic (specialties, diagnostics)
to English. Prices are written for the language in the clinic's currency.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, select
from sqlalchemy.orm import Session, selectinload

from medsync.errors import NotFound, NotOffered
from medsync.extensions import db
from medsync.i18n import current_language
from medsync.languages import ENGLISH, LANGUAGES, pick
from medsync.formats import format_money
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DayOverride, DiagnosticType, Doctor, DoctorAbsence, DoctorRating,
    OverrideInterval, Rota, RotaInterval, Specialty, WorkingBreak, WorkingHours,
)
from medsync.models.catalog import average_rating
from medsync.phones import DEFAULT_COUNTRY
from medsync.services import after_commit, changes, timetables
from medsync.services.timetables import Timetable
from medsync.services.photos import avatar_path, photo_or_avatar

log = logging.getLogger(__name__)

VERSION_KEY = changes.CATALOG_KEY
MAX_RENDERED = 256
_CHANGED = "catalog: changed"
CATALOG_MODELS = (
    Clinic, WorkingHours, WorkingBreak, ClinicClosure, Specialty, Doctor, DoctorRating, DoctorAbsence,
    DiagnosticType, ClinicDiagnostic, Rota, RotaInterval, DayOverride, OverrideInterval,
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
    currency: str  # ISO 4217: every price at this clinic
    default_language: str  # its doctors' texts missing in a reader's language are shown in this one first
    hours: tuple[DayHours, ...]
    closures: tuple[Closure, ...]
    country: str = DEFAULT_COUNTRY  # ISO 3166: the default region of the phones written there
    schedule_version: int = 0  # the clinic row's when this snapshot read it (a booking checks it is still that)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def upcoming_closures(self, today: date) -> list[Closure]:
        return [closure for closure in self.closures if closure.last_day >= today]

    @cached_property
    def timetable(self) -> Timetable:
        """The clinic's open stretches of each day: what a doctor or test without hours of its own works."""
        return timetables.timetable(timetables.clinic_week(self.hours), None)


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
    price: Decimal  # in the clinic's currency
    price_text: str  # the price as the catalog's language writes it
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
    timetable: Timetable | None = field(default=None, repr=False)  # None: the clinic's (no hours of its own)

    @property
    def working_time(self) -> Timetable:
        """When the doctor works, within their clinic's hours (before closures, absences and bookings)."""
        return self.timetable or self.clinic.timetable


@dataclass(frozen=True)
class DiagnosticOffer:
    """A clinic offering a diagnostic, and the price there (in the clinic's currency)."""

    clinic: ClinicInfo
    price: Decimal
    price_text: str
    duration_minutes: int  # at this clinic
    timetable: Timetable = field(repr=False)  # when the clinic offers it


@dataclass(frozen=True)
class DiagnosticInfo:
    id: int
    name: str
    description: str | None
    price: Decimal  # at the clinics that set no price of their own (see `offers` for each clinic's)
    photo_url: str  # as DoctorInfo.photo_url
    avatar_url: str  # as DoctorInfo.avatar_url
    duration_minutes: int
    clinics: tuple[ClinicInfo, ...]
    offers: tuple[DiagnosticOffer, ...]  # one per clinic, in the order of `clinics`

    @property
    def price_texts(self) -> tuple[str, ...]:
        """The prices it is offered at, each once (clinics in different currencies have different ones)."""
        return tuple(dict.fromkeys(offer.price_text for offer in self.offers))


@dataclass(frozen=True)
class Catalog:
    """The catalog as readers of one language see it."""

    language: str
    clinics: dict[int, ClinicInfo]
    doctors: dict[int, DoctorInfo]
    diagnostics: dict[int, DiagnosticInfo]
    specialties: tuple[SpecialtyInfo, ...]  # those with at least one doctor, by name
    # ("doctors" | "diagnostics", slug) → the name an avatar is drawn from
    avatar_names: dict[tuple[str, str], str] = field(default_factory=dict)
    # Doctors deactivated by an admin: not in `doctors` (nobody finds or books them), named by their bookings.
    former_doctors: dict[int, DoctorInfo] = field(default_factory=dict)
    # Responses rendered from this snapshot (e.g. a list's JSON), built once per snapshot.
    _rendered: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def doctor_of_booking(self, doctor_id: int) -> DoctorInfo:
        """The doctor a booking names, active or deactivated since."""
        return self.doctors.get(doctor_id) or self.former_doctors[doctor_id]

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


@dataclass(frozen=True)
class _Rows:
    """The catalog as read from the database, in no language yet (plain rows: nothing a commit expires)."""

    clinics: dict[int, ClinicInfo]
    specialties: dict[int, Row[Any]]
    doctors: tuple[Row[Any], ...]
    absences: dict[int, tuple[tuple[date, date], ...]]
    diagnostics: tuple[Row[Any], ...]
    # diagnostic id → (clinic id, own price, own duration), by clinic
    offers: dict[int, tuple[tuple[int, Decimal | None, int | None], ...]]
    # The timetables of the doctors and tests (by (clinic id, diagnostic id)) with hours of their own.
    doctor_timetables: dict[int, Timetable]
    test_timetables: dict[tuple[int, int], Timetable]
    avatar_names: dict[tuple[str, str], str]  # as Catalog.avatar_names: the same in every language


class _Languages:
    """One snapshot's rows and its view in each language asked so far."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.catalogs: dict[str, Catalog] = {}

    def catalog(self, language: str) -> Catalog:
        catalog = self.catalogs.get(language)
        if catalog is None:
            if language not in LANGUAGES:
                raise ValueError(f"not a catalog language: {language!r}")
            # Two threads may build the same view at once: equal values, and the first one stored is kept.
            catalog = self.catalogs.setdefault(language, _in_language(self.rows, language))
        return catalog


class _Snapshot:
    """The cached catalog and the catalog generation it belongs to (one per app, like its Redis client)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # One attribute, replaced whole: a reader never pairs one generation with another one's catalog.
        self.current: tuple[int, _Languages] | None = None


def _snapshot() -> _Snapshot:
    snapshot = current_app.extensions.get("medsync_catalog_snapshot")
    if snapshot is None:
        snapshot = current_app.extensions.setdefault("medsync_catalog_snapshot", _Snapshot())
    return snapshot


def current_catalog(language: str = ENGLISH) -> Catalog:
    """The whole catalog in `language` (English for callers that show no text): from the process cache when no
    change was announced since it was loaded, else loaded."""
    generation = changes.catalog_generation()
    snapshot = _snapshot()
    current = snapshot.current
    if generation is not None and current is not None and current[0] == generation:
        return current[1].catalog(language)
    languages = _Languages(_load_rows())
    if generation is not None:
        with snapshot.lock:
            snapshot.current = (generation, languages)
    return languages.catalog(language)


def writing_catalog(session: Session) -> bool:
    """Has this session flushed catalog rows not yet committed (which no snapshot holds)?"""
    return after_commit.pending(session, _CHANGED)


def get_clinic(clinic_id: int) -> ClinicInfo:
    clinic = current_catalog().clinics.get(clinic_id)
    if clinic is None:
        raise NotFound(_("Clinic not found."))
    return clinic


def get_doctor(doctor_id: int, language: str = ENGLISH) -> DoctorInfo:
    doctor = current_catalog(language).doctors.get(doctor_id)
    if doctor is None:
        raise NotFound(_("Doctor not found."))
    return doctor


def get_diagnostic(diagnostic_id: int, language: str = ENGLISH) -> DiagnosticInfo:
    diagnostic = current_catalog(language).diagnostics.get(diagnostic_id)
    if diagnostic is None:
        raise NotFound(_("Diagnostic not found."))
    return diagnostic


@dataclass(frozen=True)
class Offer:
    """What a clinic offers: a doctor who works there, or a test it does, for one visit's length and at its price."""

    clinic: ClinicInfo
    minutes: int  # one visit
    price_text: str  # in the catalog's language, in the clinic's currency
    timetable: Timetable | None = field(default=None, repr=False)  # its own hours there (None: the clinic's)


def offer_at(clinic_id: int, *, doctor_id: int | None = None, diagnostic_id: int | None = None,
             language: str = ENGLISH) -> Offer:
    """The one check that a clinic offers what is asked there: the doctor works at it, or it offers the test.

    An unknown doctor or test is NotFound (404: that object does not exist). A known one asked for at another clinic
    is NotOffered: 422 naming `clinic_id`, the field that names the wrong clinic, as API.md has it for bad values,
    /api/v1 documents it for a booking and a test's free slots, and the compatible booking answers it. Where the
    clinic is a part of the URL rather than a field — the compatible surface's month lists (its tests pin 404) and the
    Mini App's booking page — that URL names nothing, and those two surfaces answer NotOffered as 404.
    """
    snapshot = current_catalog(language)
    if doctor_id is not None:
        doctor = snapshot.doctors.get(doctor_id)
        if doctor is None:
            raise NotFound(_("Doctor not found."))
        if doctor.clinic.id != clinic_id:
            raise NotOffered(_("This doctor does not work at this clinic."),
                             errors={"clinic_id": [_("The doctor works elsewhere.")]})
        return Offer(doctor.clinic, doctor.appointment_minutes, doctor.price_text, doctor.timetable)
    diagnostic = snapshot.diagnostics.get(diagnostic_id)
    if diagnostic is None:
        raise NotFound(_("Diagnostic not found."))
    offer = next((offer for offer in diagnostic.offers if offer.clinic.id == clinic_id), None)
    if offer is None:
        raise NotOffered(_("This clinic does not offer this diagnostic."),
                         errors={"clinic_id": [_("Not offered at this clinic.")]})
    return Offer(offer.clinic, offer.duration_minutes, offer.price_text, offer.timetable)


def diagnostic_name(diagnostic_id: int) -> str:
    """A test's name as the catalog shows it to whoever reads now (their language, else English): for the answers
    and messages that name a booked test, which hold the test's id, not its texts."""
    return current_catalog(current_language()).diagnostics[diagnostic_id].name


def find_doctors(
    *, specialty_id: int | None = None, clinic_id: int | None = None, query: str | None = None,
    language: str = ENGLISH,
) -> list[DoctorInfo]:
    """Doctors by specialty and clinic, and whose name, specialty or services (in `language` or English)
    contain `query`."""
    needle = (query or "").strip().casefold()
    return [
        doctor
        for doctor in current_catalog(language).doctors.values()
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


def _load_rows() -> _Rows:
    clinics = _load_clinics()  # first: their schedule versions are never newer than the schedules read after them
    absences: dict[int, list[tuple[date, date]]] = {}
    doctor_rows = {}
    for row in db.session.execute(
        select(Doctor.__table__, DoctorAbsence.first_day, DoctorAbsence.last_day).outerjoin(DoctorAbsence)
        .order_by(Doctor.id, DoctorAbsence.first_day)
    ):  # one row per absence (or one without): a query, whatever the count
        doctor_rows.setdefault(row.id, row)
        if row.first_day is not None:
            absences.setdefault(row.id, []).append((row.first_day, row.last_day))
    offers: dict[int, list[tuple[int, Decimal | None, int | None]]] = {}
    for clinic_id, diagnostic_id, price, duration in db.session.execute(
        select(ClinicDiagnostic.clinic_id, ClinicDiagnostic.diagnostic_id, ClinicDiagnostic.price,
               ClinicDiagnostic.duration_minutes)
        .order_by(ClinicDiagnostic.clinic_id)
    ):
        offers.setdefault(diagnostic_id, []).append((clinic_id, price, duration))
    doctors = tuple(doctor_rows.values())
    diagnostics = tuple(db.session.execute(select(DiagnosticType.__table__).order_by(DiagnosticType.id)))
    own_hours = timetables.load()
    return _Rows(
        clinics=clinics,
        specialties={row.id: row for row in db.session.execute(select(Specialty.__table__))},
        doctors=doctors,
        absences={doctor_id: tuple(days) for doctor_id, days in absences.items()},
        diagnostics=diagnostics,
        offers={diagnostic_id: tuple(clinics) for diagnostic_id, clinics in offers.items()},
        doctor_timetables={
            row.id: _own_timetable(clinics[row.clinic_id], own_hours.doctors[row.id])
            for row in doctors if row.id in own_hours.doctors
        },
        test_timetables={
            (clinic_id, diagnostic_id): _own_timetable(clinics[clinic_id], own)
            for (clinic_id, diagnostic_id), own in own_hours.tests.items()
        },
        avatar_names={
            **{("doctors", row.slug): row.full_name for row in doctors},
            **{("diagnostics", row.slug): row.name for row in diagnostics},
        },
    )


def _in_language(rows: _Rows, language: str) -> Catalog:
    specialties = {
        row.id: SpecialtyInfo(row.id, pick(row.name, row.name_translations, language))
        for row in rows.specialties.values()
    }
    doctors: dict[int, DoctorInfo] = {}
    former: dict[int, DoctorInfo] = {}
    for row in rows.doctors:
        (doctors if row.active else former)[row.id] = _doctor(row, rows, specialties[row.specialty_id], language)
    diagnostics = {row.id: _diagnostic(row, rows, language) for row in rows.diagnostics}
    with_doctors = {doctor.specialty.id: doctor.specialty for doctor in doctors.values()}
    listed = tuple(sorted(with_doctors.values(), key=lambda specialty: (specialty.name.casefold(), specialty.id)))
    return Catalog(language, rows.clinics, doctors, diagnostics, listed, rows.avatar_names, former)


def _doctor(row: Row[Any], rows: _Rows, specialty: SpecialtyInfo, language: str) -> DoctorInfo:
    clinic = rows.clinics[row.clinic_id]
    services = _clinic_text(row, "services", language, clinic)
    return DoctorInfo(
        id=row.id, full_name=row.full_name, clinic=clinic, specialty=specialty, price=row.price,
        price_text=format_money(row.price, clinic.currency, language),
        photo_url=photo_or_avatar(row.photo_url, kind="doctors", slug=row.slug),
        avatar_url=avatar_path("doctors", row.slug), bio=_clinic_text(row, "bio", language, clinic),
        experience=_clinic_text(row, "experience", language, clinic), certificates=row.certificates,
        services=services, appointment_minutes=row.appointment_minutes, rating_count=row.rating_count,
        avg_rating=average_rating(row.rating_total, row.rating_count),
        # Found in the reader's language and in English (a service searched as it is known elsewhere).
        search_text=" ".join(filter(None, (
            row.full_name, specialty.name, services, rows.specialties[row.specialty_id].name, row.services,
        ))).casefold(),
        absences=rows.absences.get(row.id, ()),
        timetable=rows.doctor_timetables.get(row.id),
    )


def _own_timetable(clinic: ClinicInfo, own: timetables.OwnHours) -> Timetable:
    """A resource's timetable at its clinic, from its own hours (built with the rows: every language shares it)."""
    return timetables.timetable(clinic.timetable.clinic_week, own)


def _diagnostic(row: Row[Any], rows: _Rows, language: str) -> DiagnosticInfo:
    offers = tuple(
        _offer(rows.clinics[clinic_id], row.price if own_price is None else own_price, language,
               duration or row.duration_minutes, rows.test_timetables.get((clinic_id, row.id)))
        for clinic_id, own_price, duration in rows.offers.get(row.id, ())
    )
    return DiagnosticInfo(
        id=row.id, name=pick(row.name, row.name_translations, language),
        description=pick(row.description, row.description_translations, language), price=row.price,
        photo_url=photo_or_avatar(row.photo_url, kind="diagnostics", slug=row.slug),
        avatar_url=avatar_path("diagnostics", row.slug), duration_minutes=row.duration_minutes,
        clinics=tuple(offer.clinic for offer in offers), offers=offers,
    )


def _offer(
    clinic: ClinicInfo, price: Decimal, language: str, duration_minutes: int, timetable: Timetable | None,
) -> DiagnosticOffer:
    return DiagnosticOffer(clinic, price, format_money(price, clinic.currency, language), duration_minutes,
                           timetable or clinic.timetable)


def _clinic_text(row: Row[Any], column: str, language: str, clinic: ClinicInfo) -> str | None:
    """A text the clinic wrote (a doctor's bio…): in `language`, else the clinic's, else English."""
    return pick(getattr(row, column), getattr(row, f"{column}_translations"), language, clinic.default_language)


def _load_clinics() -> dict[int, ClinicInfo]:
    # The clinic rows (their schedule versions) first, their hours and closures after: a schedule change that
    # commits in between leaves an older version beside newer hours (a booking then refused, never one let in).
    clinics = list(db.session.execute(select(Clinic.__table__).order_by(Clinic.id)))
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
            row.id, row.name, row.address, row.timezone, row.currency, row.default_language,
            tuple(hours.get(row.id, ())), tuple(closures.get(row.id, ())), country=row.country,
            schedule_version=row.schedule_version,
        )
        for row in clinics
    }


def register_hooks(hooks: after_commit.Hooks) -> None:
    """Catalog writes flushed in a transaction make every process drop its snapshot once it commits."""
    hooks.on("after_flush", _notice_catalog_writes)
    hooks.on("after_commit", _bump_after_commit)


def _notice_catalog_writes(session: Session, _context: object) -> None:
    if any(isinstance(row, CATALOG_MODELS) for row in (*session.new, *session.dirty, *session.deleted)):
        after_commit.add(session, _CHANGED, True)


def _bump_after_commit(session: Session) -> None:
    if after_commit.take(session, _CHANGED):
        bump_version()

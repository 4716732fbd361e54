"""The whole catalog as a catalog file (demo_catalog.toml's format), keyed by slug: what `flask medsync catalog
export` writes and `catalog import` applies, so export → import changes nothing.

Clinics with their hours and closures, specialties, doctors (inactive ones marked `active = false`; an uploaded
photo as `photo`; their `rotas` with `valid_from`, day `overrides` and `absences`, past ones too, so that the file
is the whole schedule) and diagnostics with their clinics, clinic prices and, under `at.<clinic>`, their duration
and rotas at a clinic; each text beside its translations. Ratings are patients' words, not the catalog's: not
exported. A doctor or test without a schedule of its own has no such keys (an import then leaves it as stored).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomli_w
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from medsync import clock
from medsync.demo_catalog import WEEKDAYS, photo_url
from medsync.extensions import db
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DayOverride, DiagnosticType, Doctor, DoctorAbsence, Rota, Specialty,
)
from medsync.services.seed import DEMO_CLOSURE_REASON

HEADER = (
    "# The MedSync catalog, exported {day}. `flask medsync catalog import FILE [--dry-run]` applies it by key\n"
    "# (an entry's key is its slug): importing it again changes nothing. The format is demo_catalog.toml's.\n\n"
)


def export_catalog() -> str:
    """The catalog as TOML text."""
    clinics = list(db.session.scalars(select(Clinic).options(selectinload(Clinic.hours)).order_by(Clinic.id)))
    slugs = {clinic.id: clinic.slug for clinic in clinics}
    specialties = list(db.session.scalars(select(Specialty).order_by(Specialty.id)))
    document = {
        "specialties": {row.slug: _texts({"name": row.name}, {"name": row.name_translations}) for row in specialties},
        "clinics": {row.slug: _clinic(row) for row in clinics},
        "closures": _closures(slugs),
        "doctors": _doctors(slugs, {row.id: row.slug for row in specialties}),
        "diagnostics": _diagnostics(slugs),
    }
    return HEADER.format(day=clock.now().date().isoformat()) + tomli_w.dumps(document)


def _clinic(clinic: Clinic) -> dict[str, Any]:
    hours = {}
    for day in clinic.hours:
        entry: dict[str, Any] = {"opens": f"{day.opens_at:%H:%M}", "closes": f"{day.closes_at:%H:%M}"}
        if day.breaks:
            entry["breaks"] = [[f"{pause.starts_at:%H:%M}", f"{pause.ends_at:%H:%M}"] for pause in day.breaks]
        hours[WEEKDAYS[day.weekday - 1]] = entry
    return {"name": clinic.name, "address": clinic.address, "timezone": clinic.timezone, "currency": clinic.currency,
            "default_language": clinic.default_language, "hours": hours}


def _closures(slugs: Mapping[int, str]) -> list[dict[str, str]]:
    """A catalog file's yearly closures once (they are stored for this year and the next), the others as dates."""
    listed: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in db.session.scalars(select(ClinicClosure).order_by(ClinicClosure.first_day, ClinicClosure.id)):
        if row.reason == DEMO_CLOSURE_REASON:
            entry = {"clinic": slugs[row.clinic_id], "first_day": f"{row.first_day:%m-%d}",
                     "last_day": f"{row.last_day:%m-%d}"}
        else:
            entry = {"clinic": slugs[row.clinic_id], "first_day": row.first_day.isoformat(),
                     "last_day": row.last_day.isoformat(), **({"reason": row.reason} if row.reason else {})}
        listed.setdefault((entry["clinic"], entry["first_day"], entry["last_day"]), entry)
    return list(listed.values())


def _doctors(clinics: Mapping[int, str], specialties: Mapping[int, str]) -> dict[str, Any]:
    doctors = {}
    for row in db.session.scalars(select(Doctor).order_by(Doctor.id)):
        entry: dict[str, Any] = {
            "full_name": row.full_name, "specialty": specialties[row.specialty_id], "clinic": clinics[row.clinic_id],
            "price": f"{row.price:.2f}", "appointment_minutes": row.appointment_minutes,
        }
        if not row.active:
            entry["active"] = False
        if row.photo_url and row.photo_url != photo_url("doctors", row.slug):
            entry["photo"] = row.photo_url
        entry.update(_doctor_schedule(row.id))
        doctors[row.slug] = {**entry, **_texts(
            {"experience": row.experience, "certificates": _lines(row.certificates), "services": _lines(row.services),
             "bio": row.bio},
            {"experience": row.experience_translations, "services": _translated_lines(row.services_translations),
             "bio": row.bio_translations},
        )}
    return doctors


def _diagnostics(clinics: Mapping[int, str]) -> dict[str, Any]:
    offers: dict[int, list[ClinicDiagnostic]] = {}
    for offer in db.session.scalars(select(ClinicDiagnostic).order_by(ClinicDiagnostic.clinic_id)):
        offers.setdefault(offer.diagnostic_id, []).append(offer)
    diagnostics = {}
    for row in db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)):
        offered = offers.get(row.id, [])
        entry: dict[str, Any] = {"name": row.name, "price": f"{row.price:.2f}",
                                 "duration_minutes": row.duration_minutes,
                                 "clinics": [clinics[offer.clinic_id] for offer in offered]}
        own = {clinics[offer.clinic_id]: f"{offer.price:.2f}" for offer in offered if offer.price is not None}
        if own:
            entry["prices"] = own
        if row.photo_url and row.photo_url != photo_url("diagnostics", row.slug):
            entry["photo"] = row.photo_url
        at = {clinics[offer.clinic_id]: hours for offer in offered if (hours := _test_hours(offer))}
        if at:
            entry["at"] = at
        diagnostics[row.slug] = {**entry, **_texts(
            {"description": row.description},
            {"name": row.name_translations, "description": row.description_translations})}
    return diagnostics


def _doctor_schedule(doctor_id: int) -> dict[str, Any]:
    """The doctor's rotas, overrides and absences as the file writes them (a key only when there are some)."""
    schedule: dict[str, Any] = {}
    rotas = _rotas(select(Rota).where(Rota.doctor_id == doctor_id))
    if rotas:
        schedule["rotas"] = rotas
    overrides = [{"day": row.day.isoformat(), "hours": [_interval(item) for item in row.intervals],
                  **({"reason": row.reason} if row.reason else {})}
                 for row in db.session.scalars(select(DayOverride).where(DayOverride.doctor_id == doctor_id)
                                               .order_by(DayOverride.day))]
    if overrides:
        schedule["overrides"] = overrides
    absences = [{"first_day": row.first_day.isoformat(), "last_day": row.last_day.isoformat(),
                 **({"reason": row.reason} if row.reason else {})}
                for row in db.session.scalars(select(DoctorAbsence).where(DoctorAbsence.doctor_id == doctor_id)
                                              .order_by(DoctorAbsence.first_day, DoctorAbsence.id))]
    if absences:
        schedule["absences"] = absences
    return schedule


def _test_hours(offer: ClinicDiagnostic) -> dict[str, Any]:
    """A test's own duration and rotas at one clinic (empty: it has neither)."""
    hours: dict[str, Any] = {}
    if offer.duration_minutes is not None:
        hours["duration_minutes"] = offer.duration_minutes
    rotas = _rotas(select(Rota).where(Rota.clinic_id == offer.clinic_id, Rota.diagnostic_id == offer.diagnostic_id))
    if rotas:
        hours["rotas"] = rotas
    return hours


def _rotas(owned: Any) -> list[dict[str, Any]]:
    rotas = []
    for rota in db.session.scalars(owned.order_by(Rota.valid_from)):
        weekly: dict[str, list[str]] = {}
        for item in rota.intervals:
            weekly.setdefault(WEEKDAYS[item.weekday - 1], []).append(_interval(item))
        rotas.append({"valid_from": rota.valid_from.isoformat(), "weekly": weekly})
    return rotas


def _interval(item: Any) -> str:
    return f"{item.starts_at:%H:%M}-{item.ends_at:%H:%M}"


def _texts(english: Mapping[str, Any], translations: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The English texts that are set, then a table per language with that language's texts."""
    entry = {name: value for name, value in english.items() if value not in (None, "", [])}
    for language in sorted({language for texts in translations.values() for language in texts}):
        entry[language] = {name: texts[language] for name, texts in translations.items() if language in texts}
    return entry


def _lines(text: str | None) -> list[str] | None:
    return [line for line in text.split("\n") if line.strip()] if text else None


def _translated_lines(translations: Mapping[str, str]) -> dict[str, list[str]]:
    return {language: _lines(text) or [] for language, text in translations.items()}

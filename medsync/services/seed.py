"""Importing a catalog file (demo_catalog.toml's format): clinics, hours, closures, specialties, doctors and
diagnostics upserted by key (their slug), so importing the same file twice changes nothing.

`import_catalog` says what it changed, one line per entry ("changed doctors.olena-kovalenko: price"), and writes
an audit entry for each (actor "cli"). The demo catalog is one such file: `seed-demo` imports it. Nothing is
deleted but what the file says of an entry it names (a clinic's hours, a diagnostic's clinics, the demo's yearly
closures); entries the file does not name stay as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from medsync import clock
from medsync.demo_catalog import DemoCatalog, DemoClosure, DemoDoctor, DemoHours, load_demo_catalog
from medsync.extensions import db
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor, DoctorRating, Specialty, WorkingBreak,
    WorkingHours,
)
from medsync.services import audit
from medsync.services.catalog import catalog_changed

DEMO_CLOSURE_REASON = "Public holiday (demo)"  # a yearly closure of a catalog file, recreated for this year and next
_KINDS = {Clinic: "clinics", Specialty: "specialties", Doctor: "doctors", DiagnosticType: "diagnostics"}


@dataclass
class Changes:
    """What an import changed, one line per entry, in the file's order."""

    lines: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.lines.append(line)


def seed_demo_catalog(path: Path | None = None) -> dict[str, int]:
    """Create or refresh the catalog in `path` (default: the shipped demo); returns how many of each it holds."""
    demo = load_demo_catalog(path)  # before any write: a mistake in the file leaves the database untouched
    import_catalog(demo)
    return {
        "clinics": len(demo.clinics), "specialties": len(demo.specialties), "doctors": len(demo.doctors),
        "diagnostics": len(demo.diagnostics),
    }


def import_catalog(demo: DemoCatalog, *, actor_id: str = "cli") -> Changes:
    """Apply a loaded catalog file by key; flushed, not committed (a dry run rolls back)."""
    changes = Changes()
    clinics = {
        item.key: _upsert(changes, Clinic, item.key, actor_id, name=item.name, address=item.address,
                          timezone=item.timezone, currency=item.currency, default_language=item.default_language)
        for item in demo.clinics
    }
    specialties = {
        item.key: _upsert(changes, Specialty, item.key, actor_id, name=item.name,
                          name_translations=item.name_translations)
        for item in demo.specialties
    }
    db.session.flush()
    for item in demo.clinics:
        _sync_hours(changes, clinics[item.key], item.key, item.hours)
    _sync_closures(changes, clinics, demo.closures)
    for item in demo.doctors:
        _import_doctor(changes, item, clinics, specialties, actor_id)
    for item in demo.diagnostics:
        diagnostic = _upsert(
            changes, DiagnosticType, item.key, actor_id, name=item.name, name_translations=item.name_translations,
            description=item.description, description_translations=item.description_translations, price=item.price,
            photo_url=item.photo_url, duration_minutes=item.duration_minutes,
        )
        db.session.flush()
        _sync_offers(changes, diagnostic, item.key, {clinics[key].id: item.prices.get(key) for key in item.clinics})
    db.session.flush()
    if changes.lines:
        catalog_changed()
    return changes


def _upsert(changes: Changes, model: type, slug: str, actor_id: str, **values: Any) -> Any:
    """The row with this slug, created or brought to `values`; its changes noted and audited."""
    kind = _KINDS[model]
    row = db.session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(slug=slug, **values)
        db.session.add(row)
        db.session.flush()
        changes.note(f"added {kind}.{slug}")
        _audit(kind, row, actor_id, None, audit.snapshot(row, values))
        return row
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        before = audit.snapshot(row, changed)
        for name in changed:
            setattr(row, name, values[name])
        changes.note(f"changed {kind}.{slug}: {', '.join(changed)}")
        _audit(kind, row, actor_id, before, audit.snapshot(row, changed))
    return row


def _audit(kind: str, row: Any, actor_id: str, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    object_type = {"clinics": "clinic", "specialties": "specialty", "doctors": "doctor"}.get(kind, "diagnostic")
    clinic_id = row.id if kind == "clinics" else getattr(row, "clinic_id", None)
    audit.record(f"{object_type}.import", actor_id=actor_id, object_type=object_type, object_id=row.id,
                 clinic_id=clinic_id, before=before, after=after)


def _import_doctor(changes: Changes, item: DemoDoctor, clinics: dict, specialties: dict, actor_id: str) -> Doctor:
    doctor = _upsert(
        changes, Doctor, item.key, actor_id, full_name=item.full_name, clinic_id=clinics[item.clinic].id,
        specialty_id=specialties[item.specialty].id, price=item.price, photo_url=item.photo_url,
        bio=item.bio, bio_translations=item.bio_translations, experience=item.experience,
        experience_translations=item.experience_translations, certificates=item.certificates,
        services=item.services, services_translations=item.services_translations,
        appointment_minutes=item.appointment_minutes, active=item.active,
    )
    db.session.flush()
    has_ratings = db.session.scalar(select(DoctorRating.id).where(DoctorRating.doctor_id == doctor.id).limit(1))
    if has_ratings is None and item.ratings:
        db.session.add_all(
            DoctorRating(doctor_id=doctor.id, score=rating.score, comment=rating.comment) for rating in item.ratings
        )
        changes.note(f"added {len(item.ratings)} ratings to doctors.{item.key}")
    return doctor


def _sync_hours(changes: Changes, clinic: Clinic, key: str, hours: tuple[DemoHours, ...]) -> None:
    """The clinic's week as the file writes it (only when it differs: an unchanged week is left as it is)."""
    stored = db.session.scalars(select(WorkingHours).where(WorkingHours.clinic_id == clinic.id)).all()
    current = sorted((row.weekday, row.opens_at, row.closes_at, tuple((b.starts_at, b.ends_at) for b in row.breaks))
                     for row in stored)
    wanted = sorted((day.iso_weekday, day.opens, day.closes, tuple(day.breaks)) for day in hours)
    if current == wanted:
        return
    db.session.execute(delete(WorkingHours).where(WorkingHours.clinic_id == clinic.id))
    db.session.expire(clinic, ["hours"])
    for day in hours:
        row = WorkingHours(clinic_id=clinic.id, weekday=day.iso_weekday, opens_at=day.opens, closes_at=day.closes)
        row.breaks = [WorkingBreak(starts_at=start, ends_at=end) for start, end in day.breaks]
        db.session.add(row)
    changes.note(f"changed clinics.{key}: hours")


def _sync_closures(changes: Changes, clinics: dict[str, Clinic], closures: tuple[DemoClosure, ...]) -> None:
    """Yearly closures for this year and the next (the file's are the only ones of their kind); closures of one
    year added when missing (others an admin recorded stay)."""
    this_year = clock.now().year
    yearly: set[tuple[int, date, date]] = set()
    once: dict[tuple[int, date, date], str | None] = {}
    for closure in closures:
        clinic_id = clinics[closure.clinic].id
        if closure.every_year:
            yearly.update((clinic_id, *closure.days(year)) for year in (this_year, this_year + 1))
        else:
            once[(clinic_id, *closure.days(this_year))] = closure.reason
    stored = db.session.scalars(select(ClinicClosure)).all()
    by_days = {(row.clinic_id, row.first_day, row.last_day): row for row in stored}
    names = {clinic.id: key for key, clinic in clinics.items()}
    for row in stored:
        if row.reason == DEMO_CLOSURE_REASON and (row.clinic_id, row.first_day, row.last_day) not in yearly:
            db.session.delete(row)
            changes.note(f"removed a closure of clinics.{names.get(row.clinic_id, row.clinic_id)}: "
                         f"{row.first_day}..{row.last_day}")
    wanted = {days: DEMO_CLOSURE_REASON for days in yearly}
    wanted.update(once)
    for (clinic_id, first_day, last_day), reason in wanted.items():
        if (clinic_id, first_day, last_day) not in by_days:
            db.session.add(ClinicClosure(clinic_id=clinic_id, first_day=first_day, last_day=last_day, reason=reason))
            changes.note(f"added a closure of clinics.{names[clinic_id]}: {first_day}..{last_day}")


def _sync_offers(changes: Changes, diagnostic: DiagnosticType, key: str, prices: dict[int, Any]) -> None:
    """Offered at exactly the file's clinics, each at its own price or the diagnostic's."""
    stored = {row.clinic_id: row for row in db.session.scalars(
        select(ClinicDiagnostic).where(ClinicDiagnostic.diagnostic_id == diagnostic.id))}
    changed = False
    for clinic_id, row in stored.items():
        if clinic_id not in prices:
            db.session.delete(row)
            changed = True
        elif row.price != prices[clinic_id]:
            row.price = prices[clinic_id]
            changed = True
    for clinic_id in prices.keys() - stored.keys():
        db.session.add(ClinicDiagnostic(clinic_id=clinic_id, diagnostic_id=diagnostic.id, price=prices[clinic_id]))
        changed = True
    if changed:
        db.session.expire(diagnostic, ["clinics"])
        changes.note(f"changed diagnostics.{key}: clinics and prices")

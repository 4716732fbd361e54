"""Loading the deterministic demo catalog; upserts by slug, so running it twice changes nothing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from medsync import clock
from medsync.demo_catalog import DemoClosure, DemoDoctor, DemoHours, load_demo_catalog
from medsync.extensions import db
from medsync.models import (
    Clinic, ClinicClosure, ClinicDiagnostic, DiagnosticType, Doctor, DoctorRating, Specialty, WorkingBreak,
    WorkingHours,
)
from medsync.services.catalog import catalog_changed

DEMO_CLOSURE_REASON = "Public holiday (demo)"


def seed_demo_catalog(path: Path | None = None) -> dict[str, int]:
    """Create or refresh the catalog in `path` (default: the shipped demo); returns how many of each it holds."""
    demo = load_demo_catalog(path)  # before any write: a mistake in the file leaves the database untouched
    clinics = {
        item.key: _upsert(Clinic, item.key, name=item.name, address=item.address, timezone=item.timezone,
                          currency=item.currency, default_language=item.default_language)
        for item in demo.clinics
    }
    specialties = {
        item.key: _upsert(Specialty, item.key, name=item.name, name_translations=item.name_translations)
        for item in demo.specialties
    }
    db.session.flush()
    for item in demo.clinics:
        _replace_hours(clinics[item.key], item.hours)
    _replace_closures(clinics, demo.closures)
    doctors = [_seed_doctor(item, clinics, specialties) for item in demo.doctors]
    for item in demo.diagnostics:
        diagnostic = _upsert(
            DiagnosticType, item.key, name=item.name, name_translations=item.name_translations,
            description=item.description, description_translations=item.description_translations, price=item.price,
            photo_url=item.photo_url, duration_minutes=item.duration_minutes,
        )
        db.session.flush()
        for clinic_key in item.clinics:
            offer = insert(ClinicDiagnostic).values(
                clinic_id=clinics[clinic_key].id, diagnostic_id=diagnostic.id, price=item.prices.get(clinic_key)
            )
            db.session.execute(offer.on_conflict_do_update(
                index_elements=[ClinicDiagnostic.clinic_id, ClinicDiagnostic.diagnostic_id],
                set_={"price": offer.excluded.price},
            ))
    db.session.flush()
    catalog_changed()
    return {
        "clinics": len(clinics), "specialties": len(specialties), "doctors": len(doctors),
        "diagnostics": len(demo.diagnostics),
    }


def _upsert(model: type, slug: str, **values: object):
    row = db.session.scalar(select(model).where(model.slug == slug))
    if row is None:
        row = model(slug=slug, **values)
        db.session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def _seed_doctor(item: DemoDoctor, clinics: dict, specialties: dict) -> Doctor:
    doctor = _upsert(
        Doctor, item.key, full_name=item.full_name, clinic_id=clinics[item.clinic].id,
        specialty_id=specialties[item.specialty].id, price=item.price, photo_url=item.photo_url,
        bio=item.bio, bio_translations=item.bio_translations, experience=item.experience,
        experience_translations=item.experience_translations, certificates=item.certificates,
        services=item.services, services_translations=item.services_translations,
        appointment_minutes=item.appointment_minutes,
    )
    db.session.flush()
    has_ratings = db.session.scalar(select(DoctorRating.id).where(DoctorRating.doctor_id == doctor.id).limit(1))
    if has_ratings is None:
        db.session.add_all(
            DoctorRating(doctor_id=doctor.id, score=rating.score, comment=rating.comment) for rating in item.ratings
        )
    return doctor


def _replace_hours(clinic: Clinic, hours: tuple[DemoHours, ...]) -> None:
    db.session.execute(delete(WorkingHours).where(WorkingHours.clinic_id == clinic.id))
    for day in hours:
        row = WorkingHours(clinic_id=clinic.id, weekday=day.iso_weekday, opens_at=day.opens, closes_at=day.closes)
        row.breaks = [WorkingBreak(starts_at=start, ends_at=end) for start, end in day.breaks]
        db.session.add(row)


def _replace_closures(clinics: dict[str, Clinic], closures: tuple[DemoClosure, ...]) -> None:
    """Demo holidays for this year and the next, recreated each run."""
    db.session.execute(delete(ClinicClosure).where(ClinicClosure.reason == DEMO_CLOSURE_REASON))
    this_year = clock.now().year
    for closure in closures:
        for year in (this_year, this_year + 1):
            first_day, last_day = closure.days(year)
            db.session.add(ClinicClosure(
                clinic_id=clinics[closure.clinic].id, first_day=first_day, last_day=last_day,
                reason=DEMO_CLOSURE_REASON,
            ))

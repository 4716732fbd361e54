"""The demo catalog: deterministic, idempotent, and what the Mini App needs."""
from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from medsync.extensions import db
from medsync.models import Clinic, ClinicDiagnostic, DiagnosticType, Doctor, DoctorRating, Specialty, WorkingHours
from medsync.services.seed import seed_demo_catalog

DIAGNOSTIC_NAMES = {
    "MRI", "CT", "X-ray", "Ultrasound", "PET", "Blood test", "Urine test", "Biopsy", "ECG", "Bone density (DEXA)",
    "Endoscopy", "Colonoscopy",
}


def snapshot() -> dict:
    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))

    return {
        "clinics": count(Clinic), "specialties": count(Specialty), "doctors": count(Doctor),
        "ratings": count(DoctorRating), "diagnostics": count(DiagnosticType), "offers": count(ClinicDiagnostic),
        "hours": count(WorkingHours),
        "rating_summary": db.session.execute(text("SELECT sum(rating_count), sum(rating_total) FROM doctors")).one(),
        "doctor_rows": db.session.execute(text("SELECT id, slug, price, rating_count FROM doctors ORDER BY id")).all(),
        "clinic_rows": db.session.execute(text("SELECT id, slug, name, timezone FROM clinics ORDER BY id")).all(),
        "week": db.session.execute(text(
            "SELECT h.clinic_id, h.weekday, h.opens_at, h.closes_at, b.starts_at, b.ends_at FROM working_hours h"
            " LEFT JOIN working_breaks b ON b.working_hours_id = h.id ORDER BY 1, 2, 5"
        )).all(),
        "closures": db.session.execute(text(
            "SELECT clinic_id, first_day, last_day, reason FROM clinic_closures ORDER BY 1, 2"
        )).all(),
        "offers": db.session.execute(text("SELECT * FROM clinic_diagnostics ORDER BY 1, 2")).all(),
    }


def test_seeding_twice_leaves_exactly_one_copy(app_context):
    seed_demo_catalog()
    db.session.commit()
    first = snapshot()
    seed_demo_catalog()
    db.session.commit()
    assert snapshot() == first


def test_demo_catalog_has_what_a_clinic_offers(app_context):
    seed_demo_catalog()
    db.session.commit()
    clinics = db.session.scalars(select(Clinic)).all()
    assert len(clinics) >= 3
    assert len({clinic.timezone for clinic in clinics}) >= 2
    assert all(ZoneInfo(clinic.timezone) for clinic in clinics)
    assert db.session.scalar(select(func.count()).select_from(Specialty)) >= 10
    doctors = db.session.scalars(select(Doctor)).all()
    assert len(doctors) >= 12
    assert all(doctor.bio and doctor.rating_count > 0 for doctor in doctors)
    assert set(db.session.scalars(select(DiagnosticType.name))) == DIAGNOSTIC_NAMES


def test_ratings_summary_is_maintained_by_the_database(app_context):
    seed_demo_catalog()
    db.session.commit()
    doctor = db.session.scalars(select(Doctor).order_by(Doctor.id)).first()
    scores = list(db.session.scalars(select(DoctorRating.score).where(DoctorRating.doctor_id == doctor.id)))
    db.session.add(DoctorRating(doctor_id=doctor.id, score=1))
    db.session.commit()
    db.session.refresh(doctor)
    assert doctor.rating_count == len(scores) + 1
    assert doctor.rating_total == sum(scores) + 1
    assert doctor.avg_rating == round((sum(scores) + 1) / (len(scores) + 1), 2)


def test_weekly_hours_have_a_lunch_break_and_whole_hours(app_context):
    seed_demo_catalog()
    db.session.commit()
    hours = db.session.scalars(select(WorkingHours)).all()
    assert any(row.breaks for row in hours)
    assert all(row.opens_at.minute == 0 and row.closes_at.minute == 0 for row in hours)
    weekdays = {row.weekday for row in hours}
    assert 6 in weekdays  # Saturdays are open (ISO 6), not shifted onto Sunday


def test_seeding_from_the_command_line_again_changes_nothing(app, app_context):
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["medsync", "seed-if-empty"])  # what `make run` does on a fresh database
    seeded = snapshot()
    again = runner.invoke(args=["medsync", "seed-demo"])
    present = runner.invoke(args=["medsync", "seed-if-empty"])
    assert empty.exit_code == again.exit_code == present.exit_code == 0
    counts = "4 clinics, 12 specialties, 16 doctors, 12 diagnostics\n"
    assert (empty.output, again.output) == (f"seeded demo catalog: {counts}", counts)
    assert present.output == "catalog present; not seeding\n"
    assert snapshot() == seeded


def test_a_bad_catalog_file_is_refused_before_anything_is_written(app, app_context, tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_text(
        (files("medsync") / "demo_catalog.toml").read_text(encoding="utf-8").replace('"Asia/Almaty"', '"Asia/Alma"')
    )
    result = app.test_cli_runner().invoke(args=["medsync", "seed-demo", "--catalog", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: clinics.almaty-dostyk.timezone: Not a time zone we know" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Clinic)) == 0


def test_the_demo_is_seeded_with_currencies_languages_translations_and_clinic_prices(app_context):
    seed_demo_catalog()
    db.session.commit()
    warsaw = db.session.scalar(select(Clinic).where(Clinic.slug == "warsaw-mokotow"))
    mri = db.session.scalar(select(DiagnosticType).where(DiagnosticType.slug == "mri"))
    doctor = db.session.scalar(select(Doctor).where(Doctor.slug == "katarzyna-nowak"))
    assert (warsaw.currency, warsaw.default_language) == ("PLN", "pl")
    assert mri.name_translations == {"uk": "МРТ", "ru": "МРТ", "pl": "Rezonans magnetyczny"}
    assert set(doctor.bio_translations) == set(doctor.services_translations) == {"uk", "ru", "pl"}
    assert db.session.get(ClinicDiagnostic, (warsaw.id, mri.id)).price == Decimal("750.00")


def test_seeding_again_restores_a_clinics_own_diagnostic_price(app_context):
    seed_demo_catalog()
    db.session.commit()
    offer = db.session.scalars(select(ClinicDiagnostic).where(ClinicDiagnostic.price.is_not(None))).first()
    wanted = offer.price
    offer.price = Decimal("1.00")
    db.session.commit()
    seed_demo_catalog()
    db.session.commit()
    db.session.refresh(offer)
    assert offer.price == wanted

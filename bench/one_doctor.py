"""The smallest catalog a bench seeds for itself (bench.delivery, bench.erasure): one clinic, one specialty, one doctor."""
from __future__ import annotations

from decimal import Decimal

from medsync.extensions import db
from medsync.models import Clinic, Doctor, Specialty


def add_bench_doctor() -> Doctor:
    """Add the Bench Clinic with its one doctor (flushed, not committed) and return the doctor."""
    clinic = Clinic(slug="bench", name="Bench Clinic", address="1 Bench St, Kyiv", timezone="Europe/Kyiv")
    specialty = Specialty(slug="therapist", name="Therapist")
    db.session.add_all([clinic, specialty])
    db.session.flush()
    doctor = Doctor(slug="bench-doctor", clinic_id=clinic.id, specialty_id=specialty.id, full_name="Dr. Bench",
                    price=Decimal("500.00"), appointment_minutes=30)
    db.session.add(doctor)
    db.session.flush()
    return doctor

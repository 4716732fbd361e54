"""What a patient can book: specialties, doctors (with ratings and absences), diagnostic types."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Integer, LargeBinary, Numeric, SmallInteger, String, Text,
    UniqueConstraint, func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.extensions import db
from medsync.models.clinic import Clinic
from medsync.models.translations import translations_check, translations_column


class Specialty(db.Model):
    __tablename__ = "specialties"
    __table_args__ = (translations_check("name_translations"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # in English, as every translated text
    name_translations: Mapped[dict[str, str]] = translations_column()
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # as Clinic.version

    __mapper_args__ = {"version_id_col": version}


class Doctor(db.Model):
    __tablename__ = "doctors"
    __table_args__ = (
        # Lets bookings reference (doctor, clinic) so the database refuses a doctor at a foreign clinic.
        UniqueConstraint("id", "clinic_id", name="uq_doctors_id_clinic"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("appointment_minutes > 0", name="appointment_positive"),
        CheckConstraint("rating_count >= 0 AND rating_total >= 0", name="rating_summary_valid"),
        translations_check("bio_translations"),
        translations_check("experience_translations"),
        translations_check("services_translations"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialties.id", ondelete="RESTRICT"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))  # as written, in every language
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # in the clinic's currency
    photo_url: Mapped[str | None] = mapped_column(String(500))
    bio: Mapped[str | None] = mapped_column(Text)
    bio_translations: Mapped[dict[str, str]] = translations_column()
    experience: Mapped[str | None] = mapped_column(Text)
    experience_translations: Mapped[dict[str, str]] = translations_column()
    certificates: Mapped[str | None] = mapped_column(Text)  # titles of documents, as issued
    services: Mapped[str | None] = mapped_column(Text)  # one per line, in every language
    services_translations: Mapped[dict[str, str]] = translations_column()
    appointment_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # Maintained by a trigger on doctor_ratings: reads never aggregate over every rating.
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # False: hidden from the catalog and from booking; the doctor's bookings stay (a doctor with bookings is never
    # deleted).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # as Clinic.version

    clinic: Mapped[Clinic] = relationship()
    specialty: Mapped[Specialty] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def avg_rating(self) -> float:
        return average_rating(self.rating_total, self.rating_count)


def average_rating(total: int, count: int) -> float:
    """The mean score to two decimals; 0 when unrated."""
    return round(total / count, 2) if count else 0.0


class DoctorRating(db.Model):
    __tablename__ = "doctor_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.telegram_id", ondelete="SET NULL"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DoctorAbsence(db.Model):
    """The doctor does not see patients from first_day to last_day inclusive."""

    __tablename__ = "doctor_absences"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="range_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)


class DiagnosticType(db.Model):
    __tablename__ = "diagnostic_types"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        translations_check("name_translations"),
        translations_check("description_translations"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_translations: Mapped[dict[str, str]] = translations_column()
    description: Mapped[str | None] = mapped_column(Text)
    description_translations: Mapped[dict[str, str]] = translations_column()
    # The price at every clinic that sets none of its own (ClinicDiagnostic.price), in that clinic's currency.
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    photo_url: Mapped[str | None] = mapped_column(String(500))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # as Clinic.version

    clinics: Mapped[list[Clinic]] = relationship(secondary="clinic_diagnostics", order_by="Clinic.id")

    __mapper_args__ = {"version_id_col": version}


class ClinicDiagnostic(db.Model):
    """Which clinic offers which diagnostic type, and at what price when it sets its own."""

    __tablename__ = "clinic_diagnostics"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True)
    diagnostic_id: Mapped[int] = mapped_column(
        ForeignKey("diagnostic_types.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # In the clinic's currency; None: the diagnostic type's price. A clinic whose currency differs from the
    # clinics that share the type's price sets its own.
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # How long the test takes here; None: the diagnostic type's duration. Its days and hours here: its rotas
    # (models.schedule), else the clinic's opening hours.
    duration_minutes: Mapped[int | None] = mapped_column(Integer)


class Photo(db.Model):
    """An uploaded catalog picture at one of the sizes the Mini App shows, keyed by the upload's SHA-256."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("sha256", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(SmallInteger)  # the square's side in pixels
    content_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

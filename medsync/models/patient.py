"""Patients: the people bookings belong to, with or without a Telegram account."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Computed, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.extensions import db
from medsync.models.user import User

# How long a patient's details may be: as a booking's copy of them (PATIENT_FIELD_LIMITS).
PATIENT_NAME_LENGTH = 100
PATIENT_PHONE_LENGTH = 32
PATIENT_EMAIL_LENGTH = 254


class Patient(db.Model):
    """A person with a name and a phone. `user_id` is their Telegram account once they have shown it to us (they
    booked from Telegram, or shared their contact in the bot); NULL: booked by phone, never messaged.

    The phone is E.164 when it could be read with the clinic's country as default region (always, for the front
    desk's patients); one without Telegram is one per phone (`uq_patients_phone_without_telegram`), so a caller
    booked twice by phone is one patient.
    """

    __tablename__ = "patients"
    __table_args__ = (
        Index("uq_patients_phone_without_telegram", "phone", unique=True, postgresql_where=text("user_id IS NULL")),
        # Parts of a name or phone, in any case: what the front desk types to find someone (pg_trgm).
        Index("ix_patients_search", "search", postgresql_using="gin", postgresql_ops={"search": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(PATIENT_NAME_LENGTH))
    last_name: Mapped[str] = mapped_column(String(PATIENT_NAME_LENGTH))
    phone: Mapped[str] = mapped_column(String(PATIENT_PHONE_LENGTH))
    email: Mapped[str | None] = mapped_column(String(PATIENT_EMAIL_LENGTH))
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.telegram_id", ondelete="RESTRICT"), unique=True
    )
    search: Mapped[str] = mapped_column(
        Text, Computed("lower((first_name::text || ' ' || last_name::text) || ' ' || phone::text)", persisted=True)
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    account: Mapped[User | None] = relationship()

    @property
    def has_telegram(self) -> bool:
        return self.user_id is not None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

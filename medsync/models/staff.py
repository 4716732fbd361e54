"""Clinic staff in Telegram: a Telegram account bound by a one-time invite, with a role at one or more clinics."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, Table, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.extensions import db
from medsync.models.booking import Booking
from medsync.models.catalog import Doctor
from medsync.models.clinic import Clinic
from medsync.models.rules import one_of
from medsync.models.user import User


class StaffRole(str, enum.Enum):
    RECEPTION = "reception"  # the day's visits of their clinics: arrivals, cancellations, results, reminders
    DOCTOR = "doctor"        # their own visits only
    ADMIN = "admin"          # what reception does, and the clinic's catalog, schedules and staff group


# A staff API token acts for an integration, never as one doctor: it has one of these roles, or none (legacy).
TOKEN_ROLES = (StaffRole.RECEPTION, StaffRole.ADMIN)


staff_clinics = Table(
    "staff_clinics",
    db.metadata,
    Column("staff_id", ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True),
    Column("clinic_id", ForeignKey("clinics.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

staff_token_clinics = Table(
    "staff_token_clinics",
    db.metadata,
    Column("token_id", ForeignKey("staff_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("clinic_id", ForeignKey("clinics.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class StaffMember(db.Model):
    """One invite, and once opened the Telegram account it bound; revoked members keep their row for the audit."""

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint(one_of("role", StaffRole), name="role_known"),
        CheckConstraint(f"(role = '{StaffRole.DOCTOR.value}') = (doctor_id IS NOT NULL)",
                        name="doctor_role_has_doctor"),
        CheckConstraint("(telegram_id IS NULL) = (bound_at IS NULL)", name="bound_has_account"),
        # A Telegram account is at most one active staff member: the role it acts in is never ambiguous.
        Index("uq_staff_members_active_account", "telegram_id", unique=True,
              postgresql_where=text("telegram_id IS NOT NULL AND revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="RESTRICT"), index=True)
    # Only the invite code's SHA-256 is stored; the code itself is printed once by `flask medsync invite-staff`.
    invite_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime]
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.telegram_id", ondelete="RESTRICT"))
    bound_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    doctor: Mapped[Doctor | None] = relationship()
    account: Mapped[User | None] = relationship()
    clinics: Mapped[list[Clinic]] = relationship(secondary=staff_clinics, order_by=Clinic.id, lazy="selectin")

    def state(self, now: datetime) -> str:
        """invited (link not yet opened), expired (never opened in time), active, revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.bound_at is not None:
            return "active"
        return "invited" if self.invite_expires_at > now else "expired"

    @property
    def actor_id(self) -> str:
        """How this member signs the audit trail: by id (names are not unique)."""
        return f"staff:{self.id}"

    @property
    def clinic_ids(self) -> set[int]:
        return {clinic.id for clinic in self.clinics}

    @property
    def is_doctor(self) -> bool:
        return self.role == StaffRole.DOCTOR.value

    def can_see(self, booking: Booking) -> bool:
        """A doctor sees their own visits; reception and admins their clinics' visits."""
        if self.is_doctor:
            return booking.doctor_id == self.doctor_id
        return booking.clinic_id in self.clinic_ids

    def can_see_clinic(self, clinic_id: int) -> bool:
        return clinic_id in self.clinic_ids

    def can_remind(self) -> bool:
        """Reminder runs go to every patient of a clinic day: reception's and admins' call."""
        return not self.is_doctor

    def can_set_group(self) -> bool:
        return self.role == StaffRole.ADMIN.value


class StaffToken(db.Model):
    """A staff API token for an integration; only its SHA-256 is stored.

    Issued with a role and clinics, it acts as that role at those clinics only. Issued without a role (as every
    token was before roles), it keeps its first meaning: the staff endpoints at every clinic, no administration.
    """

    __tablename__ = "staff_tokens"
    __table_args__ = (
        CheckConstraint(f"role IS NULL OR {one_of('role', TOKEN_ROLES)}", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()

    clinics: Mapped[list[Clinic]] = relationship(secondary=staff_token_clinics, order_by=Clinic.id, lazy="selectin")

    @property
    def actor_id(self) -> str:
        """How the token signs the audit trail: by id (names are labels, not unique)."""
        return f"staff-token:{self.id}"

    @property
    def clinic_ids(self) -> set[int] | None:
        """The clinics this token acts for; None: every clinic (a token issued without a role)."""
        return None if self.role is None else {clinic.id for clinic in self.clinics}

"""Who works when, beyond the clinic's opening hours: rotas (a doctor's, or a test's at a clinic) and a doctor's
day overrides. A doctor without a rota works the clinic's hours; closures and absences live beside their clinic and
doctor (models.clinic, models.catalog)."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, Text, Time, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.extensions import db

# Two intervals of one day may not overlap: the database refuses them too (a time of day as a range on one date).
_TIME_RANGE = "tsrange(DATE '2000-01-01' + starts_at, DATE '2000-01-01' + ends_at)"


class Rota(db.Model):
    """Weekly hours in the clinic's local time, in force from `valid_from` until a later rota of the same owner
    takes over. The owner is a doctor, or a diagnostic at a clinic (where it is offered)."""

    __tablename__ = "rotas"
    __table_args__ = (
        CheckConstraint("(doctor_id IS NULL) <> (diagnostic_id IS NULL)", name="one_owner"),
        CheckConstraint("(diagnostic_id IS NULL) = (clinic_id IS NULL)", name="diagnostic_at_clinic"),
        ForeignKeyConstraint(
            ["clinic_id", "diagnostic_id"], ["clinic_diagnostics.clinic_id", "clinic_diagnostics.diagnostic_id"],
            name="fk_rotas_diagnostic_at_clinic", ondelete="CASCADE",
        ),
        Index("uq_rotas_doctor_valid_from", "doctor_id", "valid_from", unique=True,
              postgresql_where=text("doctor_id IS NOT NULL")),
        Index("uq_rotas_diagnostic_valid_from", "clinic_id", "diagnostic_id", "valid_from", unique=True,
              postgresql_where=text("diagnostic_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"))
    clinic_id: Mapped[int | None] = mapped_column(Integer)
    diagnostic_id: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    intervals: Mapped[list[RotaInterval]] = relationship(
        back_populates="rota", order_by="(RotaInterval.weekday, RotaInterval.starts_at)", cascade="all, delete-orphan",
        lazy="selectin",
    )


class RotaInterval(db.Model):
    """One stretch of work on an ISO weekday (Monday = 1 … Sunday = 7); a weekday without one is a day off."""

    __tablename__ = "rota_intervals"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="iso_weekday"),
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        ExcludeConstraint(
            ("rota_id", "="), ("weekday", "="), (text(_TIME_RANGE), "&&"),
            name="ex_rota_intervals_overlap", using="gist",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(ForeignKey("rotas.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)

    rota: Mapped[Rota] = relationship(back_populates="intervals")


class DayOverride(db.Model):
    """One day on which a doctor works other hours than their rota's, or none (no intervals: a day off)."""

    __tablename__ = "day_overrides"
    __table_args__ = (UniqueConstraint("doctor_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    intervals: Mapped[list[OverrideInterval]] = relationship(
        back_populates="override", order_by="OverrideInterval.starts_at", cascade="all, delete-orphan",
        lazy="selectin",
    )


class OverrideInterval(db.Model):
    __tablename__ = "override_intervals"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        ExcludeConstraint(("override_id", "="), (text(_TIME_RANGE), "&&"), name="ex_override_intervals_overlap",
                          using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    override_id: Mapped[int] = mapped_column(ForeignKey("day_overrides.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)

    override: Mapped[DayOverride] = relationship(back_populates="intervals")

"""Clinics, their weekly hours with breaks, and closures."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, Time, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from medsync.extensions import db
from medsync.languages import ENGLISH, LANGUAGES
from medsync.phones import country_of_zone


class Clinic(db.Model):
    __tablename__ = "clinics"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso_4217"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso_3166"),
        CheckConstraint(f"default_language IN ({', '.join(repr(language) for language in LANGUAGES)})",
                        name="default_language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64))
    # Prices at this clinic (doctors', and the diagnostics it offers) are in this currency (ISO 4217).
    currency: Mapped[str] = mapped_column(String(3), default="UAH", server_default="UAH")
    # Catalog texts missing in a reader's language are shown in this one before English.
    default_language: Mapped[str] = mapped_column(String(2), default=ENGLISH, server_default=ENGLISH)
    # Where the clinic is (ISO 3166 alpha-2): a phone written without its country code is read as this country's.
    # Unless given, the country of its time zone.
    country: Mapped[str] = mapped_column(String(2), default=lambda context: country_of_zone(
        context.get_current_parameters()["timezone"]))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Bumped by every change and checked by its UPDATE: an edit made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # Bumped by every schedule change at the clinic (its row locked first); a booking is written only while it is
    # the number its catalog snapshot was read with (services.bookings.statement): none lands on hours just removed.
    schedule_version: Mapped[int] = mapped_column(Integer, server_default="0")

    hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="clinic", order_by="WorkingHours.weekday", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @validates("timezone")
    def _known_zone(self, key: str, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value

    @validates("currency")
    def _known_currency(self, key: str, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @validates("default_language")
    def _catalog_language(self, key: str, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"{value!r} is not one of {', '.join(LANGUAGES)}")
        return value


class WorkingHours(db.Model):
    """Opening hours of one ISO weekday (Monday = 1 … Sunday = 7); a closed day has no row."""

    __tablename__ = "working_hours"
    __table_args__ = (
        UniqueConstraint("clinic_id", "weekday"),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="iso_weekday"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    clinic: Mapped[Clinic] = relationship(back_populates="hours")
    breaks: Mapped[list[WorkingBreak]] = relationship(
        back_populates="hours", order_by="WorkingBreak.starts_at", cascade="all, delete-orphan", lazy="selectin"
    )


class WorkingBreak(db.Model):
    __tablename__ = "working_breaks"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    working_hours_id: Mapped[int] = mapped_column(ForeignKey("working_hours.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)

    hours: Mapped[WorkingHours] = relationship(back_populates="breaks")


class ClinicClosure(db.Model):
    """The clinic is closed from first_day to last_day inclusive (holidays, renovation)."""

    __tablename__ = "clinic_closures"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="range_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)

"""Bookings, their audit trail, and test results."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger, CheckConstraint, ColumnElement, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text, func,
    literal_column, text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.config import current_settings
from medsync.extensions import db
from medsync.i18n import current_language
from medsync.languages import pick
from medsync.models.catalog import DiagnosticType, Doctor
from medsync.models.clinic import Clinic
from medsync.models.patient import Patient
from medsync.models.rules import one_of
from medsync.models.user import User


class BookingStatus(str, enum.Enum):
    """A subset of FHIR R4 Appointment.status."""

    BOOKED = "booked"
    ARRIVED = "arrived"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"


ACTIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.ARRIVED, BookingStatus.FULFILLED)
# The predicate the exclusion constraints use: a booking that holds its slot.
ACTIVE_SQL = one_of("status", ACTIVE_STATUSES)
# The predicate of the indexes of visits still booked.
BOOKED_SQL = f"status = '{BookingStatus.BOOKED.value}'"


def service_name(doctor_name: str | None, diagnostic_name: str | None,
                 diagnostic_name_translations: Mapping[str, str]) -> str:
    """What a booking is for: its doctor's name as written, else its diagnostic's name in the language being rendered
    now (the reader's, decided where the text is rendered: a worker renders in the recipient's)."""
    if doctor_name is not None:
        return doctor_name
    if diagnostic_name is None:
        return ""
    return pick(diagnostic_name, diagnostic_name_translations, current_language()) or diagnostic_name


def is_booked(status: ColumnElement[str]) -> ColumnElement[bool]:
    """The status is booked, with the value written into the SQL: a bound value proves nothing about an index's
    predicate to a prepared statement's generic plan, which could then not use the indexes of booked visits."""
    return status == literal_column(f"'{BookingStatus.BOOKED.value}'")


ALLOWED_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.BOOKED: frozenset({BookingStatus.ARRIVED, BookingStatus.CANCELLED, BookingStatus.NOSHOW}),
    BookingStatus.ARRIVED: frozenset({BookingStatus.FULFILLED}),
    BookingStatus.FULFILLED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.NOSHOW: frozenset(),
}

# What staff may take back on the visit's own day (a late patient, a mark made by mistake): never forward.
UNDO_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.ARRIVED: frozenset({BookingStatus.BOOKED}),
    BookingStatus.NOSHOW: frozenset({BookingStatus.BOOKED, BookingStatus.ARRIVED}),
}


def patient_may_change(status: str, starts_at: datetime, now: datetime) -> bool:
    """The patient may still cancel or move a booking themselves: it is booked and starts more than
    CANCEL_CUTOFF from now (closer to the visit, the clinic has to be called)."""
    return status == BookingStatus.BOOKED.value and starts_at - now >= current_settings().CANCEL_CUTOFF


class PatientActions(str, enum.Enum):
    """What a patient may do with their booking themselves (the API's `actions`; the bot's buttons, the Mini App's)."""

    CANCEL = "cancel"
    MOVE = "move"
    CALENDAR = "calendar"


class PatientChoices:
    """What a booking's patient may do with it now, from its `status` and `starts_at`: the one home of the rule, for
    the row (`Booking`) and for the copy an answer is made from (`bookings.BookingDetails`). The API says it
    (`actions`, `can_cancel`, `can_move`, `too_late_to_change`), the bot's keyboards and the Mini App's scripts show
    what it says."""

    def can_cancel(self, now: datetime) -> bool:
        """May its patient still cancel it (booked, and not within CANCEL_CUTOFF of its start)?"""
        return patient_may_change(self.status, self.starts_at, now)

    def can_move(self, now: datetime) -> bool:
        """May its patient still move it? Moving cancels this booking, so the cancelling rule decides."""
        return patient_may_change(self.status, self.starts_at, now)

    def too_late_to_change(self, now: datetime) -> bool:
        """Booked, but too close to the visit for its patient to change it: they call the clinic."""
        return self.status == BookingStatus.BOOKED.value and not patient_may_change(self.status, self.starts_at, now)

    def patient_actions(self, now: datetime) -> list[PatientActions]:
        """What its patient may do now, in the order they are offered: cancel and move while they may change it, add
        it to their calendar while it is booked."""
        actions = [action for action, allowed in ((PatientActions.CANCEL, self.can_cancel(now)),
                                                   (PatientActions.MOVE, self.can_move(now))) if allowed]
        if self.status == BookingStatus.BOOKED.value:
            actions.append(PatientActions.CALENDAR)
        return actions


# What patients tell us about themselves and how long each may be: the columns below are this long, and
# every schema and the booking service check against this one table.
PATIENT_FIELD_LIMITS = {"first_name": 100, "last_name": 100, "phone": 32, "email": 254, "message": 2000}
# A staff note on a visit.
NOTE_LIMIT = 2000


class Actor(str, enum.Enum):
    PATIENT = "patient"
    STAFF = "staff"
    SYSTEM = "system"


class Booking(PatientChoices, db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("(doctor_id IS NULL) <> (diagnostic_id IS NULL)", name="exactly_one_service"),
        CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        CheckConstraint(one_of("status", BookingStatus), name="status_known"),
        CheckConstraint("(status = 'cancelled') = (cancelled_by IS NOT NULL)", name="cancelled_has_actor"),
        CheckConstraint(one_of("cancelled_by", Actor), name="cancelled_by_known"),
        # A doctor only at their own clinic; a diagnostic only where it is offered.
        ForeignKeyConstraint(
            ["doctor_id", "clinic_id"], ["doctors.id", "doctors.clinic_id"],
            name="fk_bookings_doctor_at_clinic", ondelete="RESTRICT",
        ),
        ForeignKeyConstraint(
            ["diagnostic_id", "clinic_id"], ["clinic_diagnostics.diagnostic_id", "clinic_diagnostics.clinic_id"],
            name="fk_bookings_diagnostic_at_clinic", ondelete="RESTRICT",
        ),
        # A booking is a doctor's or a test's: the other side's constraint and index leave it out (migration 0004).
        ExcludeConstraint(
            ("doctor_id", "="), (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="ex_bookings_doctor_overlap", using="gist", where=text(f"{ACTIVE_SQL} AND doctor_id IS NOT NULL"),
        ),
        ExcludeConstraint(
            ("diagnostic_id", "="), ("clinic_id", "="), (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="ex_bookings_diagnostic_overlap", using="gist",
            where=text(f"{ACTIVE_SQL} AND diagnostic_id IS NOT NULL"),
        ),
        ExcludeConstraint(
            ("patient_id", "="), (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="ex_bookings_patient_overlap", using="gist", where=text(ACTIVE_SQL),
        ),
        # A Telegram account's active visits by time (the busy times left out of its free slots): the patients'
        # exclusion constraint indexes them by patient, which a Telegram account's queries do not know.
        Index("ix_bookings_user_active_time", "user_id", text("tstzrange(starts_at, ends_at)"), postgresql_using="gist",
              postgresql_where=text(f"{ACTIVE_SQL} AND user_id IS NOT NULL")),
        CheckConstraint(f"char_length(note) <= {NOTE_LIMIT}", name="note_length"),
        Index("ix_bookings_user_starts", "user_id", "starts_at"),
        # A Telegram account's booked visits in start order: its upcoming list, whatever plan the list gets.
        Index("ix_bookings_user_booked_starts", "user_id", "starts_at", postgresql_where=text(BOOKED_SQL)),
        # A patient's visits; with the clinic beside them, so "a patient of these clinics" (the desk's search) is
        # answered from the index alone.
        Index("ix_bookings_patient_starts", "patient_id", "starts_at", postgresql_include=["clinic_id"]),
        Index("ix_bookings_clinic_starts", "clinic_id", "starts_at"),
        Index("ix_bookings_doctor_starts", "doctor_id", "starts_at", postgresql_where=text("doctor_id IS NOT NULL")),
        Index("ix_bookings_diagnostic_clinic_starts", "diagnostic_id", "clinic_id", "starts_at",
              postgresql_where=text("diagnostic_id IS NOT NULL")),
        # Visits still booked, by their end: the nightly no-show marking's.
        Index("ix_bookings_booked_ends", "ends_at", postgresql_where=text(BOOKED_SQL)),
        Index(
            "uq_bookings_user_idempotency_key", "user_id", "idempotency_key", unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    # The patient's Telegram account (patients.user_id, copied: every ownership check and every message reads it
    # here); NULL: booked by phone for a patient without Telegram, who gets no chat messages, or the patient erased
    # their data (medsync.services.erasure): the booking stays, anonymised.
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.telegram_id", ondelete="RESTRICT"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"))
    doctor_id: Mapped[int | None] = mapped_column(Integer)
    diagnostic_id: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.BOOKED.value)
    patient_first_name: Mapped[str] = mapped_column(String(PATIENT_FIELD_LIMITS["first_name"]))
    patient_last_name: Mapped[str] = mapped_column(String(PATIENT_FIELD_LIMITS["last_name"]))
    patient_phone: Mapped[str] = mapped_column(String(PATIENT_FIELD_LIMITS["phone"]))
    patient_email: Mapped[str | None] = mapped_column(String(PATIENT_FIELD_LIMITS["email"]))
    patient_message: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    # Calendar identity: stays the same across reschedules, SEQUENCE grows.
    ical_uid: Mapped[str] = mapped_column(String(120))
    ical_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # The front desk's own words about the visit: never shown or sent to the patient, never logged.
    note: Mapped[str | None] = mapped_column(Text)
    # When the patient said "I'll come" (the reminder's button).
    confirmed_at: Mapped[datetime | None]
    # When staff last took a mark back (arrived or no-show → an earlier status): the nightly no-show marking leaves
    # such a visit to them.
    undone_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    user: Mapped[User | None] = relationship()
    patient: Mapped[Patient] = relationship()
    clinic: Mapped[Clinic] = relationship()
    doctor: Mapped[Doctor | None] = relationship(
        primaryjoin="Booking.doctor_id == Doctor.id", foreign_keys="Booking.doctor_id", viewonly=True
    )
    diagnostic: Mapped[DiagnosticType | None] = relationship(
        primaryjoin="Booking.diagnostic_id == DiagnosticType.id", foreign_keys="Booking.diagnostic_id",
        viewonly=True,
    )
    rescheduled_from: Mapped[Booking | None] = relationship(remote_side="Booking.id")

    @property
    def service_name(self) -> str:
        """What the patient comes for (see `service_name`)."""
        if self.doctor is not None:
            return self.doctor.full_name
        if self.diagnostic is None:
            return ""
        return service_name(None, self.diagnostic.name, self.diagnostic.name_translations)

    @property
    def is_active(self) -> bool:
        return self.status in {status.value for status in ACTIVE_STATUSES}

    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.clinic.zone)

    def is_owned_by(self, user_id: int) -> bool:
        return self.user_id == user_id

    def can_become(self, status: BookingStatus) -> bool:
        """Does the lifecycle allow this next status (forward only)?"""
        return status in ALLOWED_TRANSITIONS[BookingStatus(self.status)]

    def is_undo(self, status: BookingStatus) -> bool:
        """Would this status take a mark back (arrived or no-show → an earlier status)?"""
        return status in UNDO_TRANSITIONS.get(BookingStatus(self.status), frozenset())

    def is_visit_day(self, now: datetime) -> bool:
        """Is it the visit's day in its clinic's calendar?"""
        zone = self.clinic.zone
        return now.astimezone(zone).date() == self.starts_at.astimezone(zone).date()

    def can_be_marked(self, status: BookingStatus, now: datetime) -> bool:
        """May staff mark it so now: the lifecycle allows it, a patient arrives on the visit's day at the
        earliest, and a visit is missed only once it was due to start; a mark is taken back only on the visit's day."""
        if self.is_undo(status):
            return self.is_visit_day(now)
        if not self.can_become(status):
            return False
        if status is BookingStatus.ARRIVED:
            zone = self.clinic.zone
            return now.astimezone(zone).date() >= self.starts_at.astimezone(zone).date()
        if status is BookingStatus.NOSHOW:
            return now >= self.starts_at
        return True

    def accepts_results(self, now: datetime) -> bool:
        """Can a result be attached: the visit was not cancelled and has taken place (it began, or the
        patient arrived). A visit marked missed still takes one: the nightly marking only guesses."""
        if self.status == BookingStatus.CANCELLED.value:
            return False
        return self.status != BookingStatus.BOOKED.value or self.starts_at <= now


class BookingEvent(db.Model):
    """Append-only audit trail: who did what to a booking, and when."""

    __tablename__ = "booking_events"
    __table_args__ = (CheckConstraint(one_of("actor", Actor), name="actor_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bookings are cancelled, never deleted; the trail must not vanish with one.
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"), index=True)
    actor: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Result(db.Model):
    """A test result file for a booking, stored encrypted under RESULTS_DIR."""

    __tablename__ = "results"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        # A visit's results by content: the same file uploaded again is the same result (its name on disk is random).
        Index("uq_results_booking_sha256", "booking_id", "sha256", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))
    storage_path: Mapped[str] = mapped_column(String(500), unique=True)
    content_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    # The fingerprint of the RESULTS_KEY key its file is encrypted with (medsync.services.result_files); NULL: the file
    # was stored in plain before encryption, until `flask medsync rotate-results-key` encrypts it.
    encrypted_with: Mapped[str | None] = mapped_column(String(16))
    uploaded_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    booking: Mapped[Booking] = relationship()

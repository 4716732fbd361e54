"""The read side of bookings: a patient's lists and a booking as it is shown. No writes here (`commands.py`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Row, and_, bindparam, not_, select
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.errors import BookingNotFound, InvalidRequest
from medsync.extensions import db
from medsync.models import Booking, Clinic, DiagnosticType, Doctor
from medsync.models.booking import PatientChoices, is_booked, service_name
from medsync.services import availability, catalog
from medsync.services.pagination import Page, PreparedList, paginate


def list_for_user(user_id: int, *, when: str = "upcoming", page: int = 1, per_page: int = 5,
                  now: datetime | None = None) -> Page[Booking]:
    """The user's bookings: "upcoming" (active, not yet ended; soonest first), "past" (the rest; latest
    first) or "all" (latest first)."""
    criteria, order = _listed(when, now or clock.now())
    query = select(Booking).where(availability.of_patient(user_id), *criteria).order_by(*order).options(
        joinedload(Booking.clinic), joinedload(Booking.doctor), joinedload(Booking.diagnostic)
    )
    return paginate(query, page=page, per_page=per_page)


@dataclass(frozen=True)
class BookingLine:
    """A booking as one line of a list shows it: when it starts, in which zone, and what it is for."""

    id: int
    starts_at: datetime
    timezone: str  # the clinic's IANA zone
    doctor_name: str | None
    diagnostic_name: str | None
    diagnostic_name_translations: Mapping[str, str]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def service_name(self) -> str:
        """As `Booking.service_name`: in the language rendered now, whichever language the line was read in."""
        return service_name(self.doctor_name, self.diagnostic_name, self.diagnostic_name_translations)


def list_lines_for_user(user_id: int, *, when: str = "upcoming", page: int = 1, per_page: int = 5,
                        now: datetime | None = None) -> Page[BookingLine]:
    """The same lists as `list_for_user`, as lines: one prepared statement, no ORM objects (the bot's pages)."""
    return _booking_lines(when).page({"user_id": user_id, "now": now or clock.now()}, page=page, per_page=per_page)


@cache
def _booking_lines(when: str) -> PreparedList[BookingLine]:
    """The lines of one list ("upcoming", "past" or "all"), built once: user_id and now are bound per call."""
    criteria, order = _listed(when, bindparam("now"))
    clinics, doctors, diagnostics = Clinic.__table__, Doctor.__table__, DiagnosticType.__table__
    columns = Booking.__table__.c
    query = (
        select(columns.id, columns.starts_at, clinics.c.timezone, doctors.c.full_name, diagnostics.c.name,
               diagnostics.c.name_translations)
        .select_from(Booking.__table__.join(clinics, clinics.c.id == columns.clinic_id)
                     .outerjoin(doctors, doctors.c.id == columns.doctor_id)
                     .outerjoin(diagnostics, diagnostics.c.id == columns.diagnostic_id))
        .where(availability.of_patient(bindparam("user_id")), *criteria)
        .order_by(*order)
    )
    return PreparedList(f"medsync_booking_lines_{when}", query, _booking_line)


def _booking_line(row: Row[Any]) -> BookingLine:
    """A line from a row of `_booking_lines` (a doctor's booking joins no diagnostic: no translations)."""
    return BookingLine(row[0], row[1], row[2], row[3], row[4], row[5] or {})


def _listed(when: str, now: Any) -> tuple[list[ColumnElement[bool]], tuple[ColumnElement[Any], ...]]:
    """Which of a user's bookings a list holds and their order (Core columns: the ORM and the prepared lists share it).

    Upcoming: booked, and not yet over (its time overlaps from now on), as the patients' exclusion index reads it.
    """
    columns = Booking.__table__.c
    upcoming = and_(is_booked(columns.status), availability.overlapping(now, None))
    if when == "upcoming":
        return [upcoming], (columns.starts_at, columns.id)
    if when == "past":
        return [not_(upcoming), _not_moved()], (columns.starts_at.desc(), columns.id.desc())
    if when == "all":
        return [_not_moved()], (columns.starts_at.desc(), columns.id.desc())
    raise InvalidRequest(_("Unknown list."), errors={"when": [_("One of upcoming, past, all.")]})


def _not_moved() -> ColumnElement[bool]:
    """Not a booking the patient moved: the visit is listed once, as its newest booking (the old one is cancelled
    only because it was replaced, and would read as a cancelled visit on a day that may still lie ahead)."""
    columns, successor = Booking.__table__.c, Booking.__table__.alias("successor")
    return ~select(successor.c.id).where(successor.c.rescheduled_from_id == columns.id).exists()


def get_booking(booking_id: int, *, user_id: int) -> Booking:
    """The patient's own booking with what it is shown with; someone else's does not exist for them."""
    booking = get_booking_for_staff(booking_id)
    if booking.user_id != user_id:
        raise BookingNotFound()
    return booking


def get_booking_for_staff(booking_id: int) -> Booking:
    """Any booking, with what it is shown with (staff and system only: no ownership check)."""
    booking = db.session.get(
        Booking, booking_id,
        options=[joinedload(Booking.clinic), joinedload(Booking.doctor), joinedload(Booking.diagnostic)],
    )
    if booking is None:
        raise BookingNotFound()
    return booking


@dataclass(frozen=True)
class BookingDetails(PatientChoices):
    """A booking as it is shown, its clinic and service taken from the catalog snapshot.

    Copied from the row (a Booking's loaded values, or the row the booking statement returned) before the commit,
    so that the answer to a write needs no query after it. Not the model: it is not in the session and does not
    change with the row (read the Booking for that: `get_booking`).
    """

    id: int
    status: str
    clinic: catalog.ClinicInfo
    doctor: catalog.DoctorInfo | None
    diagnostic: catalog.DiagnosticInfo | None
    starts_at: datetime
    ends_at: datetime
    patient_first_name: str
    patient_last_name: str
    patient_phone: str
    patient_email: str | None
    patient_message: str | None
    cancel_reason: str | None
    cancelled_by: str | None
    rescheduled_from_id: int | None
    ical_sequence: int
    # Whose it is and what it names, as the row holds them.
    patient_id: int
    user_id: int | None
    clinic_id: int
    doctor_id: int | None
    diagnostic_id: int | None
    ical_uid: str

    @property
    def service_name(self) -> str:
        """What the patient comes for, as `Booking.service_name` (the diagnostic's name from the catalog snapshot in the
        language rendered now: `diagnostic` is the language-free view `details` took)."""
        if self.doctor is not None:
            return self.doctor.full_name
        if self.diagnostic is None:
            return ""
        return catalog.diagnostic_name(self.diagnostic.id)


def details(booking: Booking | Row[Any]) -> BookingDetails:
    """The booking as shown to its patient, from a Booking or a row of its table (the booking statement's); no query:
    the row's values and the catalog snapshot."""
    snapshot = catalog.current_catalog()
    return BookingDetails(
        id=booking.id, status=booking.status, clinic=snapshot.clinics[booking.clinic_id],
        doctor=snapshot.doctor_of_booking(booking.doctor_id) if booking.doctor_id is not None else None,
        diagnostic=snapshot.diagnostics[booking.diagnostic_id] if booking.diagnostic_id is not None else None,
        starts_at=booking.starts_at, ends_at=booking.ends_at, patient_first_name=booking.patient_first_name,
        patient_last_name=booking.patient_last_name, patient_phone=booking.patient_phone,
        patient_email=booking.patient_email, patient_message=booking.patient_message,
        cancel_reason=booking.cancel_reason, cancelled_by=booking.cancelled_by,
        rescheduled_from_id=booking.rescheduled_from_id, ical_sequence=booking.ical_sequence,
        patient_id=booking.patient_id, user_id=booking.user_id, clinic_id=booking.clinic_id,
        doctor_id=booking.doctor_id, diagnostic_id=booking.diagnostic_id, ical_uid=booking.ical_uid,
    )

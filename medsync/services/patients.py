"""Patients the front desk books for and finds, and how a patient booked by phone comes to Telegram.

A patient without Telegram is one per phone (E.164, read in the clinic's country): a caller booked twice is one
patient. A Telegram user's own patient is made by their first booking (services.bookings). Staff see the patients
of their clinics only: those with a visit there.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, exists, select, text, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from medsync import phones
from medsync.errors import DomainError, InvalidRequest, NotFound
from medsync.extensions import db
from medsync.models import Booking, Patient
from medsync.services import bookings


class PatientNotFound(NotFound):
    pass


class LinkRefused(DomainError):
    """The phone bookings overlap visits the Telegram user already holds: the desk sorts them out."""


@dataclass(frozen=True)
class CallerDetails:
    """Who rings the front desk: a name and a phone (read into E.164), an e-mail if they give one."""

    first_name: str
    last_name: str
    phone: str
    email: str | None = None


def desk_phone(raw: str, region: str) -> str:
    """The phone the desk typed in E.164, read in the clinic's country; an unreadable one is a 422 naming
    `patient.phone` (nested, as the request's own field errors are)."""
    try:
        return phones.to_e164(raw, region)
    except phones.UnreadablePhone:
        raise InvalidRequest(
            _("Please check the patient's details."),
            errors={"patient": {"phone": [_("Not a phone number here: check it, or write it with its country code.")]}},
        ) from None


def caller(details: CallerDetails, *, region: str) -> Patient:
    """The patient behind this phone (one with Telegram first: the booking then reaches their chat), else a new one
    without Telegram. Two desks adding the same new caller at once make one patient (the phone's unique index)."""
    phone = desk_phone(details.phone, region)
    found = _by_phone(phone)
    if found is not None:
        return found
    db.session.execute(
        insert(Patient)
        .values(first_name=details.first_name.strip(), last_name=details.last_name.strip(), phone=phone,
                email=(details.email or "").strip() or None)
        .on_conflict_do_nothing(index_elements=[Patient.phone], index_where=text("user_id IS NULL"))
    )
    return _by_phone(phone)


def _by_phone(phone: str) -> Patient | None:
    return db.session.scalar(
        select(Patient).where(Patient.phone == phone).order_by(Patient.user_id.is_(None), Patient.id).limit(1)
    )


def visible(patient_id: int, *, within: Collection[int] | None) -> Patient:
    """A patient of these clinics (None: every clinic); any other does not exist for the asker."""
    patient = db.session.scalar(select(Patient).where(Patient.id == patient_id, _of_clinics(within)))
    if patient is None:
        raise PatientNotFound(_("Patient not found."))
    return patient


def _of_clinics(within: Collection[int] | None) -> ColumnElement[bool]:
    """The patient has a visit at one of these clinics (None: any patient)."""
    if within is None:
        return true()
    return exists().where(Booking.patient_id == Patient.id, Booking.clinic_id.in_(list(within)))


def link_contact(user_id: int, phone: str) -> list[int]:
    """The Telegram user shared their own contact (Telegram vouches the number is theirs): the bookings made by phone
    for that number become theirs, and their visits ahead are reminded in the chat from now on. Returns those
    bookings' ids.

    Without a patient of their own the phone's patient becomes theirs; with one, its bookings move to theirs and it
    goes. Either way `bookings.user_id` follows in the same statement as `patient_id`.
    """
    by_phone = db.session.scalar(
        select(Patient).where(Patient.phone == phone, Patient.user_id.is_(None)).with_for_update()
    )
    if by_phone is None:
        return []
    own = db.session.scalar(select(Patient.id).where(Patient.user_id == user_id).with_for_update())
    try:
        with db.session.begin_nested():
            if own is None:
                linked = db.session.scalars(_LINK, {"patient_id": by_phone.id, "user_id": user_id}).all()
            else:
                linked = db.session.scalars(
                    update(Booking).where(Booking.patient_id == by_phone.id)
                    .values(patient_id=own, user_id=user_id).returning(Booking.id)
                ).all()
                db.session.execute(delete(Patient).where(Patient.id == by_phone.id))
    except IntegrityError:
        raise LinkRefused(_("Some of these visits overlap your own bookings. Please call the clinic.")) from None
    db.session.expire_all()
    bookings.queue_reminders(linked)
    return sorted(linked)


_LINK = text("""
    WITH linked AS (
        UPDATE patients SET user_id = :user_id WHERE id = :patient_id AND user_id IS NULL RETURNING id
    )
    UPDATE bookings SET user_id = :user_id FROM linked WHERE bookings.patient_id = linked.id RETURNING bookings.id
""")

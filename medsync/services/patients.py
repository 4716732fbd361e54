"""Patients the front desk books for and finds, and how a patient booked by phone comes to Telegram.

A patient without Telegram is one per phone (E.164, read in the clinic's country): a caller booked twice is one
patient. A Telegram user's own patient is made by their first booking (services.bookings). Staff see the patients
of their clinics only: those with a visit there.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, exists, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from medsync import clock, phones
from medsync.errors import DomainError, InvalidRequest, NotFound
from medsync.extensions import db
from medsync.models import Booking, BookingStatus, Patient
from medsync.services import bookings
from medsync.services.pagination import Page, paginate

SEARCH_MIN_LENGTH = 3
SEARCH_CAP = 100  # matches a search lists at most (see `search`)
UPCOMING_SHOWN = 5
_PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")


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
        return text("true")
    return exists().where(Booking.patient_id == Patient.id, Booking.clinic_id.in_(list(within)))


@dataclass(frozen=True)
class Found:
    """A patient as the search lists them: who, and their next visits at the asker's clinics."""

    patient: Patient
    upcoming: list[Booking]


def search(query: str, *, within: Collection[int] | None, page: int = 1, per_page: int = 20,
           now: datetime | None = None) -> Page[Found]:
    """Patients whose name or phone holds every word of the query (each as typed, in any case; a phone written with
    spaces or dashes as its digits), by name, SEARCH_CAP of them at most; through the pg_trgm index, the words bound
    as parameters."""
    words = search_words(query)
    matching = [Patient.search.like(f"%{_escaped(word)}%", escape="\\") for word in words]
    # At most SEARCH_CAP matches, taken as the index yields them and only then ordered: sorting and counting every
    # holder of three common digits would cost a network of patients; the desk narrows with a few more characters.
    capped = select(Patient.id).where(*matching, _of_clinics(within)).limit(SEARCH_CAP).subquery()
    listed = (select(Patient).join(capped, capped.c.id == Patient.id)
              .order_by(Patient.last_name, Patient.first_name, Patient.id))
    found = paginate(listed, page=page, per_page=per_page)
    upcoming = upcoming_visits([patient.id for patient in found.items], within=within, now=now)
    return Page([Found(patient, upcoming.get(patient.id, [])) for patient in found.items],
                found.page, found.per_page, found.total)


def search_words(query: str) -> list[str]:
    """The words to look for; a query shorter than SEARCH_MIN_LENGTH is a 422 naming `q`."""
    query = " ".join(query.split())
    if len(query) < SEARCH_MIN_LENGTH:
        raise InvalidRequest(
            _("Type at least three characters of a name or phone."),
            errors={"q": [_("At least three characters.")]},
        )
    if _PHONE_LIKE.fullmatch(query) and sum(character.isdigit() for character in query) >= SEARCH_MIN_LENGTH:
        return ["".join(character for character in query if character.isdigit())]
    return query.lower().split()


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def upcoming_visits(patient_ids: Sequence[int], *, within: Collection[int] | None,
                    now: datetime | None = None) -> dict[int, list[Booking]]:
    """The next booked visits of these patients at these clinics (None: every clinic), soonest first, a few each."""
    if not patient_ids:
        return {}
    query = (
        select(Booking)
        .where(Booking.patient_id.in_(list(patient_ids)), Booking.status == BookingStatus.BOOKED.value,
               Booking.starts_at >= (now or clock.now()))
        .options(joinedload(Booking.clinic), joinedload(Booking.doctor), joinedload(Booking.diagnostic))
        .order_by(Booking.starts_at, Booking.id)
    )
    if within is not None:
        query = query.where(Booking.clinic_id.in_(list(within)))
    visits: dict[int, list[Booking]] = {}
    for booking in db.session.scalars(query):
        shown = visits.setdefault(booking.patient_id, [])
        if len(shown) < UPCOMING_SHOWN:
            shown.append(booking)
    return visits


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

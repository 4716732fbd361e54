"""Booking use cases: book, cancel, reschedule, status changes. Each writes its audit event and outbox rows."""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from sqlalchemy import ColumnElement, Row, and_, bindparam, not_, or_, select, text, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload, make_transient_to_detached

from medsync import clock, phones
from medsync.config import current_settings
from medsync.errors import (
    BookingNotFound, CancelTooLate, IllegalTransition, InvalidRequest, NotFound, PatientBusy, SlotTaken,
    SlotUnavailable,
)
from medsync.extensions import db
from medsync.models import (
    PATIENT_FIELD_LIMITS, Actor, Booking, BookingEvent, BookingStatus, Clinic, DiagnosticType,
    Doctor, MessageKind, MessageStatus,
)
from medsync.languages import request_language
from medsync.models.booking import ACTIVE_SQL, is_booked, patient_may_change, service_name
from medsync.prepared import PreparedStatement
from medsync.services import availability, catalog, changes, outbox, users
from medsync.services.pagination import Page, PreparedList, paginate

_NOT_YET_SENT = (MessageKind.CONFIRMATION, MessageKind.REMINDER)
DEADLOCK_DETECTED = "40P01"  # SQLSTATE


@dataclass(frozen=True)
class PatientDetails:
    first_name: str
    last_name: str
    phone: str
    email: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        errors = {
            name: [ngettext("At most %(num)d character.", "At most %(num)d characters.", limit)]
            for name, limit in PATIENT_FIELD_LIMITS.items()
            if len(getattr(self, name) or "") > limit
        }
        errors.update({name: [_("Required.")] for name in ("first_name", "last_name", "phone")
                       if not (getattr(self, name) or "").strip()})
        if errors:
            raise InvalidRequest(_("Please check the patient's details."), errors=errors)


def reminder_label(offset: timedelta) -> str:
    """'24h', '2h', '90m': how a reminder offset is named in keys and texts."""
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def book(
    *,
    user_id: int | None,
    clinic_id: int,
    starts_at: datetime,
    patient: PatientDetails,
    patient_id: int | None = None,
    doctor_id: int | None = None,
    diagnostic_id: int | None = None,
    idempotency_key: str | None = None,
    actor: Actor = Actor.PATIENT,
    actor_id: str | None = None,
    now: datetime | None = None,
    profile: users.Profile | None = None,
    _rescheduled_from: Booking | None = None,
) -> Booking:
    """Book a free slot for the user; raises SlotTaken, PatientBusy, SlotUnavailable or InvalidRequest.

    The schedule is checked by arithmetic on the catalog snapshot; then one statement writes the booking, its
    audit event and its outbox rows, and leaves to PostgreSQL what the snapshot does not hold: the doctor's
    absence that day refuses the row, and so does an exclusion constraint (or this user's Idempotency-Key),
    without an error. Only a refused booking looks up why, to tell the patient. `profile` (the booking
    user's, from Telegram) creates or refreshes their user row in the same statement, whether or not the
    booking is written.

    The booking is the patient's `patient_id` (the front desk's; `user_id` is then their Telegram account or
    None), else the Telegram user's own patient, made in the same statement at their first booking.
    """
    if (doctor_id is None) == (diagnostic_id is None):
        raise InvalidRequest(
            _("Choose either a doctor or a diagnostic."),
            errors={"doctor_id": [_("Give exactly one of doctor_id or diagnostic_id.")]},
        )
    request = (clinic_id, doctor_id, diagnostic_id, starts_at)
    now = now or clock.now()
    resource = _resource(clinic_id, doctor_id, diagnostic_id)
    if profile is not None and profile.telegram_id != user_id:
        raise ValueError("the profile is not the booking user's")
    if patient_id is None and user_id is None:
        raise ValueError("a booking without a Telegram user needs its patient")
    try:
        slot = availability.slot_on_grid(resource, starts_at, now=now)
    except SlotUnavailable:
        # A repeat of a request that was booked may find its slot gone since (too soon now).
        earlier = _by_idempotency_key(user_id, idempotency_key) if idempotency_key and user_id else None
        if earlier is None:
            raise
        if profile is not None:
            users.write_profile(profile)
        return _same_request(earlier, request)
    booking = _insert_booking(
        user_id=user_id, patient_id=patient_id, region=resource.clinic.country, clinic_id=clinic_id, slot=slot,
        patient=patient, doctor_id=doctor_id,
        diagnostic_id=diagnostic_id, idempotency_key=idempotency_key, rescheduled_from=_rescheduled_from,
        actor=actor, actor_id=actor_id, now=now, profile=profile,
    )
    if booking is not None:
        return booking
    if idempotency_key is not None and user_id is not None:
        earlier = _by_idempotency_key(user_id, idempotency_key)
        if earlier is not None:  # a repeat of a request that was booked (its slot is taken by itself)
            return _same_request(earlier, request)
    availability.check_slot(resource, starts_at, now=now)  # the doctor is away, or the slot is held
    _refusal(user_id, patient_id, resource, slot)


def _insert_booking(
    *,
    user_id: int | None,
    patient_id: int | None,
    region: str,
    clinic_id: int,
    slot: availability.Slot,
    patient: PatientDetails,
    doctor_id: int | None,
    diagnostic_id: int | None,
    idempotency_key: str | None,
    rescheduled_from: Booking | None,
    actor: Actor,
    actor_id: str | None,
    now: datetime,
    profile: users.Profile | None,
) -> Booking | None:
    """Write the booking, its audit event and its messages in one statement (`_BOOK`), unless the doctor is
    away that day or a unique or exclusion constraint refuses the booking: then nothing is written (None).

    The booking comes back as a Booking the session knows as persistent, built from the values written, so
    that neither the ORM's INSERT nor a SELECT is needed to hand it to the caller.
    """
    values = {
        "user_id": user_id, "patient_id": patient_id, "clinic_id": clinic_id, "doctor_id": doctor_id, "diagnostic_id": diagnostic_id,
        "starts_at": slot.starts_at, "ends_at": slot.ends_at, "status": BookingStatus.BOOKED.value,
        "patient_first_name": patient.first_name, "patient_last_name": patient.last_name,
        "patient_phone": patient.phone, "patient_email": patient.email, "patient_message": patient.message,
        "idempotency_key": idempotency_key,
        "rescheduled_from_id": rescheduled_from.id if rescheduled_from else None,
        "ical_uid": rescheduled_from.ical_uid if rescheduled_from else f"{uuid.uuid4()}@medsync",
        "ical_sequence": rescheduled_from.ical_sequence + 1 if rescheduled_from else 0,
    }
    event_details: dict[str, Any] = {"starts_at": slot.starts_at.isoformat()}
    if rescheduled_from is not None:
        event_details["rescheduled_from"] = rescheduled_from.id
    if actor_id is None and actor is Actor.PATIENT:
        actor_id = str(user_id)
    queued_at = clock.now()  # as outbox.queue_messages: the confirmation is due at once
    messages = _booking_messages(slot.starts_at, now, rescheduled_from=rescheduled_from)
    parameters = {
        **values, "day": slot.starts_at.date(), "actor": actor.value, "actor_id": actor_id, "action": "booked",
        "message_status": MessageStatus.PENDING.value,
        "event_details": json.dumps(event_details),
        "kinds": [kind.value for kind, _, _, _ in messages], "purposes": [purpose for _, purpose, _, _ in messages],
        "payloads": [json.dumps(payload) for _, _, payload, _ in messages],
        "dues": [due_at or queued_at for _, _, _, due_at in messages],
        "due_soon": queued_at + outbox.DUE_SOON,
        "patient_phone_e164": phones.e164_or_as_given(patient.phone, region),
    }
    if profile is not None:
        parameters.update(profile.values("profile_"))
    try:
        written = (_BOOK_WITH_PROFILE if profile is not None else _BOOK).execute(db.session, parameters).one_or_none()
    except (IntegrityError, OperationalError) as exc:
        _raise_booking_conflict(exc)
        raise  # not reached: the line above always raises
    finally:
        if profile is not None:
            users.profile_written(user_id)
    if written is None:
        return None
    booking_id, values["patient_id"], due_message_ids = written
    outbox.mark_for_dispatch(due_message_ids)
    booking = Booking(id=booking_id, cancel_reason=None, cancelled_by=None, note=None, confirmed_at=None,
                      undone_at=None, **values)
    make_transient_to_detached(booking)  # what was not written here (created_at …) loads when first read
    db.session.add(booking)
    changes.note_booking_written(booking)  # only this doctor's/test's and patient's free slots
    return booking


# One round trip for a booking, planned once per connection (PreparedStatement). The INSERT ... SELECT writes no
# row when the doctor is away that day; without a conflict target DO NOTHING covers every unique and exclusion
# constraint: a lost race waits for the winner and then writes nothing, instead of aborting the transaction. The
# audit event and the messages are written from the booking's row, so they exist exactly when it does; the ids of
# messages due now come back for the hand-over.
_BOOKED = """
patient_row AS (
    INSERT INTO patients (user_id, first_name, last_name, phone, email)
    SELECT CAST(:user_id AS bigint), CAST(:patient_first_name AS text), CAST(:patient_last_name AS text),
           CAST(:patient_phone_e164 AS text), CAST(:patient_email AS text)
    WHERE CAST(:patient_id AS integer) IS NULL
    ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id
    RETURNING id
), booked AS (
    INSERT INTO bookings (patient_id, user_id, clinic_id, doctor_id, diagnostic_id, starts_at, ends_at, status,
                          patient_first_name, patient_last_name, patient_phone, patient_email, patient_message,
                          idempotency_key, rescheduled_from_id, ical_uid, ical_sequence)
    SELECT coalesce(CAST(:patient_id AS integer), (SELECT id FROM patient_row)),
           CAST(:user_id AS bigint), CAST(:clinic_id AS integer), CAST(:doctor_id AS integer),
           CAST(:diagnostic_id AS integer), CAST(:starts_at AS timestamptz), CAST(:ends_at AS timestamptz),
           CAST(:status AS text), CAST(:patient_first_name AS text), CAST(:patient_last_name AS text),
           CAST(:patient_phone AS text), CAST(:patient_email AS text), CAST(:patient_message AS text),
           CAST(:idempotency_key AS text), CAST(:rescheduled_from_id AS integer), CAST(:ical_uid AS text),
           CAST(:ical_sequence AS integer)
    WHERE NOT EXISTS (SELECT FROM doctor_absences
                      WHERE doctor_id = CAST(:doctor_id AS integer)
                        AND first_day <= CAST(:day AS date) AND last_day >= CAST(:day AS date))
    ON CONFLICT DO NOTHING
    RETURNING id, patient_id
), audited AS (
    INSERT INTO booking_events (booking_id, actor, actor_id, action, details)
    SELECT id, CAST(:actor AS text), CAST(:actor_id AS text), CAST(:action AS text), CAST(:event_details AS jsonb)
    FROM booked
), queued AS (
    INSERT INTO outbox_messages (kind, dedupe_key, booking_id, chat_id, payload, due_at, status)
    SELECT message.kind, 'booking:' || booked.id || message.purpose, booked.id, CAST(:user_id AS bigint),
           message.payload, message.due_at, CAST(:message_status AS text)
    FROM booked, unnest(CAST(:kinds AS text[]), CAST(:purposes AS text[]),
                        CAST(CAST(:payloads AS text[]) AS jsonb[]), CAST(:dues AS timestamptz[]))
                 AS message (kind, purpose, payload, due_at)
    WHERE CAST(:user_id AS bigint) IS NOT NULL
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, due_at
)
SELECT booked.id, booked.patient_id,
       ARRAY(SELECT id FROM queued WHERE due_at <= CAST(:due_soon AS timestamptz) ORDER BY id)
FROM booked
"""
_BOOK = PreparedStatement("medsync_book", "WITH" + _BOOKED)
# The patient's user row first, as `users.upsert_user` writes it: the booking's foreign key is checked at the end
# of the statement, when the row exists.
_BOOK_WITH_PROFILE = PreparedStatement(
    "medsync_book_with_profile", "WITH patient AS (" + users.UPSERT_CTE + ")," + _BOOKED
)


def _refusal(user_id: int | None, patient_id: int | None, resource: availability.Resource,
             slot: availability.Slot) -> NoReturn:
    """The INSERT was refused though the doctor is in and the slot free a moment ago: say who holds the time (the
    patient by their id when the desk named them: one booked by phone has no Telegram account)."""
    if patient_id is not None:
        patients_time = and_(text(ACTIVE_SQL), Booking.patient_id == patient_id)
    else:
        patients_time = and_(*availability.holding_patients_time(user_id))
    holding = or_(
        and_(*availability.holding_time(
            clinic_id=resource.clinic.id, doctor_id=resource.doctor_id, diagnostic_id=resource.diagnostic_id,
        )),
        patients_time,
    )
    overlapping = availability.overlapping(slot.starts_at, slot.ends_at)
    holders = db.session.scalars(select(Booking).where(overlapping, holding)).all()
    if any(_is_patients(booking, user_id, patient_id) for booking in holders) and not any(
        _holds(booking, resource) for booking in holders
    ):
        raise PatientBusy()
    # Held by someone else (or released again since): the patient lost the race for this slot.
    raise SlotTaken()


def _is_patients(booking: Booking, user_id: int | None, patient_id: int | None) -> bool:
    return booking.patient_id == patient_id if patient_id is not None else booking.user_id == user_id


def _holds(booking: Booking, resource: availability.Resource) -> bool:
    """Is this booking one of the resource's (its doctor's, or its diagnostic's at its clinic)?"""
    if resource.doctor_id is not None:
        return booking.doctor_id == resource.doctor_id
    return (booking.diagnostic_id, booking.clinic_id) == (resource.diagnostic_id, resource.clinic.id)


def cancel(
    booking_id: int, *, user_id: int, reason: str | None = None, now: datetime | None = None
) -> Booking:
    """The patient cancels their own booked visit, unless it is inside CANCEL_CUTOFF."""
    now = now or clock.now()
    booking = _lock_owned(booking_id, user_id)
    _ensure_transition(booking, BookingStatus.CANCELLED)
    if not booking.can_cancel(now):
        raise CancelTooLate()
    _cancel(booking, Actor.PATIENT, str(user_id), reason)
    return booking


def cancel_by_staff(
    booking_id: int, *, actor_id: str, reason: str | None = None, actor: Actor = Actor.STAFF
) -> Booking:
    """Staff (or the system) cancel any booked visit, at any time; the patient is told."""
    _ensure_not_patient(actor)
    booking = _lock(booking_id)
    _ensure_transition(booking, BookingStatus.CANCELLED)
    _cancel(booking, actor, actor_id, reason)
    return booking


def reschedule(booking_id: int, *, user_id: int, starts_at: datetime, now: datetime | None = None) -> Booking:
    """The patient moves their booking: book the new slot, cancel the old one and link them, all or nothing."""
    now = now or clock.now()
    with db.session.begin_nested():
        old = _lock_owned(booking_id, user_id)
        _ensure_transition(old, BookingStatus.CANCELLED)
        if not old.can_move(now):
            raise CancelTooLate(_("It is too late to move this booking online. Please call the clinic."))
        return _move(old, starts_at, Actor.PATIENT, str(user_id), "rescheduled", now)


def reschedule_by_staff(booking_id: int, *, starts_at: datetime, actor_id: str, reason: str | None = None,
                        now: datetime | None = None) -> Booking:
    """Staff move a booked visit to another free time of the same doctor or test, at any time; the patient's message
    about the new time carries the reason."""
    now = now or clock.now()
    with db.session.begin_nested():
        old = _lock(booking_id)
        _ensure_transition(old, BookingStatus.CANCELLED)
        return _move(old, starts_at, Actor.STAFF, actor_id, reason, now)


def _move(old: Booking, starts_at: datetime, actor: Actor, actor_id: str, reason: str | None,
          now: datetime) -> Booking:
    """Book the new slot, cancel the old one and link them (inside the caller's savepoint)."""
    # Cancelling first frees the old slot, so the visit may move to an overlapping time. The
    # cancellation itself is not announced: the confirmation of the new time says it was moved.
    _mark_cancelled(old, actor, actor_id, reason)
    db.session.flush()
    new = book(
        user_id=old.user_id, patient_id=old.patient_id, clinic_id=old.clinic_id, starts_at=starts_at,
        doctor_id=old.doctor_id, diagnostic_id=old.diagnostic_id,
        patient=PatientDetails(
            old.patient_first_name, old.patient_last_name, old.patient_phone,
            old.patient_email, old.patient_message,
        ),
        actor=actor, actor_id=actor_id, now=now, _rescheduled_from=old,
    )
    _record(old, actor, "rescheduled", {"to_booking": new.id}, actor_id)
    return new


def change_status(
    booking_id: int,
    status: BookingStatus,
    *,
    actor: Actor,
    actor_id: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Staff or the system move a booking forward (arrived, fulfilled, noshow, cancelled); staff take a mark back
    (arrived → booked, no-show → booked or arrived) on the visit's own day only, saying why."""
    _ensure_not_patient(actor)
    if status is BookingStatus.CANCELLED:
        return cancel_by_staff(booking_id, actor=actor, actor_id=actor_id, reason=reason)
    now = now or clock.now()
    booking = _lock(booking_id)
    if booking.is_undo(status) and actor is Actor.STAFF:
        return _undo(booking, status, actor_id, reason, now)
    _ensure_transition(booking, status)
    _ensure_visit_time(booking, status, now)
    booking.status = status.value
    outbox.skip_pending([booking.id], _NOT_YET_SENT, f"booking {status.value}")
    _record(booking, actor, status.value, {"reason": reason} if reason else {}, actor_id)
    return booking


def _undo(booking: Booking, status: BookingStatus, actor_id: str | None, reason: str | None,
          now: datetime) -> Booking:
    """Take a mark back on the visit's day; a missed visit whose time was booked again since cannot hold it again."""
    if not booking.is_visit_day(now):
        raise IllegalTransition(_("A mark can be taken back only on the day of the visit."))
    if not (reason or "").strip():
        raise InvalidRequest(_("Say why the mark is taken back."), errors={"reason": [_("Required.")]})
    previous = booking.status
    booking.status = status.value
    booking.undone_at = now
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise SlotTaken(_("This time has been booked again since the visit was marked as missed.")) from None
    _record(booking, Actor.STAFF, "undone", {"from": previous, "to": status.value, "reason": reason.strip()}, actor_id)
    return booking


def set_note(booking_id: int, note: str | None, *, actor_id: str) -> Booking:
    """The front desk's note on a visit (empty: none). Staff-only: never sent, never logged; the audit trail says
    only that it changed."""
    booking = _lock(booking_id)
    booking.note = (note or "").strip() or None
    _record(booking, Actor.STAFF, "note_changed", {}, actor_id)
    return booking


def mark_missed(ended_before: datetime) -> list[int]:
    """The system marks every visit still booked that ended before `ended_before` missed, as `change_status` marks
    one (its messages not yet sent skipped, an audit event each), in three statements however many there are;
    returns their ids, ascending.

    A visit staff changed meanwhile is no longer booked by the time the UPDATE reads it again, and keeps their mark;
    one whose mark staff took back (`undone_at`: a late patient) is theirs to mark, never the night's.
    """
    marked = sorted(db.session.scalars(
        update(Booking)
        .where(Booking.status == BookingStatus.BOOKED.value, Booking.ends_at < ended_before,
               Booking.undone_at.is_(None))
        .values(status=BookingStatus.NOSHOW.value)
        .returning(Booking.id)
    ))
    if marked:
        outbox.skip_pending(marked, _NOT_YET_SENT, f"booking {BookingStatus.NOSHOW.value}")
        db.session.execute(_insert_event_statement(), [
            {"booking_id": booking_id, "actor": Actor.SYSTEM.value, "actor_id": None,
             "action": BookingStatus.NOSHOW.value, "details": {}}
            for booking_id in marked
        ])
    return marked


def confirm_attendance(booking_id: int, *, user_id: int) -> Booking:
    """The patient said they will come (reminder button); recorded once as an event."""
    booking = _lock_owned(booking_id, user_id)
    if booking.status != BookingStatus.BOOKED.value:
        raise IllegalTransition(_("This booking is no longer active."))
    already = db.session.scalar(
        select(BookingEvent.id).where(
            BookingEvent.booking_id == booking.id, BookingEvent.action == "attendance_confirmed"
        )
    )
    if already is None:
        _record(booking, Actor.PATIENT, "attendance_confirmed", {}, str(user_id))
        booking.confirmed_at = clock.now()
    return booking


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
class BookingDetails:
    """A booking as it is shown, its clinic and service taken from the catalog snapshot.

    Copied from the row before the commit expires it, so that the answer to a write needs no query after it.
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

    @property
    def service_name(self) -> str:
        """What the patient comes for, as `Booking.service_name` (the diagnostic's name from the catalog snapshot in the
        language rendered now: `diagnostic` is the language-free view `details` took)."""
        if self.doctor is not None:
            return self.doctor.full_name
        if self.diagnostic is None:
            return ""
        return catalog.current_catalog(request_language()).diagnostics[self.diagnostic.id].name

    def can_cancel(self, now: datetime) -> bool:
        """As `Booking.can_cancel`."""
        return patient_may_change(self.status, self.starts_at, now)

    def can_move(self, now: datetime) -> bool:
        """As `Booking.can_move`."""
        return patient_may_change(self.status, self.starts_at, now)


def details(booking: Booking) -> BookingDetails:
    """The booking as shown to its patient (no query: the row's loaded values and the catalog snapshot)."""
    snapshot = catalog.current_catalog()
    return BookingDetails(
        id=booking.id, status=booking.status, clinic=snapshot.clinics[booking.clinic_id],
        doctor=snapshot.doctors[booking.doctor_id] if booking.doctor_id is not None else None,
        diagnostic=snapshot.diagnostics[booking.diagnostic_id] if booking.diagnostic_id is not None else None,
        starts_at=booking.starts_at, ends_at=booking.ends_at, patient_first_name=booking.patient_first_name,
        patient_last_name=booking.patient_last_name, patient_phone=booking.patient_phone,
        patient_email=booking.patient_email, patient_message=booking.patient_message,
        cancel_reason=booking.cancel_reason, cancelled_by=booking.cancelled_by,
        rescheduled_from_id=booking.rescheduled_from_id, ical_sequence=booking.ical_sequence,
    )


def _lock_owned(booking_id: int, user_id: int) -> Booking:
    """Lock the patient's own booking for the rest of the transaction; others' do not exist for them."""
    booking = _lock(booking_id)
    if booking.user_id != user_id:
        raise BookingNotFound()
    return booking


def _lock(booking_id: int) -> Booking:
    """Lock any booking row for the rest of the transaction."""
    booking = db.session.scalar(
        select(Booking).where(Booking.id == booking_id).with_for_update().execution_options(populate_existing=True)
    )
    if booking is None:
        raise BookingNotFound()
    return booking


def _ensure_not_patient(actor: Actor) -> None:
    """Patients change their bookings only through cancel() and reschedule(), which check ownership."""
    if actor is Actor.PATIENT:
        raise ValueError("a patient's change must go through cancel() or reschedule()")


def _resource(clinic_id: int, doctor_id: int | None, diagnostic_id: int | None) -> availability.Resource:
    """What is booked, from the catalog snapshot (no query)."""
    snapshot = catalog.current_catalog()
    if doctor_id is not None:
        doctor = snapshot.doctors.get(doctor_id)
        if doctor is None:
            raise NotFound(_("Doctor not found."))
        if doctor.clinic.id != clinic_id:
            raise InvalidRequest(
                _("This doctor does not work at this clinic."),
                errors={"clinic_id": [_("The doctor works elsewhere.")]},
            )
        return availability.Resource(doctor.clinic, timedelta(minutes=doctor.appointment_minutes), doctor_id=doctor_id)
    diagnostic = snapshot.diagnostics.get(diagnostic_id)
    if diagnostic is None:
        raise NotFound(_("Diagnostic not found."))
    clinic = next((clinic for clinic in diagnostic.clinics if clinic.id == clinic_id), None)
    if clinic is None:
        raise InvalidRequest(
            _("This clinic does not offer this diagnostic."), errors={"clinic_id": [_("Not offered at this clinic.")]}
        )
    return availability.Resource(clinic, timedelta(minutes=diagnostic.duration_minutes), diagnostic_id=diagnostic_id)


def _by_idempotency_key(user_id: int, key: str) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.user_id == user_id, Booking.idempotency_key == key))


def _raise_booking_conflict(exc: IntegrityError | OperationalError) -> None:
    """Translate what stopped the insert into the domain error a patient understands."""
    if getattr(exc.orig, "pgcode", None) == DEADLOCK_DETECTED:
        # Two inserts for overlapping times can each wait on the other's exclusion check; PostgreSQL
        # aborts one of them (the other one wins the slot). For that patient it is a taken slot.
        raise SlotTaken() from None
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if constraint and constraint.startswith("fk_"):
        raise InvalidRequest(_("The booking refers to something that does not exist.")) from None
    raise exc


# Why a move the lifecycle allows is refused at this time (Booking.can_be_marked decides).
_TOO_EARLY = {
    BookingStatus.ARRIVED: _l("A patient can be marked as arrived only on the day of the visit."),
    BookingStatus.NOSHOW: _l("A visit can be marked as missed only once it was due to start."),
}


def _ensure_visit_time(booking: Booking, target: BookingStatus, now: datetime) -> None:
    """Staff mark a visit only when the booking says they may (after the lifecycle was checked)."""
    if not booking.can_be_marked(target, now):
        raise IllegalTransition(_TOO_EARLY.get(target))


def _same_request(earlier: Booking, request: tuple) -> Booking:
    """A repeated Idempotency-Key must carry the same booking request."""
    clinic_id, doctor_id, diagnostic_id, starts_at = request
    same = (earlier.clinic_id, earlier.doctor_id, earlier.diagnostic_id) == (clinic_id, doctor_id, diagnostic_id)
    if not same or earlier.starts_at.astimezone(timezone.utc) != starts_at.astimezone(timezone.utc):
        raise InvalidRequest(
            _("This Idempotency-Key was already used for a different booking."),
            errors={"Idempotency-Key": [_("Use a new key for a new booking.")]},
        )
    return earlier


# How a refused status change is explained, to the desk and to patients: what the visit is now…
_STATE = {
    BookingStatus.BOOKED: lazy_pgettext("This visit is (already) …", "still booked"),
    BookingStatus.ARRIVED: lazy_pgettext("This visit is (already) …", "marked as arrived"),
    BookingStatus.FULFILLED: lazy_pgettext("This visit is (already) …", "completed"),
    BookingStatus.NOSHOW: lazy_pgettext("This visit is (already) …", "marked as missed"),
}
# … and what it can therefore not be.
_CHANGE = {
    BookingStatus.BOOKED: lazy_pgettext("…, so it cannot …", "be booked again"),
    BookingStatus.ARRIVED: lazy_pgettext("…, so it cannot …", "be marked as arrived"),
    BookingStatus.FULFILLED: lazy_pgettext("…, so it cannot …", "be marked as completed"),
    BookingStatus.NOSHOW: lazy_pgettext("…, so it cannot …", "be marked as missed"),
    BookingStatus.CANCELLED: lazy_pgettext("…, so it cannot …", "be cancelled"),
}


def transition_refusal(booking: Booking, target: BookingStatus) -> str | None:
    """Why the lifecycle (Booking.can_become: forward only) refuses this change, in words; None when it allows it."""
    if booking.can_become(target):
        return None
    current = BookingStatus(booking.status)
    if current is BookingStatus.CANCELLED:
        return _("This booking is already cancelled.")
    if current is target:
        return _("This visit is already {state}.").format(state=_STATE[current])
    if current is BookingStatus.BOOKED and target is BookingStatus.FULFILLED:
        return _("This visit is still booked: mark the patient as arrived before completing it.")
    return _("This visit is {state}, so it cannot {change}.").format(state=_STATE[current], change=_CHANGE[target])


def _ensure_transition(booking: Booking, target: BookingStatus) -> None:
    refusal = transition_refusal(booking, target)
    if refusal is not None:
        raise IllegalTransition(refusal)


def _cancel(booking: Booking, actor: Actor, actor_id: str | None, reason: str | None) -> None:
    """Cancel and tell the patient."""
    _mark_cancelled(booking, actor, actor_id, reason)
    outbox.queue_message(
        MessageKind.CANCELLATION, booking_id=booking.id, chat_id=booking.user_id,
        dedupe_key=f"booking:{booking.id}:cancellation",
    )


def _mark_cancelled(booking: Booking, actor: Actor, actor_id: str | None, reason: str | None) -> None:
    booking.status = BookingStatus.CANCELLED.value
    booking.cancel_reason = reason
    booking.cancelled_by = actor.value
    booking.ical_sequence += 1  # calendars take the cancelled event as newer than the booked one
    outbox.skip_pending([booking.id], _NOT_YET_SENT, "booking cancelled")
    _record(booking, actor, "cancelled", {"reason": reason} if reason else {}, actor_id)


def _record(
    booking: Booking, actor: Actor, action: str, details: dict[str, Any], actor_id: str | None = None
) -> None:
    """Append the audit event (a plain INSERT: nothing reads the row back in this transaction)."""
    if actor_id is None and actor is Actor.PATIENT:
        actor_id = str(booking.user_id)
    db.session.execute(_insert_event_statement(), {
        "booking_id": booking.id, "actor": actor.value, "actor_id": actor_id, "action": action, "details": details,
    })


@cache
def _insert_event_statement() -> Insert:
    return insert(BookingEvent.__table__)


def _booking_messages(
    starts_at: datetime, now: datetime, *, rescheduled_from: Booking | None
) -> list[tuple[MessageKind, str, dict[str, Any], datetime | None]]:
    """The confirmation (due at once: None), and one reminder per configured offset that is still ahead, as
    (kind, the dedupe key after "booking:<id>", payload, due_at)."""
    payload = {"rescheduled_from": rescheduled_from.id} if rescheduled_from else {}
    messages: list[tuple[MessageKind, str, dict[str, Any], datetime | None]] = [
        (MessageKind.CONFIRMATION, ":confirmation", payload, None),
    ]
    for offset in current_settings().REMINDER_OFFSETS:
        due_at = starts_at - offset
        if due_at > now:
            label = reminder_label(offset)
            messages.append((MessageKind.REMINDER, f":reminder:{label}", {"offset": label}, due_at))
    return messages

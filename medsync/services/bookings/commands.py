"""Booking use cases: book, cancel, reschedule, status changes. Each writes its audit event (`audit.py`) and its
outbox rows; a new booking is written by one statement (`statement.py`)."""
from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from medsync import clock, phones
from medsync.errors import (
    BookingNotFound, CancelTooLate, IllegalTransition, InvalidRequest, PatientBusy, SlotTaken,
    SlotUnavailable,
)
from medsync.extensions import db
from medsync.models import PATIENT_FIELD_LIMITS, Actor, Booking, BookingEvent, BookingStatus, MessageKind
from medsync.models.booking import ACTIVE_SQL
from medsync.services import availability, catalog, outbox, reminders, users
from medsync.services.bookings import audit, statement
from medsync.services.bookings.queries import BookingDetails, details

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
) -> BookingDetails:
    """Book a free slot for the user; raises SlotTaken, PatientBusy, SlotUnavailable or InvalidRequest. The answer is
    the booking as written (or as found, for a repeated Idempotency-Key): a copy, not the model (`get_booking`).

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
    resource = resource_of(clinic_id, doctor_id, diagnostic_id)
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
        return details(_same_request(earlier, request))
    booking = _insert_booking(
        user_id=user_id, patient_id=patient_id, clinic=resource.clinic, slot=slot,
        patient=patient, doctor_id=doctor_id,
        diagnostic_id=diagnostic_id, idempotency_key=idempotency_key, rescheduled_from=_rescheduled_from,
        actor=actor, actor_id=actor_id, now=now, profile=profile,
    )
    if booking is not None:
        return booking
    if idempotency_key is not None and user_id is not None:
        earlier = _by_idempotency_key(user_id, idempotency_key)
        if earlier is not None:  # a repeat of a request that was booked (its slot is taken by itself)
            return details(_same_request(earlier, request))
    availability.check_slot(resource, starts_at, now=now)  # the doctor is away, or the slot is held
    _refusal(user_id, patient_id, resource, slot)


def _insert_booking(
    *,
    user_id: int | None,
    patient_id: int | None,
    clinic: catalog.ClinicInfo,
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
) -> BookingDetails | None:
    """Write the booking, its audit event and its messages in one statement (`statement.write`), unless the clinic's
    schedule changed since `clinic` (the snapshot the slot was checked on) was read, the doctor is away that day or a
    unique or exclusion constraint refuses the booking: then nothing is written (None)."""
    values = {
        "user_id": user_id, "patient_id": patient_id, "clinic_id": clinic.id, "doctor_id": doctor_id,
        "diagnostic_id": diagnostic_id, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "status": BookingStatus.BOOKED.value,
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
    event = audit.event(patient_id=user_id, actor=actor, action="booked", details=event_details, actor_id=actor_id)
    queued_at = clock.now()  # as outbox.queue_messages: the confirmation is due at once
    try:
        return statement.write(
            values, day=slot.starts_at.date(), event=event, queued_at=queued_at, profile=profile,
            patient_phone=phones.e164_or_as_given(patient.phone, clinic.country),
            schedule_version=clinic.schedule_version,
            messages=_booking_messages(slot.starts_at, now, queued_at, rescheduled_from=rescheduled_from),
        )
    except (IntegrityError, OperationalError) as exc:
        _raise_booking_conflict(exc)
        raise  # not reached: the line above always raises


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


def reschedule(booking_id: int, *, user_id: int, starts_at: datetime, now: datetime | None = None) -> BookingDetails:
    """The patient moves their booking: book the new slot, cancel the old one and link them, all or nothing."""
    now = now or clock.now()
    with db.session.begin_nested():
        old = _lock_owned(booking_id, user_id)
        _ensure_transition(old, BookingStatus.CANCELLED)
        if not old.can_move(now):
            raise CancelTooLate(_("It is too late to move this booking online. Please call the clinic."))
        return _move(old, starts_at, Actor.PATIENT, str(user_id), "rescheduled", now)


def reschedule_by_staff(booking_id: int, *, starts_at: datetime, actor_id: str, reason: str | None = None,
                        now: datetime | None = None) -> BookingDetails:
    """Staff move a booked visit to another free time of the same doctor or test, at any time; the patient's message
    about the new time carries the reason."""
    now = now or clock.now()
    with db.session.begin_nested():
        old = _lock(booking_id)
        _ensure_transition(old, BookingStatus.CANCELLED)
        return _move(old, starts_at, Actor.STAFF, actor_id, reason, now)


def _move(old: Booking, starts_at: datetime, actor: Actor, actor_id: str, reason: str | None,
          now: datetime) -> BookingDetails:
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
    audit.record(old, actor, "rescheduled", {"to_booking": new.id}, actor_id)
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
    audit.record(booking, actor, status.value, {"reason": reason} if reason else {}, actor_id)
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
    audit.record(booking, Actor.STAFF, "undone", {"from": previous, "to": status.value, "reason": reason.strip()},
                 actor_id)
    return booking


def set_note(booking_id: int, note: str | None, *, actor_id: str) -> Booking:
    """The front desk's note on a visit (empty: none). Staff-only: never sent, never logged; the audit trail says
    only that it changed."""
    booking = _lock(booking_id)
    booking.note = (note or "").strip() or None
    audit.record(booking, Actor.STAFF, "note_changed", {}, actor_id)
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
        audit.record_each(marked, audit.event(actor=Actor.SYSTEM, action=BookingStatus.NOSHOW.value))
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
        audit.record(booking, Actor.PATIENT, "attendance_confirmed", {}, str(user_id))
        booking.confirmed_at = clock.now()
    return booking


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


def resource_of(clinic_id: int, doctor_id: int | None, diagnostic_id: int | None) -> availability.Resource:
    """What is booked (what `availability.check_slot` checks), from the catalog snapshot (no query); a doctor or test
    the clinic does not offer is refused by the one check, `catalog.offer_at`."""
    offer = catalog.offer_at(clinic_id, doctor_id=doctor_id, diagnostic_id=diagnostic_id)
    return availability.Resource(offer.clinic, timedelta(minutes=offer.minutes), doctor_id=doctor_id,
                                 diagnostic_id=diagnostic_id if doctor_id is None else None)


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
    if booking.user_id is None:
        return  # nobody to tell: the patient erased their data
    outbox.queue_message(
        MessageKind.CANCELLATION, booking_id=booking.id, chat_id=booking.user_id,
        dedupe_key=outbox.dedupe_key("booking", booking.id, MessageKind.CANCELLATION.value),
    )


def _mark_cancelled(booking: Booking, actor: Actor, actor_id: str | None, reason: str | None) -> None:
    booking.status = BookingStatus.CANCELLED.value
    booking.cancel_reason = reason
    booking.cancelled_by = actor.value
    booking.ical_sequence += 1  # calendars take the cancelled event as newer than the booked one
    outbox.skip_pending([booking.id], _NOT_YET_SENT, "booking cancelled")
    audit.record(booking, actor, "cancelled", {"reason": reason} if reason else {}, actor_id)


def queue_reminders(booking_ids: Collection[int], *, now: datetime | None = None) -> list[int]:
    """The scheduled reminders still ahead of these booked visits, written now for their Telegram chat (a patient
    booked by phone who has just linked their Telegram: the desk told them the rest). Returns the new outbox ids."""
    now = now or clock.now()
    visits = db.session.scalars(select(Booking).where(
        Booking.id.in_(list(booking_ids)), Booking.status == BookingStatus.BOOKED.value, Booking.user_id.is_not(None),
    ).order_by(Booking.starts_at, Booking.id))
    return outbox.queue_messages([
        outbox.Message(message.kind, booking.user_id,
                       outbox.dedupe_key("booking", booking.id, message.kind.value, message.label),
                       booking_id=booking.id, payload=message.payload, due_at=message.due_at)
        for booking in visits
        for message in _booking_messages(booking.starts_at, now, now, rescheduled_from=None)
        if message.kind is MessageKind.REMINDER
    ])


def _booking_messages(
    starts_at: datetime, now: datetime, queued_at: datetime, *, rescheduled_from: Booking | None
) -> list[statement.BookingMessage]:
    """The confirmation (due at once), and the reminders still ahead (`reminders.scheduled`)."""
    payload = {"rescheduled_from": rescheduled_from.id} if rescheduled_from else {}
    confirmation = statement.BookingMessage(MessageKind.CONFIRMATION, None, payload, outbox.due_time(None, queued_at))
    return [confirmation, *(statement.BookingMessage(MessageKind.REMINDER, reminder.label, reminder.payload,
                                                     reminder.due_at)
                            for reminder in reminders.scheduled(starts_at, now))]


def cancel_by_clinic(
    booking_ids: Collection[int], *, reason: str | None, actor_id: str | None, change: dict[str, Any],
) -> list[int]:
    """The clinic cancels these visits, still booked, whose time its schedule no longer has (an absence, a closure,
    other hours): as `cancel_by_staff` cancels one (who and why on the row, its messages not yet sent skipped, an
    audit event, the patient told once), in four statements however many there are, so that a doctor's absence over
    a few hundred visits commits at once. Each patient's message carries `change` (what happened, for its text and
    its offers of other times). Returns the ids cancelled, ascending; a visit changed meanwhile keeps its state.
    """
    cancelled = sorted(db.session.execute(
        update(Booking)
        .where(Booking.id.in_(list(booking_ids)), Booking.status == BookingStatus.BOOKED.value)
        .values(status=BookingStatus.CANCELLED.value, cancel_reason=reason, cancelled_by=Actor.STAFF.value,
                ical_sequence=Booking.ical_sequence + 1)
        .returning(Booking.id, Booking.user_id)
    ).tuples())
    if not cancelled:
        return []
    ids = [booking_id for booking_id, _ in cancelled]
    outbox.skip_pending(ids, _NOT_YET_SENT, "booking cancelled")
    details = {"schedule_change": change, **({"reason": reason} if reason else {})}
    audit.record_each(ids, audit.event(actor=Actor.STAFF, action="cancelled", details=details, actor_id=actor_id))
    outbox.queue_messages([
        outbox.Message(MessageKind.CANCELLATION, user_id,
                       outbox.dedupe_key("booking", booking_id, MessageKind.CANCELLATION.value),
                       booking_id=booking_id, payload={"schedule_change": change})
        for booking_id, user_id in cancelled
    ])
    return ids

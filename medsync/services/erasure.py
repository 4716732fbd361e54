"""Erasing a patient's data on their request (GDPR Art. 17): what identifies them goes, what the clinic must keep stays
anonymised.

Their upcoming visits are cancelled (each with its audit event, from which the clinic's staff group hears of it, as of
any cancellation); their result files and rows and their data exports are deleted; their name, phone, e-mail, note and
Telegram id leave every booking, and their Telegram profile row goes (so a later /start meets a new user); messages
to their chat, pending or sent, are deleted; audit events keep ids (booking, result, staff) but lose the patient's
Telegram id and their own words (a cancel reason); their ratings lose the author and the comment. A set of statements
whatever the number of bookings, and idempotent: a second request finds nothing and changes nothing. Files and Redis
keys go once the transaction commits (a rollback leaves both in place).

A patient without Telegram (booked by the front desk) has no chat to ask from: a clinic admin erases them on request
(`erase_desk_patient`), through the same statements, audited.
"""
from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import redis
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, case, delete, exists, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from medsync import clock
from medsync.config import current_settings
from medsync.errors import DomainError
from medsync.extensions import db, redis_client
from medsync.i18n import N_
from medsync.models import (
    Actor, Booking, BookingEvent, BookingStatus, DataExport, DoctorRating, MessageKind, OutboxMessage, Patient, Result,
    StaffMember, User,
)
from medsync.models.booking import is_booked
from medsync.models.outbox import PATIENT_KINDS
from medsync.services import after_commit, audit, ratelimit, result_files, users

log = logging.getLogger(__name__)

_REDIS_KEYS_TO_DELETE = "privacy: redis keys to delete"
# An emptied patient row's phone: this and its id, unique as patients without Telegram are one per phone.
ERASED_PHONE = "erased:"
# Why the clinic cancelled an erased patient's visits ahead: stored as written, read in the reader's language.
ERASED_ON_REQUEST = N_("The patient's data was erased at their request")
# What reaches a patient's chat: every message kind about them, and the bot's replies queued for later.
_THEIR_KINDS = tuple(kind.value for kind in (*PATIENT_KINDS, MessageKind.REPLY))


@dataclass(frozen=True)
class Erasure:
    """What one erasure did, in counts only (it is logged)."""

    cancelled: int
    anonymised: int
    results_deleted: int

    @property
    def anything(self) -> bool:
        return bool(self.cancelled or self.anonymised or self.results_deleted)


@dataclass(frozen=True)
class DeskErasure(Erasure):
    """What an admin's erasure of a patient without Telegram did (or would do): the visits it cancelled, by id."""

    cancelled_ids: list[int]
    patient_erased: bool  # the patient row still held their details

    @property
    def anything(self) -> bool:
        return super().anything or self.patient_erased


class PatientHasTelegram(DomainError):
    default_message = _l("This patient has a Telegram account: ask them to delete their data themselves, in the bot "
                         "(/mydata) or the Mini App.")


class PatientOfOtherClinics(DomainError):
    default_message = _l("This patient also has visits at clinics you do not administer: an admin of every one of "
                         "those clinics must erase them.")


def notice(erasure: Erasure) -> str:
    """What the patient is told once their data is erased: what was done, what was kept and why."""
    parts = [_("Your data has been deleted.")]
    if erasure.cancelled:
        parts.append(ngettext("%(num)d upcoming visit was cancelled; the clinic has been told.",
                              "%(num)d upcoming visits were cancelled; the clinic has been told.", erasure.cancelled))
    parts.append(_(
        "What we kept, and why: your past visits stay in the clinics' records without your name, phone, e-mail or "
        "Telegram account, because clinics must keep a record of the care they gave and of their accounts. Nobody "
        "can link them to you any more. If you write to this bot again, you start as a new user."))
    return "\n\n".join(parts)


def erase_patient(telegram_id: int, *, now: datetime | None = None) -> Erasure:
    """Erase everything that identifies this Telegram user as a patient; flushes, the caller commits."""
    now = now or clock.now()
    # The profile row's lock orders this against the user's own booking, which upserts the same row first.
    user = db.session.get(User, telegram_id, with_for_update=True)
    theirs = Booking.user_id == telegram_id
    cancelled = _cancel_upcoming(theirs, now, actor=Actor.PATIENT, actor_id=None, reason=None)
    booking_ids = select(Booking.id).where(theirs).scalar_subquery()
    results_deleted = _delete_results(booking_ids)
    _forget_their_words_in_the_audit(booking_ids)
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id, OutboxMessage.kind.in_(_THEIR_KINDS))
    )
    anonymised = _anonymise_bookings(theirs)
    _anonymise_patient(Patient.user_id == telegram_id)
    db.session.execute(update(DoctorRating).where(DoctorRating.user_id == telegram_id).values(user_id=None,
                                                                                               comment=None))
    _delete_exports(telegram_id)
    if user is not None and not _is_staff(telegram_id):
        db.session.delete(user)  # a staff member's row stays: their account needs it
    for key in [*users.redis_keys_of(telegram_id), ratelimit.chat_key(telegram_id)]:
        after_commit.add(db.session(), _REDIS_KEYS_TO_DELETE, key)
    erasure = Erasure(cancelled=len(cancelled), anonymised=anonymised, results_deleted=results_deleted)
    log.info("erased a patient's data: %d visits cancelled, %d bookings anonymised, %d results deleted",
             erasure.cancelled, erasure.anonymised, erasure.results_deleted)
    return erasure


def erase_desk_patient(patient_id: int, *, actor_id: str, within: Collection[int] | None, dry_run: bool = False,
                       now: datetime | None = None) -> DeskErasure:
    """A clinic admin erases, on the patient's request, a patient without Telegram (booked by the front desk): what
    `erase_patient` does to a Telegram user's data, for this patient's bookings, their visits ahead cancelled by the
    clinic with a reason (nobody to message). Refused for a patient with Telegram (they erase it themselves, the
    account and chat with it) and for one with visits at clinics beyond `within` (None: every clinic): those records
    are another clinic's. Audited once per clinic (who, when, the patient's id, counts). Idempotent: a second request
    finds nothing personal left and changes nothing. With `dry_run`, what it would do, and nothing written. Flushes,
    the caller commits; the caller has checked the patient is of its clinics."""
    now = now or clock.now()
    # The lock orders this against a desk booking them and against a second erasure, which then reads the row as
    # the first left it (populate_existing: not as this session loaded it before the lock).
    patient = db.session.get(Patient, patient_id, with_for_update=True, populate_existing=True)
    if patient.user_id is not None:
        raise PatientHasTelegram()
    clinic_ids = set(db.session.scalars(select(Booking.clinic_id).where(Booking.patient_id == patient_id).distinct()))
    if within is not None and not clinic_ids <= set(within):
        raise PatientOfOtherClinics()
    with db.session.begin_nested() as preview:  # a dry run is the erase itself, rolled back: exactly what it would do
        done = _erase_desk_patient(patient, actor_id=actor_id, now=now)
        if dry_run:
            preview.rollback()
            return done
    if done.anything:
        audit.record_all(
            audit.new_entry("patient.erase", actor_id=actor_id, object_type="patient", object_id=patient_id,
                            clinic_id=clinic_id, after={"cancelled": done.cancelled_ids, "anonymised": done.anonymised,
                                                        "results_deleted": done.results_deleted}, now=now)
            for clinic_id in sorted(clinic_ids)
        )
        log.info("erased a front-desk patient's data on request: patient %s, %d visits cancelled, %d bookings "
                 "anonymised, %d results deleted", patient_id, done.cancelled, done.anonymised, done.results_deleted)
    return done


def _erase_desk_patient(patient: Patient, *, actor_id: str, now: datetime) -> DeskErasure:
    theirs = and_(Booking.patient_id == patient.id, _still_personal())  # still personal: a repeat finds nothing
    cancelled = _cancel_upcoming(theirs, now, actor=Actor.STAFF, actor_id=actor_id, reason=ERASED_ON_REQUEST)
    booking_ids = select(Booking.id).where(Booking.patient_id == patient.id).scalar_subquery()
    results_deleted = _delete_results(booking_ids)
    _forget_their_words_in_the_audit(booking_ids)
    # Without Telegram nothing reaches them, but a row may wait from before (a chat they had, or a staff resend).
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.booking_id.in_(booking_ids), OutboxMessage.kind.in_(_THEIR_KINDS))
    )
    anonymised = _anonymise_bookings(theirs)
    personal = not patient.phone.startswith(ERASED_PHONE)
    _anonymise_patient(Patient.id == patient.id)
    return DeskErasure(cancelled=len(cancelled), anonymised=anonymised, results_deleted=results_deleted,
                       cancelled_ids=cancelled, patient_erased=personal)


def anonymise_bookings_before(ended_before: datetime, *, limit: int) -> int:
    """Retention: strip the personal fields of at most `limit` bookings that ended before `ended_before`; how many."""
    oldest = (select(Booking.id).where(Booking.ends_at < ended_before, _still_personal())
              .order_by(Booking.ends_at).limit(limit).scalar_subquery())
    return _anonymise_bookings(Booking.id.in_(oldest))


def anonymise_phone_patients_before(last_visit_before: datetime, *, limit: int) -> int:
    """Retention: strip the details of at most `limit` patients without Telegram (booked by phone) whose visits all
    ended before `last_visit_before` (or who have none and were added before it), as `_anonymise_patient` does for
    an erased user; how many. Their bookings stay, owned by the emptied row (anonymised by the bookings' retention)."""
    oldest = (
        select(Patient.id)
        .where(Patient.user_id.is_(None), Patient.created_at < last_visit_before, _patient_still_personal(),
               ~exists().where(Booking.patient_id == Patient.id, Booking.ends_at >= last_visit_before))
        .order_by(Patient.id).limit(limit).scalar_subquery()
    )
    return db.session.execute(
        update(Patient).where(Patient.id.in_(oldest))
        .values(first_name="", last_name="", email=None, phone=func.concat(ERASED_PHONE, Patient.id))
        .execution_options(synchronize_session=False)
    ).rowcount


def delete_results_before(created_before: datetime, *, limit: int) -> int:
    """Retention: delete at most `limit` results stored before `created_before`, files and rows; how many."""
    oldest = (select(Result.id).where(Result.created_at < created_before).order_by(Result.created_at)
              .limit(limit).scalar_subquery())
    return _delete_results_where(Result.id.in_(oldest))


def register_hooks(hooks: after_commit.Hooks) -> None:
    """An erased user's Redis keys go once the transaction that erased them commits."""
    hooks.on("after_commit", _delete_redis_keys)


def _cancel_upcoming(theirs: object, now: datetime, *, actor: Actor, actor_id: str | None,
                     reason: str | None) -> list[int]:
    """Cancel their visits still booked and not begun (as the patient, or by the clinic on their request) in one
    statement; each gets its audit event. Returns their ids."""
    cancelled = db.session.scalars(
        update(Booking)
        .where(theirs, is_booked(Booking.status), Booking.starts_at > now)
        .values(status=BookingStatus.CANCELLED.value, cancelled_by=actor.value, cancel_reason=reason,
                ical_sequence=Booking.ical_sequence + 1)
        .returning(Booking.id)
    ).all()
    if cancelled:
        # Their reminders and confirmations go with every other message to them (the callers delete them).
        db.session.execute(BookingEvent.__table__.insert(), [
            {"booking_id": booking_id, "actor": actor.value, "actor_id": actor_id, "action": "cancelled",
             "details": {"erased": True}}
            for booking_id in cancelled
        ])
    return list(cancelled)


def _delete_results(booking_ids: object) -> int:
    return _delete_results_where(Result.booking_id.in_(booking_ids))


def _delete_results_where(criterion: object) -> int:
    """Delete these results' rows (their messages go with them) and, after the commit, their files."""
    paths = db.session.scalars(delete(Result).where(criterion).returning(Result.storage_path)).all()
    root = Path(current_settings().RESULTS_DIR)
    for path in paths:
        result_files.delete_after_commit(root / path)
    return len(paths)


def _delete_exports(telegram_id: int) -> None:
    paths = db.session.scalars(
        delete(DataExport).where(DataExport.user_id == telegram_id).returning(DataExport.storage_path)
    ).all()
    root = Path(current_settings().RESULTS_DIR)
    for path in paths:
        if path is not None:
            result_files.delete_after_commit(root / path)


def _forget_their_words_in_the_audit(booking_ids: object) -> None:
    """Audit events keep ids: the patient's Telegram id and what they wrote (a cancel reason) go."""
    db.session.execute(
        update(BookingEvent)
        .where(BookingEvent.booking_id.in_(booking_ids), BookingEvent.actor == Actor.PATIENT.value)
        .values(actor_id=None, details=BookingEvent.details.op("-")(literal_column("'reason'")))
    )


def _anonymise_bookings(criterion: object) -> int:
    """Strip the personal fields of these bookings (kept for the clinic's accounting and statistics)."""
    return db.session.execute(
        update(Booking).where(criterion).values(
            user_id=None, patient_first_name="", patient_last_name="", patient_phone="", patient_email=None,
            patient_message=None, idempotency_key=None, note=None,
            # The patient's own reason is theirs; a clinic's reason ("doctor ill") is the clinic's record.
            cancel_reason=case((Booking.cancelled_by == Actor.PATIENT.value, None), else_=Booking.cancel_reason),
        ).execution_options(synchronize_session=False)
    ).rowcount


def _anonymise_patient(criterion: object) -> None:
    """Their patient row (the owner of their bookings, kept with them) keeps nothing of them: no name, phone, e-mail or
    Telegram account; its phone a placeholder unique to the row, as patients without Telegram are one per phone."""
    db.session.execute(update(Patient).where(criterion).values(
        user_id=None, first_name="", last_name="", email=None, phone=func.concat(ERASED_PHONE, Patient.id),
    ))


def _still_personal():  # noqa: ANN202
    """A booking that still holds something of its patient."""
    return or_(Booking.user_id.is_not(None), Booking.patient_phone != "", Booking.patient_first_name != "")


def _patient_still_personal():  # noqa: ANN202
    """A patient row that still holds something of its person."""
    return or_(Patient.first_name != "", Patient.last_name != "", Patient.email.is_not(None),
               ~Patient.phone.startswith(ERASED_PHONE, autoescape=True))


def _is_staff(telegram_id: int) -> bool:
    return db.session.scalar(select(exists().where(StaffMember.telegram_id == telegram_id)))


def _delete_redis_keys(session: Session) -> None:
    keys = after_commit.take(session, _REDIS_KEYS_TO_DELETE)
    if keys:
        try:
            redis_client.delete(*keys)
        except redis.RedisError:
            log.warning("an erased user's Redis keys could not be deleted, Redis is unavailable; they expire within "
                        "a day")

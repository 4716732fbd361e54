"""A new booking in one statement: the patient's user row and patient, the booking, its audit event and its messages.

Built from SQLAlchemy Core over the mapped tables, compiled once, and prepared once per connection
(`medsync.prepared`): one round trip, planned once. The INSERT ... SELECT writes no row when the doctor is away
that day, or when the clinic's schedule changed since the slot was checked (its row, locked as the foreign key
locks it, at the schedule version of the catalog snapshot: a schedule change holds it and bumps it); without a conflict target DO NOTHING covers every unique and exclusion constraint: a lost race waits
for the winner and then writes nothing, instead of aborting the transaction. The audit event and the messages
are written from the booking's row, so they exist exactly when it does. The user row is upserted as
`users.write_profile` writes it: the booking's foreign key is checked at the end of the statement, when the row
exists. A Telegram user's own patient is made (or found) in the same statement when the booking names none
(`patient_id` NULL: the front desk names theirs). The booking comes back as the row the statement returns
(RETURNING), copied into the answer (`queries.BookingDetails`): no SELECT after it, and no ORM object — loading the
row through the ORM cost a third of the statement's Python again (bench/README). A booking without a Telegram
account gets no messages.

What is written is decided elsewhere: the event's values by `audit.event`, the messages' keys by
`outbox.dedupe_key`, which reminders a booking gets by `medsync.services.reminders`.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, DateTime, Integer, Text, bindparam, cast, column, func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.sql.selectable import CTE

from medsync.extensions import db
from medsync.models import (
    Booking, BookingEvent, Clinic, DoctorAbsence, MessageKind, MessageStatus, OutboxMessage, Patient,
)
from medsync.prepared import PreparedStatement
from medsync.services import changes, outbox, users
from medsync.services.bookings.queries import BookingDetails, details

# The booking's columns the statement writes (the rest are the table's defaults).
WRITTEN = (
    "patient_id", "user_id", "clinic_id", "doctor_id", "diagnostic_id", "starts_at", "ends_at", "status", "patient_first_name",
    "patient_last_name", "patient_phone", "patient_email", "patient_message", "idempotency_key",
    "rescheduled_from_id", "ical_uid", "ical_sequence",
)
_EVENT = ("actor", "actor_id", "action", "details")
_MESSAGE_IDS = "message_ids"
_MESSAGE_DUES = "message_dues"


@dataclass(frozen=True)
class BookingMessage:
    """A message the new booking gets: a confirmation or a reminder (`label`: which one; its key's last part)."""

    kind: MessageKind
    label: str | None
    payload: dict[str, Any]
    due_at: datetime


def write(
    values: dict[str, Any], *, day: date, event: dict[str, Any], messages: Sequence[BookingMessage],
    queued_at: datetime, profile: users.Profile | None, patient_phone: str, schedule_version: int,
) -> BookingDetails | None:
    """Write the booking (`values`: every column of WRITTEN), its audit event and its messages, and the patient's
    `profile` when given (and the user's patient with `patient_phone`, unless `values` name the patient), unless the
    clinic's schedule is no longer at `schedule_version` (the one the slot was checked against), the doctor is away
    on `day` or a unique or exclusion constraint refuses the booking: then no booking, event or message is written
    (None). Raises IntegrityError or OperationalError for what the statement does not absorb (a deadlock, a missing
    catalog row)."""
    parameters = {
        **values, "day": day, "schedule_version": schedule_version, **{f"event_{name}": value for name, value in event.items()},
        "event_details": json.dumps(event["details"]),  # prepared: values go as they are (prepared.py)
        "kinds": [message.kind.value for message in messages], "labels": [message.label for message in messages],
        "payloads": [json.dumps(message.payload) for message in messages],
        "dues": [message.due_at for message in messages], "patient_phone_e164": patient_phone,
    }
    if profile is not None:
        parameters.update(profile.values("profile_"))
    try:
        written = _statement(profile is not None).execute(db.session, parameters).one_or_none()
    finally:
        if profile is not None:
            users.profile_written(profile.telegram_id)
    if written is None:
        return None
    outbox.dispatch_due(zip(written.message_ids, written.message_dues), queued_at)
    changes.note_booking_written(db.session(), written)  # only this doctor's/test's and patient's free slots
    return details(written)


@cache
def _statement(with_profile: bool) -> PreparedStatement:
    """The statement, built and compiled once per process (with the patient's user row, or without)."""
    booked = _booked()
    queued = _queued(booked)
    query = select(
        booked,
        func.array(select(queued.c.id).order_by(queued.c.id).scalar_subquery()).label(_MESSAGE_IDS),
        func.array(select(queued.c.due_at).order_by(queued.c.id).scalar_subquery()).label(_MESSAGE_DUES),
    ).add_cte(_audited(booked))
    if with_profile:
        query = query.add_cte(users.upsert().cte("patient"))
    return PreparedStatement.of_query("medsync_book_with_profile" if with_profile else "medsync_book", query)


def _patient() -> CTE:
    """The Telegram user's own patient, made at their first booking from its details (found at the next ones), when
    the booking names no patient; its id comes back."""
    patients = Patient.__table__
    user_id = bindparam("user_id", type_=Booking.__table__.c.user_id.type)
    bookings = Booking.__table__
    row = select(
        user_id, *(bindparam(name, type_=bookings.c[name].type) for name in ("patient_first_name", "patient_last_name")),
        bindparam("patient_phone_e164", type_=Text()), bindparam("patient_email", type_=bookings.c.patient_email.type),
    ).where(bindparam("patient_id", type_=Integer()).is_(None))
    upsert = insert(patients).from_select(("user_id", "first_name", "last_name", "phone", "email"), row,
                                          include_defaults=False)
    # DO UPDATE (to the same value), not DO NOTHING: the row comes back even when it was there, or when a racing
    # first booking of the same user made it a moment ago.
    return upsert.on_conflict_do_update(
        index_elements=[patients.c.user_id], set_={"user_id": upsert.excluded.user_id}
    ).returning(patients.c.id).cte("patient_row")


def _booked() -> CTE:
    """The booking, unless the clinic's schedule changed since it was checked, the doctor is away that day or a
    constraint refuses it; its whole row comes back."""
    bookings, absences, clinics = Booking.__table__, DoctorAbsence.__table__, Clinic.__table__
    day = bindparam("day", type_=Date())
    away = select(absences.c.id).where(
        absences.c.doctor_id == bindparam("doctor_id"), absences.c.first_day <= day, absences.c.last_day >= day
    ).exists()
    # The clinic's row, locked as its foreign key locks it (the lock is taken here, before the row is written), at
    # the schedule version the slot was checked against: a schedule change holding the row (FOR UPDATE) makes this
    # wait, and once it commits the row is read again at its new version and matches no more (no booking, 409).
    same_schedule = select(clinics.c.id).where(
        clinics.c.id == bindparam("clinic_id"),
        clinics.c.schedule_version == bindparam("schedule_version", type_=Integer()),
    ).with_for_update(key_share=True).exists()
    patient = _patient()
    patient_id = func.coalesce(bindparam("patient_id", type_=Integer()), select(patient.c.id).scalar_subquery())
    row = select(*(patient_id if name == "patient_id" else bindparam(name, type_=bookings.c[name].type)
                   for name in WRITTEN)).where(same_schedule, ~away)
    return (
        insert(bookings).from_select(WRITTEN, row, include_defaults=False)
        .on_conflict_do_nothing().returning(*bookings.c).cte("booked")
    )


def _audited(booked: CTE) -> CTE:
    """The booking's audit event (`audit.event`'s values, bound as :event_<column>)."""
    events = BookingEvent.__table__
    row = select(booked.c.id, *(bindparam(f"event_{name}", type_=events.c[name].type) for name in _EVENT))
    return insert(events).from_select(("booking_id", *_EVENT), row, include_defaults=False).cte("audited")


def _queued(booked: CTE) -> CTE:
    """The booking's messages, one per element of the arrays :kinds, :labels, :payloads and :dues."""
    messages = OutboxMessage.__table__
    message = func.unnest(
        bindparam("kinds", type_=ARRAY(Text)), bindparam("labels", type_=ARRAY(Text)),
        cast(bindparam("payloads", type_=ARRAY(Text)), ARRAY(JSONB)),  # psycopg2 sends a list of str as text[]
        bindparam("dues", type_=ARRAY(DateTime(timezone=True))),
    ).table_valued(
        column("kind", Text), column("label", Text), column("payload", JSONB), column("due_at", DateTime(timezone=True))
    ).render_derived(name="message")
    pending = literal(MessageStatus.PENDING.value, messages.c.status.type)
    row = select(
        message.c.kind, outbox.dedupe_key("booking", booked.c.id, message.c.kind, message.c.label), booked.c.id,
        booked.c.user_id, message.c.payload, message.c.due_at, pending,
    ).select_from(booked).join(message, true()).where(booked.c.user_id.is_not(None))
    columns = ("kind", "dedupe_key", "booking_id", "chat_id", "payload", "due_at", "status")
    return outbox.skipping_known_keys(insert(messages).from_select(columns, row, include_defaults=False)).cte("queued")


"""A clinic's staff group chat: chosen by an admin in the group, then told in digests what happened at the clinic.

The events themselves are written by triggers with each change (see models/staff_group.py); here they are
batched: each digest is one outbox row, written in the transaction that marks its events digested, so an
event is neither lost nor told twice. Digests go out through the outbox and its rate limiter.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.extensions import db
from medsync.models import (
    Booking, Clinic, ClinicStaffGroup, GroupEventKind, MessageKind, StaffGroupEvent, StaffMember,
)
from medsync.services import outbox
from medsync.services.staff_accounts import NotAllowed

# Events in one digest, for a readable message; a longer backlog continues in the next digest.
DIGEST_MAX_EVENTS = 25
# Telegram refuses a message over 4096 characters (counted after HTML parsing). A digest is filled up to this
# many UTF-16 code units of its HTML, which is never less than Telegram's count, with room to spare; the events
# that do not fit whole wait for the next digest.
DIGEST_MAX_LENGTH = 3900
# What a digest shows of each event: its visit (with what the line names), and the message that failed.
_WITH_VISITS = (
    joinedload(StaffGroupEvent.booking).joinedload(Booking.clinic),
    joinedload(StaffGroupEvent.booking).joinedload(Booking.doctor),
    joinedload(StaffGroupEvent.booking).joinedload(Booking.diagnostic),
    joinedload(StaffGroupEvent.failed_message),
)


def set_group(member: StaffMember, chat_id: int) -> list[Clinic]:
    """Make this chat the staff group of the admin's clinics; returns them."""
    _ensure_admin(member)
    for clinic in member.clinics:
        statement = insert(ClinicStaffGroup).values(clinic_id=clinic.id, chat_id=chat_id, set_by=member.id)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[ClinicStaffGroup.clinic_id],
            set_={"chat_id": chat_id, "set_by": member.id, "set_at": db.func.now()},
        ))
    return list(member.clinics)


def unset_group(member: StaffMember, chat_id: int) -> list[Clinic]:
    """This chat stops being the staff group of the admin's clinics; returns those it was."""
    _ensure_admin(member)
    removed = set(db.session.scalars(
        delete(ClinicStaffGroup)
        .where(ClinicStaffGroup.chat_id == chat_id, ClinicStaffGroup.clinic_id.in_(member.clinic_ids))
        .returning(ClinicStaffGroup.clinic_id)
    ))
    return [clinic for clinic in member.clinics if clinic.id in removed]


def forget_chat(chat_id: int) -> None:
    """The bot left (or was removed from) this group: no clinic's digests go there any more."""
    db.session.execute(delete(ClinicStaffGroup).where(ClinicStaffGroup.chat_id == chat_id))


def move_chat(old_chat_id: int, new_chat_id: int) -> None:
    """A group that became a supergroup has a new id."""
    db.session.execute(
        update(ClinicStaffGroup).where(ClinicStaffGroup.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )


def queue_digests(render: Callable[[int, list[StaffGroupEvent]], str], *, now: datetime | None = None) -> list[int]:
    """One digest per group with news: its oldest events, as many as `render` (the bot's text of a digest to a chat,
    in its language) keeps within DIGEST_MAX_LENGTH, at most DIGEST_MAX_EVENTS; returns the outbox ids."""
    now = now or clock.now()
    _leave_out_unsendable(now)
    pending = db.session.execute(
        select(StaffGroupEvent.id, ClinicStaffGroup.chat_id)
        .join(ClinicStaffGroup, ClinicStaffGroup.clinic_id == StaffGroupEvent.clinic_id)
        .where(StaffGroupEvent.digested_at.is_(None))
        .order_by(StaffGroupEvent.id)
        .with_for_update(of=StaffGroupEvent, skip_locked=True)  # a concurrent run takes other events
    ).all()
    by_chat: dict[int, list[int]] = {}
    for event_id, chat_id in pending:
        by_chat.setdefault(chat_id, []).append(event_id)
    queued = []
    for chat_id, event_ids in by_chat.items():
        batch = [event.id for event in _fitting(_events(event_ids[:DIGEST_MAX_EVENTS]),
                                                lambda events, chat_id=chat_id: render(chat_id, events))]
        message_id = outbox.queue_message(
            MessageKind.STAFF_DIGEST, booking_id=None, chat_id=chat_id, dedupe_key=outbox.dedupe_key("digest", chat_id, batch[0]),
            payload={"events": len(batch)},
        )
        db.session.execute(
            update(StaffGroupEvent).where(StaffGroupEvent.id.in_(batch)).values(digest_id=message_id, digested_at=now)
        )
        queued.append(message_id)
    return queued


def _fitting(events: list[StaffGroupEvent], render: Callable[[list[StaffGroupEvent]], str]) -> list[StaffGroupEvent]:
    """The oldest events whose digest stays within DIGEST_MAX_LENGTH; the first always goes (alone it fits: the
    longest names the columns allow, every character escaped, come to about 2,300)."""
    batch = events[:1]
    for event in events[1:]:
        if _length(render([*batch, event])) > DIGEST_MAX_LENGTH:
            break
        batch.append(event)
    return batch


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _events(event_ids: list[int]) -> list[StaffGroupEvent]:
    return list(db.session.scalars(
        select(StaffGroupEvent).where(StaffGroupEvent.id.in_(event_ids)).options(*_WITH_VISITS)
        .order_by(StaffGroupEvent.id)
    ))


def digest_events(message_id: int) -> list[StaffGroupEvent]:
    """The events one digest carries, oldest first, with their visits."""
    return list(db.session.scalars(
        select(StaffGroupEvent).where(StaffGroupEvent.digest_id == message_id).options(*_WITH_VISITS)
        .order_by(StaffGroupEvent.id)
    ))


def _leave_out_unsendable(now: datetime) -> None:
    """Events of clinics that no longer have a group, and the cancelled half of a move (its new booking's
    "moved" line says it), are done without a digest."""
    no_group = ~exists().where(ClinicStaffGroup.clinic_id == StaffGroupEvent.clinic_id)
    moved = and_(
        StaffGroupEvent.kind == GroupEventKind.CANCELLED.value,
        exists().where(Booking.rescheduled_from_id == StaffGroupEvent.booking_id),
    )
    db.session.execute(
        update(StaffGroupEvent).where(StaffGroupEvent.digested_at.is_(None), or_(no_group, moved))
        .values(digested_at=now)
    )


def _ensure_admin(member: StaffMember) -> None:
    if not member.can_set_group():
        raise NotAllowed(_("Only a clinic admin can choose the staff group."))

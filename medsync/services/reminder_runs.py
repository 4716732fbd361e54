"""Reminder runs staff start from the chat: the reminders are queued like the staff API's run, then one chain of
short follow-up tasks looks at their delivery every STAFF_PROGRESS_INTERVAL until every one has settled.

The run is a row, so a lost queue message loses nothing: the sweep finds a run nobody looked at lately
and hands it to a new chain (a new follower token, which retires any old chain still around).

The reminders themselves (when due, what they say, how queued, when skipped): medsync.services.reminders. The
chat command: bot/staff/remind.py; the follow-up tasks: workers/reminder_runs.py.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import has_app_context
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from medsync import clock
from medsync.config import current_settings
from medsync.extensions import db
from medsync.models import Booking, MessageStatus, OutboxMessage, ReminderRun, StaffMember
from medsync.services import after_commit, delivery, reminders, staff_agenda
from medsync.services.clinic_day import local_start_date
from medsync.services.staff_accounts import NotAllowed
from medsync.task_queue import TaskCall, current_task_queue, enqueue

log = logging.getLogger(__name__)

FOLLOW_TASK = "workers.reminder_runs.follow_reminder_run"
_FOLLOW = "reminder runs: follow"
# A run its follower has not looked at for this long (beyond one interval) has lost its chain.
LOST_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class FailedReminder:
    patient: str
    error: str | None


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    skipped: int
    failed: list[FailedReminder]

    @property
    def settled(self) -> bool:
        """Every reminder is sent, skipped or failed."""
        return self.sent + self.skipped + len(self.failed) >= self.total


@dataclass(frozen=True)
class Look:
    """What a follower needs, as plain values: nothing stays open while it talks to Telegram."""

    run_id: int
    chat_id: int
    message_id: int | None
    days: list[date]
    shown_text: str | None
    progress: Progress
    overdue: bool


def start_run(member: StaffMember, *, asked: dict[int, date] | None, chat_id: int,
              now: datetime | None = None) -> ReminderRun | None:
    """Queue the reminders of each clinic's day in `asked` (by clinic id; default: tomorrow in each clinic) at the
    member's clinics; None if none were due."""
    if not member.can_remind():
        raise NotAllowed(_("Reminder runs are for reception and admins."))
    now = now or clock.now()
    message_ids: list[int] = []
    days: set[date] = set()
    for clinic in member.clinics:
        # Each clinic's own day: "tomorrow" in Kyiv and in Almaty can be different dates.
        clinic_day = asked[clinic.id] if asked else staff_agenda.clinic_today(clinic, now=now) + timedelta(days=1)
        queued = reminders.queue_manual_reminders(day=clinic_day, clinic_id=clinic.id, now=now)
        if queued:
            message_ids += queued
            days.add(clinic_day)
    if not message_ids:
        return None
    run = ReminderRun(
        staff_id=member.id, day=min(days), message_ids=message_ids, chat_id=chat_id, follower=uuid.uuid4().hex,
        checked_at=now, created_at=now,
    )
    db.session.add(run)
    db.session.flush()
    after_commit.add(db.session(), _FOLLOW, (run.id, run.follower))
    return run


def show_in(run: ReminderRun, message_id: int | None) -> None:
    """The message the progress is shown in (None: Telegram did not take it; the summary comes as a new one)."""
    run.progress_message_id = message_id


def look(run_id: int, follower: str, *, now: datetime | None = None) -> Look | None:
    """Take this look for the chain holding `follower`; None once the run is finished or another chain took over."""
    now = now or clock.now()
    taken = db.session.execute(
        update(ReminderRun)
        .where(ReminderRun.id == run_id, ReminderRun.follower == follower, ReminderRun.finished_at.is_(None))
        .values(checked_at=now).returning(ReminderRun.id)
    ).scalar_one_or_none()
    if taken is None:
        return None
    run = db.session.get(ReminderRun, run_id, populate_existing=True)
    return Look(run.id, run.chat_id, run.progress_message_id, run_days(run.message_ids), run.shown_text,
                progress(run.message_ids),
                overdue=now - run.created_at > current_settings().STAFF_PROGRESS_FOR)


def run_days(message_ids: list[int]) -> list[date]:
    """The clinic days a run's reminders are for: one, unless the member's clinics are in zones on different dates."""
    local_day = local_start_date()
    return list(db.session.scalars(
        select(local_day).select_from(OutboxMessage).join(OutboxMessage.booking).join(Booking.clinic)
        .where(OutboxMessage.id.in_(message_ids)).distinct().order_by(local_day)
    ))


def progress(message_ids: list[int]) -> Progress:
    """How the run's reminders stand, naming the patients whose reminder failed."""
    counts = delivery.statuses(message_ids)
    failed = db.session.execute(
        select(Booking.patient_first_name, Booking.patient_last_name, OutboxMessage.last_error)
        .select_from(OutboxMessage).join(OutboxMessage.booking)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == MessageStatus.FAILED.value)
        .order_by(OutboxMessage.id)
    ).all()
    return Progress(
        total=len(message_ids), sent=counts.get(MessageStatus.SENT.value, 0),
        skipped=counts.get(MessageStatus.SKIPPED.value, 0),
        failed=[FailedReminder(f"{first} {last}", error) for first, last, error in failed],
    )


def record_shown(run_id: int, follower: str, *, text: str, message_id: int | None, finished: bool,
                 now: datetime | None = None) -> bool:
    """The progress message now says `text`; a finished run is followed no more. False (nothing written) when
    another chain holds the run now: an old one that stalled must not overwrite what the new one showed."""
    values: dict = {"shown_text": text, "progress_message_id": message_id}
    if finished:
        values["finished_at"] = now or clock.now()
    return db.session.execute(
        update(ReminderRun).where(ReminderRun.id == run_id, ReminderRun.follower == follower).values(**values)
        .returning(ReminderRun.id)
    ).scalar_one_or_none() is not None


def revive_lost(*, now: datetime | None = None) -> list[int]:
    """Runs nobody has looked at lately get a new chain (once this transaction commits); returns their ids."""
    now = now or clock.now()
    stale = now - current_settings().STAFF_PROGRESS_INTERVAL - LOST_AFTER
    runs = list(db.session.scalars(
        select(ReminderRun).where(ReminderRun.finished_at.is_(None), ReminderRun.checked_at < stale)
        .with_for_update(skip_locked=True)
    ))
    for run in runs:
        run.follower, run.checked_at = uuid.uuid4().hex, now
        after_commit.add(db.session(), _FOLLOW, (run.id, run.follower))
    db.session.flush()
    return [run.id for run in runs]


def follow_again(run_id: int, follower: str) -> None:
    """The chain's next look, one interval from now (a countdown of seconds: safe on Redis)."""
    enqueue(FOLLOW_TASK, run_id, follower, countdown=_follow_countdown())


def _follow_countdown() -> float:
    return current_settings().STAFF_PROGRESS_INTERVAL.total_seconds()


def register_hooks(hooks: after_commit.Hooks) -> None:
    """A reminder run started or revived gets its follow-up chain once the transaction commits."""
    hooks.on("after_commit", _follow_after_commit)


def _follow_after_commit(session: Session) -> None:
    runs = after_commit.take(session, _FOLLOW)
    if not runs or not has_app_context():
        return
    countdown = _follow_countdown()
    calls = [TaskCall(FOLLOW_TASK, (run_id, follower), countdown) for run_id, follower in runs]
    current_task_queue().hand_over(calls, if_lost=_not_followed)


def _not_followed(call: TaskCall) -> None:
    log.warning("could not queue following reminder run %s; the sweep will", call.args[0])

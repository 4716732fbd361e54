"""A patient's "download my data" (GDPR Art. 15 and 20): a ZIP of one machine-readable JSON (their profile, every
booking with its status history, the messages sent to them, their results' metadata) and their result PDFs.

Asked for at most once an hour; built by a worker (a long history takes a while), stored sealed like the results,
sent to their chat through the outbox and downloadable in the Mini App; deleted after EXPORT_KEPT.
"""
from __future__ import annotations

import io
import json
import logging
import math
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import has_app_context
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from medsync import clock
from medsync.config import current_settings
from medsync.errors import DomainError, NotFound, ResultFileDamaged, ResultNotFound
from medsync.extensions import db
from medsync.models import (
    Booking, BookingEvent, DataExport, ExportStatus, MessageKind, OutboxMessage, Result, StaffMember, User,
)
from medsync.services import after_commit, outbox, result_files, results, users
from medsync.task_queue import TaskCall, current_task_queue

log = logging.getLogger(__name__)

EXPORT_INTERVAL = timedelta(hours=1)
EXPORT_KEPT = timedelta(days=7)
# What the delivery worker does with a queued export (an outbox reply of this method; medsync.bot.replies).
SEND_EXPORT = "sendDataExport"
FORMAT_VERSION = 1
BUILD_TASK = "workers.privacy.build_export"
_TO_BUILD = "privacy: exports to build"


class ExportTooSoon(DomainError):
    """Another export inside the hour: `retry_after` seconds until the next may be asked for."""

    http_status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(ngettext(
            "You asked for your data less than an hour ago. You can ask again in %(num)d minute.",
            "You asked for your data less than an hour ago. You can ask again in %(num)d minutes.", minutes))
        self.retry_after = retry_after


class ExportNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(_("You have no data export ready. Ask for one first."))


def request_export(profile: users.Profile, *, now: datetime | None = None) -> DataExport:
    """Ask for an export for this verified Telegram user, unless they asked within EXPORT_INTERVAL (ExportTooSoon);
    the worker is handed it once the transaction commits."""
    now = now or clock.now()
    users.write_profile(profile)
    # Their row's lock serialises two requests at once: the second sees the first and is refused.
    db.session.get(User, profile.telegram_id, with_for_update=True, populate_existing=True)
    latest = latest_export(profile.telegram_id)
    if latest is not None and latest.requested_at > now - EXPORT_INTERVAL:
        raise ExportTooSoon(math.ceil((latest.requested_at + EXPORT_INTERVAL - now).total_seconds()))
    export = DataExport(user_id=profile.telegram_id, status=ExportStatus.PENDING.value, requested_at=now)
    db.session.add(export)
    db.session.flush()
    after_commit.add(db.session(), _TO_BUILD, export.id)
    return export


def latest_export(telegram_id: int) -> DataExport | None:
    return db.session.scalar(select(DataExport).where(DataExport.user_id == telegram_id)
                             .order_by(DataExport.requested_at.desc(), DataExport.id.desc()).limit(1))


def ready_export(telegram_id: int) -> DataExport:
    """The user's newest export that is ready to download (ExportNotFound: none)."""
    export = db.session.scalar(
        select(DataExport).where(DataExport.user_id == telegram_id, DataExport.status == ExportStatus.READY.value)
        .order_by(DataExport.requested_at.desc(), DataExport.id.desc()).limit(1))
    if export is None:
        raise ExportNotFound()
    return export


def export_content(export: DataExport) -> bytes:
    """The export's ZIP, decrypted in memory."""
    return result_files.read(result_files.StoredFile(export.id, _root() / export.storage_path,
                                                     export.encrypted_with, ""))


def file_name(export: DataExport) -> str:
    return f"medsync-my-data-{export.requested_at.date().isoformat()}.zip"


def build(export_id: int) -> bool:
    """Build a pending export (the worker's task): the ZIP sealed under RESULTS_DIR, the row ready, its sending to the
    chat queued. Safe to run twice: a row another worker holds, or already built, is left alone. Flushes only."""
    export = db.session.scalar(select(DataExport).where(DataExport.id == export_id,
                                                        DataExport.status == ExportStatus.PENDING.value)
                               .with_for_update(skip_locked=True))
    if export is None:
        return False
    content = _zip(export.user_id, clock.now())
    relative = f"exports/{export.user_id}/{export.id}.zip"
    export.encrypted_with = result_files.write(_root() / relative, content)
    export.storage_path, export.size_bytes = relative, len(content)
    export.status, export.ready_at = ExportStatus.READY.value, clock.now()
    outbox.queue_message(MessageKind.REPLY, booking_id=None, chat_id=export.user_id, dedupe_key=f"export:{export.id}",
                         payload={"reply": {"method": SEND_EXPORT, "export_id": export.id}})
    return True


def pending_exports(requested_before: datetime) -> list[int]:
    """Exports asked for before this and still not built (their hand-over to the worker was lost)."""
    return list(db.session.scalars(select(DataExport.id).where(
        DataExport.status == ExportStatus.PENDING.value, DataExport.requested_at < requested_before)))


def delete_exports_before(requested_before: datetime) -> int:
    """Exports older than this go, files and rows (after the commit)."""
    paths = db.session.scalars(delete(DataExport).where(DataExport.requested_at < requested_before)
                               .returning(DataExport.storage_path)).all()
    for path in paths:
        if path is not None:
            result_files.delete_after_commit(_root() / path)
    return len(paths)


def register_hooks(hooks: after_commit.Hooks) -> None:
    """An export asked for is handed to the workers once its row is committed (the sweep finds it otherwise)."""
    hooks.on("after_commit", _hand_over)


def _hand_over(session: Session) -> None:
    export_ids = after_commit.take(session, _TO_BUILD)
    if not export_ids or not has_app_context():
        return
    calls = [TaskCall(BUILD_TASK, (export_id,)) for export_id in export_ids]
    current_task_queue().hand_over(calls, if_lost=_not_handed_over)


def _not_handed_over(call: TaskCall) -> None:
    # The user's request is committed; the sweep builds it.
    log.warning("could not hand data export %s to the workers; the sweep will build it", call.args[0])


def _zip(telegram_id: int, now: datetime) -> bytes:
    """data.json and results/<id>-<name>.pdf, in memory."""
    user = db.session.get(User, telegram_id)
    bookings = db.session.scalars(select(Booking).where(Booking.user_id == telegram_id).order_by(Booking.id)).all()
    booking_ids = [booking.id for booking in bookings]
    events = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id.in_(booking_ids))
                                .order_by(BookingEvent.id)).all()
    their_results = db.session.scalars(select(Result).where(Result.booking_id.in_(booking_ids))
                                       .order_by(Result.id)).all()
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == telegram_id)
                                  .order_by(OutboxMessage.id)).all()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        described_results = [_result(archive, result) for result in their_results]
        data = {
            "format": FORMAT_VERSION, "exported_at": now.isoformat(),
            "profile": _profile(user),
            "bookings": [_booking(booking, [event for event in events if event.booking_id == booking.id])
                         for booking in bookings],
            "messages": [_message(message) for message in messages],
            "results": described_results,
        }
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def _profile(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    staff = db.session.scalar(select(StaffMember.id).where(StaffMember.telegram_id == user.telegram_id).limit(1))
    return {"telegram_id": user.telegram_id, "first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "language_code": user.language_code, "language": user.language,
            "reachable": user.reachable, "created_at": user.created_at.isoformat(), "is_staff": staff is not None}


def _booking(booking: Booking, events: list[BookingEvent]) -> dict[str, Any]:
    return {
        "id": booking.id, "clinic": booking.clinic.name, "clinic_address": booking.clinic.address,
        "doctor": booking.doctor.full_name if booking.doctor is not None else None,
        "diagnostic": booking.diagnostic.name if booking.diagnostic is not None else None,
        "starts_at": booking.starts_at.isoformat(), "ends_at": booking.ends_at.isoformat(),
        "status": booking.status, "cancelled_by": booking.cancelled_by, "cancel_reason": booking.cancel_reason,
        "rescheduled_from": booking.rescheduled_from_id,
        "patient": {"first_name": booking.patient_first_name, "last_name": booking.patient_last_name,
                    "phone": booking.patient_phone, "email": booking.patient_email,
                    "message": booking.patient_message},
        "created_at": booking.created_at.isoformat(),
        "history": [{"at": event.created_at.isoformat(), "action": event.action, "by": event.actor,
                     "reason": (event.details or {}).get("reason")} for event in events],
    }


def _message(message: OutboxMessage) -> dict[str, Any]:
    return {"kind": message.kind, "booking_id": message.booking_id, "result_id": message.result_id,
            "status": message.status, "created_at": message.created_at.isoformat(),
            "sent_at": message.sent_at.isoformat() if message.sent_at else None}


def _result(archive: zipfile.ZipFile, result: Result) -> dict[str, Any]:
    """The result's metadata; its PDF goes into the archive beside it when its file reads whole."""
    described = {"id": result.id, "booking_id": result.booking_id, "title": result.title,
                 "file_name": result.file_name, "size_bytes": result.size_bytes, "sha256": result.sha256,
                 "created_at": result.created_at.isoformat(), "file": None}
    try:
        content = results.file_content(result)
    except ResultNotFound:
        described["file_problem"] = "missing"
    except ResultFileDamaged:
        described["file_problem"] = "failed its integrity check"
    else:
        described["file"] = f"results/{result.id}-{result.file_name}"
        archive.writestr(described["file"], content)
    return described


def _root() -> Path:
    return Path(current_settings().RESULTS_DIR)

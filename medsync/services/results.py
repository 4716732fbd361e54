"""Test results: storing uploaded PDFs under RESULTS_DIR, listing and finding them for their owner."""
from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload

from medsync import clock, formats
from medsync.config import current_settings
from medsync.errors import BookingNotFound, InvalidRequest, ResultNotAccepted, ResultNotFound
from medsync.extensions import db
from medsync.i18n import N_, translated
from medsync.models import Actor, Booking, BookingEvent, BookingStatus, MessageKind, OutboxMessage, Result
from medsync.services import catalog, outbox, result_files
from medsync.services.pagination import Page, paginate

PDF_MAGIC = b"%PDF-"


def list_for_user(user_id: int, *, page: int = 1, per_page: int = 5) -> Page:
    """The user's results, newest first."""
    query = (
        select(Result).join(Result.booking).where(Booking.user_id == user_id)
        .options(
            joinedload(Result.booking).joinedload(Booking.clinic),
            joinedload(Result.booking).joinedload(Booking.doctor),
            joinedload(Result.booking).joinedload(Booking.diagnostic),
        )
        .order_by(Result.created_at.desc(), Result.id.desc())
    )
    return paginate(query, page=page, per_page=per_page)


def get_result(result_id: int, *, user_id: int) -> Result:
    """The patient's own result; someone else's result does not exist for them."""
    result = db.session.get(Result, result_id, options=[joinedload(Result.booking)])
    if result is None or result.booking.user_id != user_id:
        raise ResultNotFound()
    return result


def get_result_for_staff(result_id: int) -> Result:
    """Any result with its visit (staff only: the caller checks the visit is theirs to see)."""
    result = db.session.get(Result, result_id, options=[joinedload(Result.booking)])
    if result is None:
        raise ResultNotFound()
    return result


def send_to_chat(result_id: int, *, user_id: int) -> int:
    """Queue the owner's result PDF to their Telegram chat again (a new outbox row each time); returns its id."""
    return send_again(get_result(result_id, user_id=user_id))


def send_again(result: Result) -> int:
    """Queue a result PDF to its patient's chat again (a new outbox row each time); returns its id."""
    user_id = result.booking.user_id
    if user_id is None:
        raise ResultNotAccepted(_("The patient of this visit erased their data: there is no chat to send to."))
    # A fresh key: every request is a new send, while each row is still delivered once.
    message_id = outbox.queue_message(
        MessageKind.RESULT, booking_id=result.booking_id, chat_id=user_id, result_id=result.id,
        dedupe_key=outbox.dedupe_key("result", result.id, "resend", uuid.uuid4().hex),
    )
    if message_id is None:  # a random key never collides: the outbox refused the row for another reason
        raise RuntimeError(f"result {result.id}: the outbox wrote no row for a send with a fresh key")
    return message_id


def file_path(result: Result) -> Path:
    """Where the result's file lives on disk (encrypted: see `file_content`)."""
    return Path(current_settings().RESULTS_DIR) / result.storage_path


def stored_file(result: Result) -> result_files.StoredFile:
    """What reading the result's file needs, as plain values."""
    return result_files.StoredFile(result.id, file_path(result), result.encrypted_with, result.sha256)


def file_content(result: Result) -> bytes:
    """The result's PDF, decrypted in memory (ResultNotFound when its file is gone, ResultFileDamaged when it fails
    its integrity check)."""
    return result_files.read(stored_file(result))


def remember_file_id(result_id: int, file_id: str) -> None:
    """Keep Telegram's file_id after the first upload, so later sends reuse it instead of uploading."""
    db.session.query(Result).filter(Result.id == result_id, Result.telegram_file_id.is_(None)).update(
        {Result.telegram_file_id: file_id}, synchronize_session=False
    )


def ensure_accepts_results(booking: Booking, *, now: datetime | None = None) -> None:
    """Refuse (ResultNotAccepted, 409) a result for a visit that was cancelled or has not taken place yet."""
    now = now or clock.now()
    if booking.accepts_results(now):
        return
    if booking.status == BookingStatus.CANCELLED.value:
        raise ResultNotAccepted(_("Visit #{number} was cancelled: a result cannot be attached to it.").format(
            number=booking.id))
    start = booking.local_starts_at()
    raise ResultNotAccepted(
        _("Visit #{number} has not taken place yet (it is on {day} at {time}): a result can be attached once it has "
          "begun.").format(number=booking.id, day=formats.short_day(start.date()), time=formats.clock_time(start))
    )


def store_result(
    booking_id: int, *, content: bytes, file_name: str, title: str | None = None, uploaded_by: str | None = None,
    now: datetime | None = None,
) -> Result:
    """Store a PDF for a visit that took place (checked by content, size-capped, written atomically) and queue its
    delivery.

    The same file uploaded again for the same visit (a retry, a double click) finds the same result: a visit's
    results are unique by their content's SHA-256 (`stored_before`), which the database keeps and the disk does not.
    The file is named by a random id: a name derived from the content would let anyone who holds a document and
    reads the disk confirm that it is stored (files named the old way: medsync.services.result_names).
    """
    settings = current_settings()
    if not content.startswith(PDF_MAGIC):
        raise InvalidRequest(_("Only PDF files are accepted."), errors={"file": [_("Not a PDF document.")]})
    if len(content) > settings.RESULT_MAX_BYTES:
        limit = settings.RESULT_MAX_BYTES
        raise InvalidRequest(_("The file is too large."), errors={"file": [
            ngettext("At most %(size)s byte.", "At most %(size)s bytes.", limit, size=formats.number(limit))]})
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound()
    ensure_accepts_results(booking, now=now)
    digest = hashlib.sha256(content).hexdigest()
    earlier = _stored(booking.id, digest)
    if earlier is not None:
        return earlier  # the same file uploaded again: one result, one delivery
    relative = _new_storage_path(booking.id)
    path = Path(settings.RESULTS_DIR) / relative
    encrypted_with = result_files.write_new(path, content)  # gone again if this transaction rolls back
    # The visit's unique (booking, sha256) decides a race of identical uploads (a double click): the first insert
    # wins, the others wait for it, then find its row and drop their own file.
    result_id = db.session.execute(
        insert(Result).values(
            booking_id=booking.id, title=title or _default_title(booking), file_name=_safe_name(file_name),
            storage_path=relative, content_type="application/pdf", size_bytes=len(content), sha256=digest,
            uploaded_by=uploaded_by, encrypted_with=encrypted_with,
        ).on_conflict_do_nothing(index_elements=[Result.booking_id, Result.sha256]).returning(Result.id)
    ).scalar_one_or_none()
    if result_id is None:
        path.unlink(missing_ok=True)
        return _stored(booking.id, digest)
    result = db.session.get(Result, result_id)
    db.session.add(BookingEvent(
        booking_id=booking.id, actor=Actor.STAFF.value, actor_id=uploaded_by, action="result_uploaded",
        details={"result_id": result.id, "sha256": digest},
    ))
    if booking.user_id is not None:  # else nobody to send it to: the patient erased their data
        outbox.queue_message(
            MessageKind.RESULT, booking_id=booking.id, chat_id=booking.user_id, result_id=result.id,
            dedupe_key=outbox.dedupe_key("result", result.id),
        )
    return result


def stored_before(booking_id: int, content: bytes) -> Result | None:
    """The result already stored for this visit from the very same file, if any (a repeat is one result)."""
    return _stored(booking_id, hashlib.sha256(content).hexdigest())


def _stored(booking_id: int, digest: str) -> Result | None:
    return db.session.scalar(select(Result).where(Result.booking_id == booking_id, Result.sha256 == digest))


def _new_storage_path(booking_id: int) -> str:
    """Where a new file of the visit goes under RESULTS_DIR: a random name, nothing of its content."""
    return f"{booking_id}/{secrets.token_hex(16)}.pdf"


def delivery_of(result: Result) -> OutboxMessage | None:
    """The message that took this result to its patient when it was stored (its status and sent_at say how it went)."""
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == outbox.dedupe_key("result", result.id)))


def title_of(result: Result) -> str:
    """What a result is called to whoever reads now: a test's name as the catalog shows it in their language, when
    the result was titled by its test (the default); else its stored title (ours, like "Visit summary", translated)."""
    diagnostic_id = result.booking.diagnostic_id
    if diagnostic_id is not None:
        test = catalog.current_catalog().diagnostics.get(diagnostic_id)  # in English, as the default title was stored
        if test is not None and test.name == result.title:
            return catalog.diagnostic_name(diagnostic_id)
    return translated(result.title)


def _default_title(booking: Booking) -> str:
    if booking.diagnostic_id is not None and booking.diagnostic is not None:
        return booking.diagnostic.name
    return N_("Visit summary")  # stored as written, shown translated


def _safe_name(file_name: str) -> str:
    """A display name without path parts or characters that break multipart headers."""
    name = os.path.basename(file_name or "").strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '\\/";')
    if not name.lower().endswith(".pdf"):
        name = (name or "result") + ".pdf"
    return name[-200:]

"""Results sent from the chat by staff, and the notice that tells them the patient received it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from medsync.extensions import db
from medsync.models import MessageKind, OutboxMessage, Result, StaffMember
from medsync.services import outbox, results, staff_accounts, staff_agenda


@dataclass(frozen=True)
class StoredResult:
    """What became of a PDF a member sent: the visit's result, and, when that very file had been sent for the visit
    before, the delivery queued then (nothing is sent again)."""

    result: Result
    sent_before: bool
    delivery: OutboxMessage | None = None


def store(member: StaffMember, booking_id: int, *, content: bytes, file_name: str,
          now: datetime | None = None) -> StoredResult:
    """Store a PDF for a visit the member may see and that took place, checked like the staff API's upload, and
    queue its delivery; the same file again is only reported, with how its first sending went."""
    booking = staff_agenda.visit(member, booking_id)
    results.ensure_accepts_results(booking, now=now)
    earlier = results.stored_before(booking.id, content)
    if earlier is not None:
        return StoredResult(earlier, sent_before=True, delivery=results.delivery_of(earlier))
    return StoredResult(results.store_result(booking.id, content=content, file_name=file_name,
                                             uploaded_by=member.actor_id, now=now), sent_before=False)


def tell_uploader_delivered(result_id: int) -> int | None:
    """Queue "delivered" (once per result) to the staff member who sent this result from the chat."""
    # The delivery worker calls this in the transaction that marks the result sent: told once, and only then.
    result = db.session.get(Result, result_id)
    member = staff_accounts.member_signing(result.uploaded_by if result is not None else None)
    if member is None:
        return None  # uploaded through the staff API, or the member was revoked since
    return outbox.queue_message(
        MessageKind.STAFF_NOTICE, booking_id=result.booking_id, chat_id=member.telegram_id, result_id=result.id,
        dedupe_key=outbox.dedupe_key("result", result.id, "delivered"), payload={"notice": "result_delivered"},
    )

"""Results sent from the chat by staff, and the notice that tells them the patient received it."""
from __future__ import annotations

from medsync.extensions import db
from medsync.models import MessageKind, Result, StaffMember
from medsync.services import outbox, results, staff_accounts, staff_agenda


def store(member: StaffMember, booking_id: int, *, content: bytes, file_name: str) -> Result:
    """Store a PDF for a visit the member may see, checked like the staff API's upload, and queue its delivery."""
    staff_agenda.visit(member, booking_id)
    return results.store_result(booking_id, content=content, file_name=file_name, uploaded_by=member.actor_id)


def tell_uploader_delivered(result_id: int) -> int | None:
    """Queue "delivered" (once per result) to the staff member who sent this result from the chat."""
    # The delivery worker calls this in the transaction that marks the result sent: told once, and only then.
    result = db.session.get(Result, result_id)
    member = staff_accounts.member_signing(result.uploaded_by if result is not None else None)
    if member is None:
        return None  # uploaded through the staff API, or the member was revoked since
    return outbox.queue_message(
        MessageKind.STAFF_NOTICE, booking_id=result.booking_id, chat_id=member.telegram_id, result_id=result.id,
        dedupe_key=f"result:{result.id}:delivered", payload={"notice": "result_delivered"},
    )

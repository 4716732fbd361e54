"""The outbox: every message to a user is first a row, written with the change that causes it."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.extensions import db
from medsync.models.booking import Booking, Result
from medsync.models.rules import one_of


class MessageKind(str, enum.Enum):
    CONFIRMATION = "confirmation"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    RESULT = "result"
    # A bot reply that Telegram failed to take during the webhook (5xx, network): delivered later instead. Also a
    # staff account's change of access for its chat (its command list; "your access ended"): see staff_accounts.
    REPLY = "reply"
    # To a staff member about one booking (the result they sent was delivered).
    STAFF_NOTICE = "staff_notice"
    # To a clinic's staff group: a batch of new bookings, cancellations and failed deliveries.
    STAFF_DIGEST = "staff_digest"


# Every kind but a reply and a digest is about one booking.
BOOKING_KINDS = tuple(kind for kind in MessageKind if kind not in (MessageKind.REPLY, MessageKind.STAFF_DIGEST))
# What patients receive; one that fails is reported to the clinic's staff group.
PATIENT_KINDS = (MessageKind.CONFIRMATION, MessageKind.CANCELLATION, MessageKind.REMINDER, MessageKind.RESULT)


class MessageStatus(str, enum.Enum):
    PENDING = "pending"    # waiting for due_at, or for a retry
    SENDING = "sending"    # claimed by a worker; returned to pending by the sweep if the worker died
    SENT = "sent"
    SKIPPED = "skipped"    # no longer relevant (booking cancelled or moved)
    FAILED = "failed"      # gave up: user unreachable or attempts exhausted


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(one_of("kind", MessageKind), name="kind_known"),
        CheckConstraint(one_of("status", MessageStatus), name="status_known"),
        CheckConstraint("kind <> 'result' OR result_id IS NOT NULL", name="result_has_result"),
        CheckConstraint(f"booking_id IS NOT NULL OR NOT ({one_of('kind', BOOKING_KINDS)})", name="booking_kind_has_booking"),
        # A claim is fenced by its token and held by a lease its worker renews while it works on the row.
        CheckConstraint(
            "(status = 'sending') = (claim_token IS NOT NULL AND lease_expires_at IS NOT NULL)", name="claim_is_leased"
        ),
        # The sweep's queries: due pending rows, oldest first; claims whose lease ran out.
        Index("ix_outbox_pending_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_outbox_sending_lease", "lease_expires_at", postgresql_where=text("status = 'sending'")),
        Index("ix_outbox_failed", "updated_at", postgresql_where=text("status = 'failed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # One message per purpose: "booking:7:reminder:24h", "booking:7:confirmation", "result:3" …
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    booking: Mapped[Booking | None] = relationship()
    result: Mapped[Result | None] = relationship()

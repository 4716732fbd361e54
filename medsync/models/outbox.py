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


class MessageKind(str, enum.Enum):
    CONFIRMATION = "confirmation"
    CANCELLATION = "cancellation"
    REMINDER = "reminder"
    RESULT = "result"


class MessageStatus(str, enum.Enum):
    PENDING = "pending"    # waiting for due_at, or for a retry
    SENDING = "sending"    # claimed by a worker; returned to pending by the sweep if the worker died
    SENT = "sent"
    SKIPPED = "skipped"    # no longer relevant (booking cancelled or moved)
    FAILED = "failed"      # gave up: user unreachable or attempts exhausted


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('confirmation', 'cancellation', 'reminder', 'result')", name="kind_known"),
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'skipped', 'failed')", name="status_known"
        ),
        CheckConstraint("kind <> 'result' OR result_id IS NOT NULL", name="result_has_result"),
        # The sweep's query: due pending rows, oldest first.
        Index("ix_outbox_pending_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_outbox_sending_claimed", "claimed_at", postgresql_where=text("status = 'sending'")),
        Index("ix_outbox_failed", "updated_at", postgresql_where=text("status = 'failed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # One message per purpose: "booking:7:reminder:24h", "booking:7:confirmation", "result:3" …
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    booking: Mapped[Booking] = relationship()
    result: Mapped[Result | None] = relationship()

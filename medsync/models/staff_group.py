"""A clinic's staff group chat, and the events it is told about in digests.

Events are written by database triggers (migration 0003) in the transaction of the change itself —
a booking's `booked`/`cancelled` audit event, an outbox row to a patient becoming `failed` — so none
is lost or written twice, whichever code path made the change. A worker batches them into digests.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medsync.extensions import db
from medsync.models.booking import Booking
from medsync.models.clinic import Clinic
from medsync.models.outbox import OutboxMessage
from medsync.models.rules import one_of


class GroupEventKind(str, enum.Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DELIVERY_FAILED = "delivery_failed"


class ClinicStaffGroup(db.Model):
    """The group chat that gets a clinic's digests (one per clinic; one group may serve several clinics)."""

    __tablename__ = "clinic_staff_groups"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    set_by: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="RESTRICT"))
    set_at: Mapped[datetime] = mapped_column(server_default=func.now())

    clinic: Mapped[Clinic] = relationship()


class StaffGroupEvent(db.Model):
    """Something a clinic's staff group hears about. Once `digested_at` is set it is done: `digest_id` names the
    outbox message that carried it, or is NULL when it was left out on purpose (the cancelled half of a move,
    a clinic whose group was removed)."""

    __tablename__ = "staff_group_events"
    __table_args__ = (
        CheckConstraint(one_of("kind", GroupEventKind), name="kind_known"),
        Index("ix_staff_group_events_pending", "clinic_id", "id", postgresql_where=text("digested_at IS NULL")),
        # Deleting an outbox row cascades to the events naming it as a failed delivery.
        Index("ix_staff_group_events_failed_message_id", "failed_message_id",
              postgresql_where=text("failed_message_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    # For a failed delivery: the message that did not reach the patient.
    failed_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True)
    digested_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    booking: Mapped[Booking] = relationship()
    failed_message: Mapped[OutboxMessage | None] = relationship(foreign_keys=[failed_message_id])

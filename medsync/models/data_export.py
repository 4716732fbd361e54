"""A patient's "download my data": asked for, built by a worker into an encrypted ZIP, sent to their chat."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from medsync.extensions import db
from medsync.models.rules import one_of


class ExportStatus(str, enum.Enum):
    PENDING = "pending"  # asked for; a worker builds it
    READY = "ready"      # built: its file is under RESULTS_DIR, encrypted like the results
    FAILED = "failed"    # could not be built (the user was told; they may ask again after the hour)


class DataExport(db.Model):
    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint(one_of("status", ExportStatus), name="status_known"),
        # The hourly limit and "my latest export" read the user's newest one.
        Index("ix_data_exports_user_requested", "user_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Erasing the user erases their exports with them.
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.telegram_id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.PENDING.value)
    storage_path: Mapped[str | None] = mapped_column(String(500))
    encrypted_with: Mapped[str | None] = mapped_column(String(16))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    ready_at: Mapped[datetime | None]

"""The audit trail: who changed (or read) what, when, and the object before and after."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from medsync.extensions import db


class AuditEntry(db.Model):
    """One change of the clinics' data (or a read worth knowing of), signed by its actor.

    Generic on purpose: catalog edits, schedule changes, undone marks and staff reads of results all land here.
    No foreign keys: the trail outlives what it names (an erased patient, a revoked token), and ids are all it keeps
    of them; `before`/`after` hold the changed fields, never a patient's personal details.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        # An admin's page of their clinics' trail, newest first; one object's history.
        Index("ix_audit_log_clinic_id_id", "clinic_id", "id"),
        Index("ix_audit_log_object", "object_type", "object_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    # "staff:<member id>" (initData or a browser session), "staff-token:<token id>", "cli" …
    actor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))  # "doctor.update", "result.read", "booking.undo" …
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    # The clinic whose admins see the entry; None: shared by every clinic (specialties).
    clinic_id: Mapped[int | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

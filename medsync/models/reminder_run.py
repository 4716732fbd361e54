"""A reminder run a staff member started from the chat, followed in one progress message until it settles."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from medsync.extensions import db


class ReminderRun(db.Model):
    __tablename__ = "staff_reminder_runs"
    __table_args__ = (
        # The sweep's query: runs still being followed.
        Index("ix_staff_reminder_runs_open", "checked_at", postgresql_where=text("finished_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="RESTRICT"), index=True)
    # The (earliest) clinic day its reminders are for; members of clinics in zones on different dates remind each
    # clinic's own tomorrow, so what the progress message names is read from the reminders (run_days).
    day: Mapped[date] = mapped_column(Date)
    # The reminders this run queued (outbox ids): their statuses are the progress.
    message_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # The message edited with the progress; NULL when Telegram could not take it (the summary is sent anew).
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The one live chain of follow tasks carries this token; the sweep hands a lost run a new one, which
    # retires any old chain still around, so one follower edits at a time.
    follower: Mapped[str] = mapped_column(String(32))
    # When the follower last looked: a run not looked at for a while has lost its chain.
    checked_at: Mapped[datetime] = mapped_column(server_default=func.now())
    shown_text: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

"""What is waiting to be done, read for /metrics: outbox rows not yet delivered and the Celery queue's length."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from medsync import clock
from medsync.extensions import db
from medsync.metrics import Backlog
from medsync.models import MessageStatus, OutboxMessage
from medsync.task_queue import current_task_queue


def read_backlog(queue: str, *, now: datetime | None = None) -> Backlog:
    """One query over the pending rows' partial index (ix_outbox_pending_due) and the queue's length from the broker."""
    now = now or clock.now()
    is_due = OutboxMessage.due_at <= now
    due, pending, oldest_due_at = db.session.execute(
        select(func.count().filter(is_due), func.count(), func.min(OutboxMessage.due_at))
        .where(OutboxMessage.status == MessageStatus.PENDING.value)
    ).one()
    oldest_due_age = (now - oldest_due_at).total_seconds() if due else 0.0
    return Backlog(outbox_due=due, outbox_scheduled=pending - due, oldest_due_age_seconds=max(oldest_due_age, 0.0),
                   queue=queue, queue_length=current_task_queue().queue_length(queue))

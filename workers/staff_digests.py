"""Clinic staff groups' digests: beat runs this every STAFF_DIGEST_INTERVAL; each group with news gets one digest."""
from __future__ import annotations

from celery import shared_task

from medsync.bot.staff import texts
from medsync.extensions import db
from medsync.services import staff_groups


@shared_task(name="workers.staff_digests.send_group_digests", ignore_result=True)
def send_group_digests() -> int:
    """Batch each group's new events into one outbox message; delivery is the outbox's (and its limiter's)."""
    queued = staff_groups.queue_digests(texts.digest)
    db.session.commit()  # events marked and digests written together; the digests are handed out after it
    return len(queued)

"""Clinic staff groups' digests: beat runs this every STAFF_DIGEST_INTERVAL; each group with news gets one digest."""
from __future__ import annotations

from celery import shared_task

from medsync.bot.staff import texts
from medsync.extensions import db
from medsync.i18n import in_language
from medsync.models import StaffGroupEvent
from medsync.services import languages, staff_groups


@shared_task(name="workers.staff_digests.send_group_digests", ignore_result=True)
def send_group_digests() -> int:
    """Batch each group's new events into one outbox message; delivery is the outbox's (and its limiter's)."""
    queued = staff_groups.queue_digests(_digest_in_the_groups_language)
    db.session.commit()  # events marked and digests written together; the digests are handed out after it
    return len(queued)


def _digest_in_the_groups_language(chat_id: int, events: list[StaffGroupEvent]) -> str:
    """A digest as the group will read it (its length decides how many events fit)."""
    with in_language(languages.of_chat(chat_id)):
        return texts.digest(events)

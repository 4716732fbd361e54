"""Privacy tasks: building a patient's data export, finding exports whose hand-over was lost, nightly retention."""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task

from medsync import clock
from medsync.extensions import db
from medsync.services import data_export, retention
from medsync.services.data_export import BUILD_TASK
from medsync.task_queue import TaskCall, current_task_queue

log = logging.getLogger(__name__)

# An export asked for this long ago and still pending lost its hand-over to the workers (Redis was down).
LOST_AFTER = timedelta(minutes=1)


@shared_task(name=BUILD_TASK, ignore_result=True)
def build_export(export_id: int) -> bool:
    """Build one export and queue it to the user's chat; a second run of the same id does nothing."""
    built = data_export.build(export_id)
    db.session.commit()
    return built


@shared_task(name="workers.privacy.sweep_exports", ignore_result=True)
def sweep_exports() -> int:
    """Build the exports whose hand-over to the workers was lost."""
    lost = data_export.pending_exports(clock.now() - LOST_AFTER)
    db.session.commit()
    current_task_queue().send([TaskCall(BUILD_TASK, (export_id,)) for export_id in lost])
    return len(lost)


@shared_task(name="workers.privacy.apply_retention", ignore_result=True)
def apply_retention() -> None:
    """Nightly: purge results, anonymise bookings and phone patients, delete exports past their retention; logs
    counts only."""
    purged = retention.purge()
    log.info("retention: %d results deleted, %d bookings anonymised, %d patients without Telegram anonymised, "
             "%d data exports deleted", purged.results, purged.bookings, purged.patients, purged.exports)

"""Nightly housekeeping."""
from __future__ import annotations

import logging

from celery import shared_task

from medsync.extensions import db
from medsync.services import maintenance

log = logging.getLogger(__name__)


@shared_task(name="workers.maintenance.mark_noshows", ignore_result=True)
def mark_noshows() -> int:
    """Mark as 'noshow' the visits still 'booked' well past their end."""
    marked = maintenance.mark_noshows()
    db.session.commit()
    log.info("marked %d bookings as no-show", len(marked))
    return len(marked)

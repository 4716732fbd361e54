"""`python -m bench.nightly`: the jobs Celery beat runs, timed once each on the database DATABASE_URL names (the
scale bench's network); prints one JSON line.

Each job is the task beat calls (medsync/__init__.py's beat_schedule), called in this process as a worker would
run it, so its queries and commits are the production ones. The sweep hands what fell due since the network was
generated to the queue (Redis; no worker takes it here). The staff reminder run for tomorrow
is not beat's, but it reads "the day's bookings still to remind" as the desk's button does.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta

from medsync import clock, create_app
from medsync.extensions import db
from medsync.services import reminders
from workers.delivery import sweep_outbox
from workers.maintenance import mark_noshows
from workers.staff_digests import send_group_digests
from workers.reminder_runs import sweep_reminder_runs


def remind_tomorrow() -> int:
    queued = reminders.queue_manual_reminders(day=(clock.now() + timedelta(days=1)).date())
    db.session.commit()
    return len(queued)


JOBS: list[tuple[str, str, Callable[[], int]]] = [
    ("no-show marking (`mark_noshows`, nightly)", "visits marked", mark_noshows),
    ("no-show marking again", "visits marked", mark_noshows),
    ("outbox sweep (`sweep_outbox`, every 10 s)", "due messages handed out", sweep_outbox),
    ("outbox sweep again", "due messages handed out", sweep_outbox),
    ("staff group digests (`send_group_digests`, every 30 s)", "digests queued", send_group_digests),
    ("reminder runs followed (`sweep_reminder_runs`, every 10 s)", "runs followed", sweep_reminder_runs),
    ("staff reminder run for tomorrow, all clinics (`queue_manual_reminders`)", "reminders queued", remind_tomorrow),
]


def main() -> None:
    app = create_app()
    app.extensions["celery"].set_default()  # the tasks' own app: the sweep enqueues to this app's broker
    timings = []
    with app.app_context():
        for what, unit, job in JOBS:
            started = time.perf_counter()
            done = job()
            timings.append({"what": what, "seconds": time.perf_counter() - started, "done": f"{done:,} {unit}"})
            db.session.remove()
    print(json.dumps(timings))


if __name__ == "__main__":
    main()

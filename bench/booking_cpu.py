"""CPU per booking in one process, without a server: `python -m bench.booking_cpu [--bookings 600] [--rounds 5]`.

`make bench` measures bookings through gunicorn on a shared machine, where ±10 % of noise hides the ~100 µs a
change to the booking's path moves. This books the bench's own bodies (a new free slot and a new Telegram user
each, the original front end's `book_slot`) through the app's WSGI callable (Flask's test client) and divides
the process's CPU time (user + system, every thread: a hand-over published off the request's thread counts)
by the bookings, after `--warm-up` bookings per round. The process waits, inside the clock, until everything
it handed to Celery has been published (`app.extensions["task_queue"].wait_until_published()` where the
checkout has one). Compare two checkouts by running each in turn on the same machine (PYTHONPATH=<checkout>),
several times: the medians of the rounds are what to compare, their spread is the host's noise.

Its own database (BENCH_CPU_DB_NAME, default medsync_bench_cpu: recreated, migrated, the demo catalog) and
Redis database (BENCH_REDIS_URL, flushed); CELERY_BROKER_URL, when set, is the broker (no worker consumes:
the queue is emptied after each round).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

from bench import api, server
from tests.support.database import database_url

DB_NAME = os.environ.get("BENCH_CPU_DB_NAME", "medsync_bench_cpu")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=600, help="bookings timed per round")
    parser.add_argument("--warm-up", type=int, default=100, help="bookings per round before the clock starts")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    parser.add_argument("--pace", type=float, default=None,
                        help="the hand-over thread's pace in seconds (medsync.task_queue.PACE): under valgrind, whose "
                             "bookings run ~50x slower, a longer pace gives the batch sizes a busy server reaches")
    parser.add_argument("--callgrind", action="store_true",
                        help="under `valgrind --tool=callgrind --instr-atstart=no`: count only the timed bookings")
    args = parser.parse_args()

    env = server.app_env(database_url(DB_NAME), server.NO_TELEGRAM)
    server.prepare_database(DB_NAME, env)
    app = _app(env)
    batches = _count_batches(args.pace)
    client = app.test_client()
    bodies = _bodies(client, date.today(), args.rounds * (args.bookings + args.warm_up))
    per_booking, failures = [], 0
    for number in range(args.rounds):
        start = number * (args.bookings + args.warm_up)
        warm, timed = bodies[start:start + args.warm_up], bodies[start + args.warm_up:start + args.warm_up + args.bookings]
        failures += sum(_book(client, body) for body in warm)
        _settle(app)
        _instrument(args.callgrind, "on")
        started = time.process_time()
        failures += sum(_book(client, body) for body in timed)
        _settle(app)
        per_booking.append((time.process_time() - started) / len(timed) * 1e6)
        _instrument(args.callgrind, "off")
        _empty_queue(app)
    result = {"median_us": statistics.median(per_booking), "rounds_us": per_booking, "failures": failures,
              "broker": _scheme(app), "load": os.getloadavg()[0],
              "tasks_per_publish": batches["tasks"] / batches["publishes"] if batches["publishes"] else None}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"CPU per booking, one process ({result['broker']} broker): median {result['median_us']:.0f} µs; "
              f"rounds {', '.join(f'{value:.0f}' for value in per_booking)}; failures {failures}; "
              f"tasks per publish {result['tasks_per_publish'] or 0:.1f}; load {result['load']:.1f}")
    return 1 if failures else 0


def _app(env: dict[str, str]) -> Any:
    from medsync import create_app

    settings = {"DATABASE_URL": env["DATABASE_URL"], "REDIS_URL": env["REDIS_URL"], "BOT_TOKEN": server.BOT_TOKEN,
                "WEBHOOK_SECRET": server.WEBHOOK_SECRET, "TELEGRAM_API_URL": server.NO_TELEGRAM,
                "LOG_LEVEL": "WARNING", "BOOKING_RATE_LIMIT": "100000 per minute"}
    if os.environ.get("CELERY_BROKER_URL"):
        settings["CELERY_BROKER_URL"] = os.environ["CELERY_BROKER_URL"]
    return create_app(settings)


def _count_batches(pace: float | None) -> dict[str, int]:
    """How many publishes carried how many tasks (a checkout without medsync.task_queue counts nothing)."""
    counts = {"publishes": 0, "tasks": 0}
    try:
        from medsync import task_queue
    except ImportError:
        return counts
    if pace is not None:
        task_queue.PACE = pace
    send = task_queue.TaskQueue.send

    def counted(queue: Any, calls: Any) -> None:
        counts["publishes"] += 1
        counts["tasks"] += len(calls)
        send(queue, calls)

    task_queue.TaskQueue.send = counted
    return counts


def _bodies(client: Any, today: date, wanted: int) -> list[dict[str, Any]]:
    """Booking bodies for distinct free slots of every doctor over the horizon, shuffled, a new user each."""
    slots = []
    for doctor in client.get("/api/doctors/").get_json():
        for window in range(api.HORIZON_WINDOWS):
            first = today + timedelta(days=31 * window)
            answer = client.get(f"/api/v1/doctors/{doctor['doctor_id']}/slots",
                                query_string={"from": first.isoformat(), "to": (first + timedelta(days=30)).isoformat()})
            slots += [(doctor, slot["starts_at"]) for slot in answer.get_json()] if answer.status_code == 200 else []
    random.Random(10).shuffle(slots)
    if len(slots) < wanted:
        raise SystemExit(f"only {len(slots)} free slots for {wanted} bookings: fewer rounds or bookings")
    return [api.booking_body(doctor, starts_at, api.BOOKING_USER_BASE_ID + number)
            for number, (doctor, starts_at) in enumerate(slots[:wanted])]


def _book(client: Any, body: dict[str, Any]) -> int:
    """1 when the booking was not made."""
    return int(client.post(api.BOOKING_PATH, json=body).status_code >= 300)


def _settle(app: Any) -> None:
    """Everything handed over so far published (a checkout that publishes on the request's thread has nothing to
    wait for)."""
    task_queue = app.extensions.get("task_queue")
    if task_queue is not None:
        task_queue.wait_until_published(timeout=60)


def _instrument(callgrind: bool, switch: str) -> None:
    """Switch callgrind's instrumentation of this process on or off (its instruction counts are the host-independent
    measure: CPU time on a shared machine moves with the neighbours)."""
    if callgrind:
        subprocess.run(["callgrind_control", "--instr=" + switch, str(os.getpid())], check=True,
                       stdout=subprocess.DEVNULL)


def _empty_queue(app: Any) -> None:
    celery = app.extensions["celery"]
    with celery.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery.conf.task_default_queue)


def _scheme(app: Any) -> str:
    return str(app.extensions["celery"].conf.broker_url).split(":", 1)[0]


if __name__ == "__main__":
    sys.exit(main())

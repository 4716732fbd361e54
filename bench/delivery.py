"""Delivery benchmark: 2,000 due reminders to 2,000 chats through a real Celery worker process.

The fake Bot API enforces Telegram's flood limits (30 msg/s overall, 1 msg/s per chat; 429 beyond).
Prints sustained messages/s, 429s received, duplicates and losses. Target: >= 27 msg/s, 0, 0, 0.

    python -m bench.delivery [--messages 2000] [--concurrency 8] [--timeout 240] [--kill-after N] [--json]

With --kill-after N the worker is SIGKILLed once Telegram has received N messages and a replacement
worker is started: the report adds how many messages were in flight at the kill, how many chats got
a message twice, and how long the dead worker's messages took to go out again (beat's sweep runs here
every OUTBOX_SWEEP_INTERVAL, as in production).

Uses its own database (BENCH_DB_NAME + "_delivery", recreated) and Redis database (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/14, flushed). `python -m bench` runs it with --json and puts it in its table.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a standalone script: the project and its test fake, without installing

import redis  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from medsync import clock, create_app  # noqa: E402
from medsync.config import current_settings  # noqa: E402
from medsync.extensions import db  # noqa: E402
from medsync.models import Booking, OutboxMessage, Patient, User  # noqa: E402
from medsync.services.outbox import dedupe_key  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from bench.one_doctor import add_bench_doctor  # noqa: E402
from bench.server import RESULTS_KEY, process_cpu_seconds  # noqa: E402
from tests.support.database import recreate_database  # noqa: E402
from workers.delivery import sweep_outbox  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "medsync_bench") + "_delivery"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
BOT_TOKEN = "123456:BENCH-delivery"
FIRST_CHAT = 800_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="worker threads")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes sharing the queue (and the Telegram limiter in Redis)")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for every row to settle")
    parser.add_argument("--kill-after", type=int, default=0, help="SIGKILL the worker after this many sends")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake Bot API takes to answer")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    args = parser.parse_args()

    os.environ.setdefault("RESULTS_KEY", RESULTS_KEY)  # for this process's app and the workers it starts
    database_url = recreate_database(DB_NAME)
    redis.Redis.from_url(REDIS_URL).flushdb()
    with FakeTelegramAPI(enforce_limits=True, max_calls=None, latency=args.latency) as fake:
        settings = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "BOT_TOKEN": BOT_TOKEN,
                    "TELEGRAM_API_URL": fake.url, "LOG_LEVEL": "WARNING",
                    "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "")}
        app = create_app(settings)
        with app.app_context():
            upgrade()
            _seed(args.messages)
            workers = [_start_worker(settings, args.concurrency, f"bench{number}") for number in range(args.workers)]
            crash: dict[str, float] = {}
            try:
                started = time.monotonic()
                sweep_outbox()
                if args.kill_after:
                    crash = _kill_mid_run(fake, workers, settings, args.concurrency, args.kill_after)
                settled = _wait_until_settled(args.messages, args.timeout, crash)
                elapsed = time.monotonic() - started
                numbers = _numbers(fake, args.messages, settled, elapsed)
                numbers["workers"] = args.workers
                # The worker processes' CPU (user + system, from /proc) per message sent: start-up included.
                numbers["worker_cpu_ms_per_message"] = 1000 * sum(
                    process_cpu_seconds(worker.pid) for worker in workers) / max(numbers["sent"], 1)
                print(json.dumps(numbers) if args.json else _report(numbers, crash))
            finally:
                for worker in workers:
                    worker.terminate()
                    worker.wait(timeout=30)
    return 0


def _kill_mid_run(fake: FakeTelegramAPI, workers: list[subprocess.Popen], settings: dict[str, str],
                  concurrency: int, after: int) -> dict[str, float]:
    """SIGKILL the worker once `after` messages reached Telegram; start a replacement; note what was in flight."""
    while len(fake.calls("sendMessage", failed=False)) < after:
        time.sleep(0.01)
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait(timeout=30)
    killed_at = time.monotonic()
    in_flight = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "sending")).all()
    db.session.commit()
    workers.append(_start_worker(settings, concurrency, "replacement"))
    return {"killed_at": killed_at, "in_flight": len(in_flight), "in_flight_ids": in_flight}


def _seed(count: int) -> None:
    """One doctor, `count` patients each with a future booking and a reminder that is due now."""
    now = clock.now()
    doctor = add_bench_doctor()
    chats = range(FIRST_CHAT, FIRST_CHAT + count)
    db.session.execute(insert(User), [{"telegram_id": chat, "first_name": "Patient"} for chat in chats])
    patient_ids = db.session.scalars(insert(Patient).returning(Patient.id, sort_by_parameter_order=True), [
        {"user_id": chat, "first_name": "Patient", "last_name": str(chat), "phone": "+380500000000"} for chat in chats
    ]).all()
    starts = [now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1, minutes=30 * index)
              for index in range(count)]
    booking_ids = db.session.scalars(
        insert(Booking).returning(Booking.id, sort_by_parameter_order=True),
        [{"user_id": chat, "patient_id": patient_id, "clinic_id": doctor.clinic_id, "doctor_id": doctor.id, "starts_at": start,
          "ends_at": start + timedelta(minutes=30), "status": "booked", "patient_first_name": "Patient",
          "patient_last_name": str(chat), "patient_phone": "+380500000000", "ical_uid": f"bench-{chat}@medsync"}
         for chat, patient_id, start in zip(chats, patient_ids, starts)],
    ).all()
    db.session.execute(insert(OutboxMessage), [
        {"kind": "reminder", "dedupe_key": dedupe_key("booking", booking_id, "reminder", "2h"), "booking_id": booking_id,
         "chat_id": chat, "payload": {"offset": "2h"}, "due_at": now - timedelta(seconds=1), "status": "pending"}
        for booking_id, chat in zip(booking_ids, chats)
    ])
    db.session.commit()


def _start_worker(settings: dict[str, str], concurrency: int, name: str) -> subprocess.Popen:
    env = {**os.environ, **settings, "FLASK_SKIP_DOTENV": "1"}  # the checkout's .env is not the bench's
    command = [sys.executable, "-m", "celery", "--quiet", "-A", "celery_app", "worker", "--pool", "threads",
               "--concurrency", str(concurrency), "--loglevel", "WARNING", "--hostname", f"{name}@medsync",
               "--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_until_settled(count: int, timeout: float, crash: dict[str, float]) -> int:
    """Poll until every row is settled, running beat's sweep on its schedule meanwhile."""
    deadline = time.monotonic() + timeout
    sweep_every = current_settings().OUTBOX_SWEEP_INTERVAL.total_seconds()
    next_sweep = time.monotonic() + sweep_every
    settled = 0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_sweep:
            sweep_outbox()
            next_sweep += sweep_every
        settled = db.session.scalar(
            select(func.count()).where(OutboxMessage.status.in_(("sent", "failed", "skipped")))
        )
        if crash.get("in_flight_ids") and "recovered_at" not in crash:
            unsent = db.session.scalar(select(func.count()).where(
                OutboxMessage.id.in_(crash["in_flight_ids"]), OutboxMessage.status != "sent"))
            if unsent == 0:
                crash["recovered_at"] = time.monotonic()
        db.session.commit()
        print(f"\r{settled}/{count} settled", end="", file=sys.stderr, flush=True)
        if settled >= count:
            break
        time.sleep(0.5)
    print(file=sys.stderr)
    return settled


def _numbers(fake: FakeTelegramAPI, count: int, settled: int, elapsed: float) -> dict[str, float]:
    """Sustained rate (first to last send), 429s, duplicates and losses, from the rows and the fake's record."""
    statuses = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())
    first_sent, last_sent = db.session.execute(
        select(func.min(OutboxMessage.sent_at), func.max(OutboxMessage.sent_at))
    ).one()
    delivered = collections.Counter(call.chat_id for call in fake.calls("sendMessage", failed=False))
    span = (last_sent - first_sent).total_seconds() if first_sent and last_sent else 0.0
    return {
        "messages": count, "sent": statuses.get("sent", 0), "failed": statuses.get("failed", 0),
        "skipped": statuses.get("skipped", 0), "unsettled": count - settled,
        "rate": (statuses.get("sent", 1) - 1) / span if span else 0.0, "elapsed": elapsed,
        "refused_429": len([call for call in fake.calls("sendMessage", failed=True) if call.status == 429]),
        "duplicates": sum(times - 1 for times in delivered.values() if times > 1),
        "lost": count - len(delivered),
    }


def _report(numbers: dict[str, float], crash: dict[str, float]) -> str:
    rows = [
        ("messages", f"{numbers['messages']}"),
        ("sent / failed / skipped / unsettled", f"{numbers['sent']} / {numbers['failed']} / "
                                                f"{numbers['skipped']} / {numbers['unsettled']}"),
        ("sustained messages/s (first→last send)", f"{numbers['rate']:.1f}"),
        ("wall time from sweep to all settled", f"{numbers['elapsed']:.1f} s"),
        ("429s received", f"{numbers['refused_429']}"),
        ("duplicates (extra sends to a chat)", f"{numbers['duplicates']}"),
        ("lost (chats never reached)", f"{numbers['lost']}"),
    ]
    if crash:
        recovery = crash.get("recovered_at", float("nan")) - crash["killed_at"]
        rows += [
            ("worker SIGKILLed with messages in flight", f"{crash['in_flight']}"),
            ("in-flight messages sent again within (kill → sent)", f"{recovery:.1f} s"),
        ]
    width = max(len(name) for name, _ in rows)
    lines = ["delivery benchmark (fake Bot API enforcing 30/s overall, 1/s per chat)"]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

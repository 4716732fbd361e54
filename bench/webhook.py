"""Webhook throughput: /start and "My bookings" page turns through gunicorn, answered via the fake Bot API.

    python -m bench.webhook [--seconds 10] [--concurrency 32] [--worker-class gthread] [--workers 2] [--threads 8]

Builds its own database (created, migrated with `flask db upgrade`, the demo catalog from
`flask medsync seed-demo`, then patients with 12 upcoming bookings each), starts the fake Bot API and
gunicorn on `wsgi:app`, and posts real Update JSON with unique update ids from `--concurrency` keep-alive
clients for a bounded time per scenario. Prints updates/s and p50/p99 latency for each.
Uses the Redis database given by --redis-url (flushed first): keep it apart from a running test suite.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import redis

from tests.support.database import database_url as database_url_of
from tests.support.database import recreate_database

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456:BENCH-medsync-token"
WEBHOOK_SECRET = "bench-webhook-secret"
PATIENT_BASE_ID = 900_000_000
NEW_USER_BASE_ID = 910_000_000
BOOKINGS_PER_PATIENT = 12


@dataclass
class Scenario:
    name: str
    make_update: Callable[[int], dict[str, Any]]


@dataclass
class Outcome:
    name: str
    seconds: float
    latencies: list[float]
    failures: int

    def line(self) -> str:
        count = len(self.latencies)
        if count < 2:
            return f"{self.name:<12} no successful updates ({self.failures} failed)"
        centiles = statistics.quantiles(self.latencies, n=100)
        return (
            f"{self.name:<12} {count / self.seconds:8.0f} updates/s   p50 {statistics.median(self.latencies) * 1000:6.1f} ms"
            f"   p99 {centiles[98] * 1000:6.1f} ms   ({count} updates, {self.failures} failed)"
        )


def main() -> int:
    args = _arguments()
    database_url = database_url_of(args.database)
    redis.Redis.from_url(args.redis_url).flushdb()
    with _fake_telegram() as telegram_url:
        env = _app_env(database_url, args.redis_url, telegram_url)
        _prepare_database(args.database, env, args.patients)
        with tempfile.TemporaryFile("w+") as server_log, _gunicorn(env, args, server_log) as port:
            print(f"gunicorn {args.worker_class} workers={args.workers} threads={args.threads}, "
                  f"{args.concurrency} clients, {args.seconds}s per scenario")
            for scenario in _scenarios(args.patients):
                _run(port, scenario, args.concurrency, seconds=1.0)  # warm-up: connections, pools, caches
                print(_run(port, scenario, args.concurrency, seconds=args.seconds).line(), flush=True)
            server_log.seek(0)
            errors = sum("telegram update" in line for line in server_log)
            print(f"handler errors logged by the app: {errors}")
    redis.Redis.from_url(args.redis_url).flushdb()
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=32, help="clients posting at the same time")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="threads per gthread worker")
    parser.add_argument("--patients", type=int, default=48, help=f"patients with {BOOKINGS_PER_PATIENT} bookings")
    parser.add_argument("--database", default="medsync_bench_bot")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    return parser.parse_args()


def _app_env(database_url: str, redis_url: str, telegram_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TELEGRAM_API_URL": telegram_url,
        "BOT_TOKEN": BOT_TOKEN, "WEBHOOK_SECRET": WEBHOOK_SECRET, "WEBAPP_URL": "https://webapp.medsync.bench",
        "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi:app", "PYTHONPATH": str(ROOT),
    }


# --- setup -------------------------------------------------------------------------------------------


def _prepare_database(name: str, env: dict[str, str], patients: int) -> None:
    """A fresh database: migrated, demo catalog, and patients with upcoming bookings."""
    recreate_database(name)
    for command in (["db", "upgrade"], ["medsync", "seed-demo"]):
        subprocess.run([sys.executable, "-m", "flask", *command], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _book_patients(env, patients)


def _book_patients(env: dict[str, str], patients: int) -> None:
    """Each patient books 12 slots with one demo doctor, through the booking service."""
    from medsync import clock, create_app
    from medsync.extensions import db
    from medsync.models import Doctor
    from medsync.services import availability, bookings, users
    from medsync.services.bookings import PatientDetails
    from medsync.services.outbox import install_commit_hook

    app = create_app({key: env[key] for key in ("DATABASE_URL", "REDIS_URL", "BOT_TOKEN", "TELEGRAM_API_URL")})
    install_commit_hook(app, send=lambda message_id: None)  # nobody delivers in this bench
    with app.app_context():
        doctors = db.session.scalars(db.select(Doctor).order_by(Doctor.id)).all()
        today = clock.now().date()
        free: dict[int, Iterator[Any]] = {}
        for number in range(patients):
            doctor = doctors[number % len(doctors)]
            if doctor.id not in free:
                resource = availability.doctor_resource(doctor.id)
                free[doctor.id] = iter(availability.free_slots(resource, today, today + timedelta(days=30)))
            telegram_id = PATIENT_BASE_ID + number
            users.upsert_user(telegram_id, first_name="Bench", last_name=str(number))
            for _ in range(BOOKINGS_PER_PATIENT):
                slot = next(free[doctor.id])
                bookings.book(user_id=telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                              starts_at=slot.starts_at,
                              patient=PatientDetails("Bench", str(number), "+380500000000"))
            db.session.commit()
        db.engine.dispose()


@contextmanager
def _fake_telegram() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0", "--quiet", "--max-calls", "1000"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        yield process.stdout.readline().strip()
    finally:
        _stop(process)


@contextmanager
def _gunicorn(env: dict[str, str], args: argparse.Namespace, log: IO[str]) -> Iterator[int]:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "wsgi:app", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
               "-k", args.worker_class, "--log-level", "warning"]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=log)
    try:
        _wait_until_serving(port)
        yield port
    finally:
        _stop(process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


# --- load ----------------------------------------------------------------------------------------------

_update_ids = itertools.count(int(time.time()) * 1000)


def _person(telegram_id: int) -> dict[str, Any]:
    return {"id": telegram_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}


def _start_update(sequence: int) -> dict[str, Any]:
    """/start from one of 1000 returning users (each upsert touches one row, rarely the same one at once)."""
    user = _person(NEW_USER_BASE_ID + sequence % 1000)
    return {"update_id": next(_update_ids), "message": {
        "message_id": sequence + 1, "from": user, "chat": {"id": user["id"], "type": "private"}, "date": 0,
        "text": "/start", "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
    }}


def _page_turn_update(patients: int) -> Callable[[int], dict[str, Any]]:
    def update(sequence: int) -> dict[str, Any]:
        """▶ / ◀ on a patient's 12 bookings: pages 1, 2, 3 in turn."""
        user = _person(PATIENT_BASE_ID + sequence % patients)
        return {"update_id": next(_update_ids), "callback_query": {
            "id": str(sequence), "from": user, "chat_instance": "1", "data": f"bl:upcoming:{sequence // patients % 3 + 1}",
            "message": {"message_id": 1, "chat": {"id": user["id"], "type": "private"}, "date": 0, "text": "…"},
        }}

    return update


def _scenarios(patients: int) -> list[Scenario]:
    return [Scenario("/start", _start_update), Scenario("page turn", _page_turn_update(patients))]


def _run(port: int, scenario: Scenario, concurrency: int, *, seconds: float) -> Outcome:
    """`concurrency` clients post updates back to back until the time is up."""
    sequence = itertools.count()
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failures = [0] * concurrency

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        while time.monotonic() < deadline:
            body = json.dumps(scenario.make_update(next(sequence)))
            began = time.perf_counter()
            connection.request("POST", "/telegram/webhook", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                latencies[index].append(time.perf_counter() - began)
            else:
                failures[index] += 1
        connection.close()

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return Outcome(scenario.name, elapsed, [value for values in latencies for value in values], sum(failures))


if __name__ == "__main__":
    sys.exit(main())

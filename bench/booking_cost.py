"""What one booking costs in one process: CPU µs of Python and of PostgreSQL, and Python calls, per booking.

    python -m bench.booking_cost [--checkout DIR] [--bookings 400] [--warmup 100] [--callgrind] [--json]

Books `--warmup` and then `--bookings` free slots of the demo catalog through the Flask test client (the
original front end's `book_slot`, a new user each: the statement with the user row), one at a time, and
measures the measured ones: the process's CPU time, the CPU time of the database's server processes (from
/proc) and, in a second pass of the same size, the Python calls (cProfile; `--no-calls` skips it). Instructions
per booking: run it under `valgrind --tool=callgrind` at two sizes and divide the difference (bench/README), or
under `valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no` with `--callgrind` (and `--no-calls`):
then callgrind counts only the measured bookings, on the thread that makes them (a hand-over published by another
thread is not counted), and the total it reports divided by `--bookings` is the figure.
`--checkout` runs another checkout's code (say `git archive` of an earlier commit unpacked in /tmp) with this
virtualenv, so two versions can be compared in turn on the same machine; each run builds its own database from
that checkout's migrations. The CPU figures move with the machine's load: compare runs interleaved, the calls are exact.

Uses PostgreSQL as the tests do (TEST_PG_ADMIN_URL) and the Redis database of BENCH_REDIS_URL (default
redis://127.0.0.1:6379/14; emptied).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456:BENCH-booking-cost"
FIRST_USER = 930_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    parser.add_argument("--bookings", type=int, default=400, help="measured bookings per pass")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--database", default="medsync_bench_booking_cost")
    parser.add_argument("--no-calls", action="store_true", help="skip the pass that counts Python calls (cProfile)")
    parser.add_argument("--callgrind", action="store_true",
                        help="under `valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no`: count the measured "
                             "bookings only")
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    args = parser.parse_args()
    sys.path.insert(0, str(args.checkout.resolve()))  # before anything of the project is imported
    os.environ["FLASK_SKIP_DOTENV"] = "1"
    os.environ.pop("BOT_TOKEN", None)
    figures = _measure(args)
    if args.json:
        print(json.dumps(figures))
    else:
        print(" | ".join(f"{name} {value:,.0f}" for name, value in figures.items()))
    return 0


def _measure(args: argparse.Namespace) -> dict[str, float]:
    import redis
    from cryptography.fernet import Fernet
    from flask_migrate import upgrade

    from medsync import create_app
    from medsync.config import Settings
    from medsync.extensions import db
    from medsync.services.seed import seed_demo_catalog
    from tests.support.database import drop_database, recreate_database
    from tests.support.initdata import sign_init_data

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    redis.Redis.from_url(redis_url).flushdb()
    settings = {
        "DATABASE_URL": recreate_database(args.database), "REDIS_URL": redis_url, "BOT_TOKEN": BOT_TOKEN,
        "WEBHOOK_SECRET": "bench", "WEBAPP_URL": "https://webapp.medsync.test", "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "BOOKING_RATE_LIMIT": "1000000 per minute",
    }
    if hasattr(Settings, "RESULTS_KEY"):  # nothing starts without one since results are encrypted (none read here)
        settings["RESULTS_KEY"] = (Fernet.generate_key().decode(),)
    app = create_app(settings)
    try:
        with app.app_context():
            upgrade()
            seed_demo_catalog()
            db.session.commit()
            db.session.remove()
        client = app.test_client()
        bodies = iter(_bodies(client, 2 * args.bookings + args.warmup, sign_init_data))
        _book(client, bodies, args.warmup)
        with app.app_context():
            backends = _backends(db.engine, args.database)
        collect = _callgrind_switch() if args.callgrind else lambda: None
        python, server = time.process_time(), _cpu_seconds(backends)
        collect()
        _book(client, bodies, args.bookings)
        collect()
        python, server = time.process_time() - python, _cpu_seconds(backends) - server
        calls = 0
        if not args.no_calls:
            profile = cProfile.Profile()
            profile.runcall(_book, client, bodies, args.bookings)
            calls = pstats.Stats(profile).total_calls
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(args.database)
        redis.Redis.from_url(redis_url).flushdb()
    return {"python µs": python / args.bookings * 1e6, "PostgreSQL µs": server / args.bookings * 1e6,
            "Python calls": calls / args.bookings}


def _bodies(client, wanted: int, sign_init_data) -> list[dict]:
    """`book_slot` bodies for distinct free slots of every doctor, soonest days first, each for a new user."""
    today = date.today()
    slots = []
    for window in range(2):
        first = today + timedelta(days=31 * window)
        for doctor in client.get("/api/doctors/").get_json():
            answer = client.get(f"/api/v1/doctors/{doctor['doctor_id']}/slots",
                                query_string={"from": first, "to": first + timedelta(days=30)})
            slots += [(doctor, slot["starts_at"]) for slot in answer.get_json()] if answer.status_code == 200 else []
    if len(slots) < wanted:
        raise SystemExit(f"only {len(slots)} free slots for {wanted} bookings")
    return [
        {"doctor_id": doctor["doctor_id"], "location_id": doctor["location_id"], "booking_date_time": starts_at,
         "user_name": "Bench", "user_surname": "Cost", "user_phone": "+380500000000", "user_email": "",
         "userInitData": sign_init_data(BOT_TOKEN, {"id": FIRST_USER + number, "first_name": "Bench"})}
        for number, (doctor, starts_at) in enumerate(slots[:wanted])
    ]


def _book(client, bodies, count: int) -> None:
    for _ in range(count):
        answer = client.post("/api/doctors/book_slot", json=next(bodies))
        if answer.status_code != 200:
            raise SystemExit(f"a booking answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")


def _callgrind_switch():
    """A function that switches callgrind's counting of this thread on, and at its next call off again
    (valgrind/callgrind.h's client requests, loaded with ctypes: nothing runs outside the process, unlike
    callgrind_control). Run under `--instr-atstart=no --collect-atstart=no`: the set-up runs uninstrumented (several
    times faster under valgrind), and the hand-over thread's publishing is not counted (it batches by time)."""
    import ctypes
    import subprocess
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="callgrind_switch_"))
    (folder / "switch.c").write_text(
        "#include <valgrind/callgrind.h>\n"
        "void count(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }\n"
        "void stop(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_STOP_INSTRUMENTATION; }\n")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", folder / "switch.so", folder / "switch.c"], check=True)
    library = ctypes.CDLL(str(folder / "switch.so"))
    switches = iter([library.count, library.stop])
    return lambda: next(switches)()


def _backends(engine, database: str) -> list[int]:
    """The server processes of the app's pooled connections (one at a time here: the pool keeps one)."""
    with engine.connect() as connection:
        return list(connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = %(name)s", {"name": database}).scalars())


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


if __name__ == "__main__":
    sys.exit(main())

"""Free slots from rotas against free slots from clinic hours: the slots function in-process, µs per call.

    python -m bench.slots_profile --compare /path/to/an/older/checkout [--calls 300] [--rounds 7]
    python -m bench.slots_profile --one        (this checkout only, one JSON line: what --compare runs)

Issue 18 asks that free slots from per-doctor rotas stay within 10 % of free slots from the clinic's hours. `make
bench` measures whole requests through gunicorn (±10 % noise on a shared machine); this measures the function
itself, `availability.free_spans` over 31 days (its one query for the bookings included) and its grid alone
(`_grid_spans`), on the demo catalog with a few bookings. `--compare` runs this checkout and an older one in turn,
round by round in fresh processes (so load on the machine hits both alike), each on a database of its own
(migrated by its own checkout). Cases: a demo doctor without hours of its own (both checkouts), the same doctor
with a rota of two stretches a day on weekdays and a day override (this checkout, when it has rotas).

Uses PostgreSQL as the tests do (TEST_PG_ADMIN_URL) and the Redis of BENCH_REDIS_URL (default
redis://127.0.0.1:6379/14: the catalog version is all it touches).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
NOW = datetime(2026, 12, 1, 6, tzinfo=timezone.utc)


def measure(calls: int, database: str) -> dict[str, float]:
    """µs per call of each case in this process's checkout (the first on sys.path)."""
    from flask_migrate import upgrade

    from medsync import clock, create_app
    from medsync.extensions import db
    from medsync.services import availability
    from medsync.services.seed import seed_demo_catalog
    from tests.support.database import database_url, recreate_database

    recreate_database(database)
    app = create_app({"DATABASE_URL": database_url(database), "REDIS_URL": REDIS_URL,
                      "RESULTS_DIR": tempfile.mkdtemp()})
    clock.now = lambda: NOW
    with app.app_context():
        upgrade()
        seed_demo_catalog()
        db.session.commit()
        from medsync.models import Doctor

        doctors = db.session.query(Doctor).order_by(Doctor.id).limit(2).all()
        results = {"clinic hours": _time(availability, doctors[0].id, calls)}
        if _add_rota(db, doctors[1].id):
            results["own rota"] = _time(availability, doctors[1].id, calls)
        db.session.remove()
        db.engine.dispose()
    return results


def _add_rota(db, doctor_id: int) -> bool:
    """Weekdays 09-13 and 14-18, Saturday 10-14, a day override; False on a checkout without rotas."""
    from datetime import time as clock_time

    try:
        from medsync.models import DayOverride, OverrideInterval, Rota, RotaInterval
    except ImportError:
        return False
    intervals = [RotaInterval(weekday=weekday, starts_at=clock_time(start), ends_at=clock_time(end))
                 for weekday in range(1, 6) for start, end in ((9, 13), (14, 18))]
    intervals.append(RotaInterval(weekday=6, starts_at=clock_time(10), ends_at=clock_time(14)))
    db.session.add(Rota(doctor_id=doctor_id, valid_from=date(2026, 1, 1), intervals=intervals))
    db.session.add(DayOverride(doctor_id=doctor_id, day=date(2026, 12, 10),
                               intervals=[OverrideInterval(starts_at=clock_time(15), ends_at=clock_time(17))]))
    db.session.commit()
    return True


def _time(availability, doctor_id: int, calls: int) -> dict[str, float]:
    schedule = availability.doctor_schedule(doctor_id)
    first = NOW.date()
    last = first + timedelta(days=availability.MAX_RANGE_DAYS - 1)
    spans = availability.free_spans(schedule, first, last, now=NOW).spans
    assert spans, "no free slots: nothing measured"
    whole = _per_call(lambda: availability.free_spans(availability.doctor_schedule(doctor_id), first, last, now=NOW),
                      calls)
    grid = _per_call(lambda: availability._grid_spans(availability.doctor_schedule(doctor_id), first, last), calls)
    return {"free_spans": whole, "grid": grid, "slots": len(spans)}


def _per_call(call, calls: int) -> float:
    for _ in range(calls // 10):
        call()
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e6


def compare(older: Path, calls: int, rounds: int) -> None:
    runs: dict[str, list[dict]] = {"this": [], "older": []}
    for _ in range(rounds):
        for name, checkout in (("this", ROOT), ("older", older)):
            env = {**os.environ, "PYTHONPATH": str(checkout), "FLASK_SKIP_DOTENV": "1"}
            output = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "slots_profile.py"), "--one", "--calls", str(calls),
                 "--database", f"medsync_slots_profile_{name}"],
                env=env, cwd=checkout, check=True, capture_output=True, text=True,
            ).stdout
            runs[name].append(json.loads(output.strip().splitlines()[-1]))
    print(f"{'case':<28}{'median µs':>12}{'fastest µs':>12}  (rounds: {rounds}, calls per round: {calls})")
    for name, results in runs.items():
        for case in results[0]:
            for part in ("free_spans", "grid"):
                values = [result[case][part] for result in results]
                print(f"{name + ' / ' + case + ' / ' + part:<28}{statistics.median(values):>12.1f}{min(values):>12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--one", action="store_true")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", default="medsync_slots_profile")
    arguments = parser.parse_args()
    if arguments.one:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(measure(arguments.calls, arguments.database)))
    elif arguments.compare:
        compare(arguments.compare.resolve(), arguments.calls, arguments.rounds)
    else:
        parser.error("--compare CHECKOUT or --one")


if __name__ == "__main__":
    main()

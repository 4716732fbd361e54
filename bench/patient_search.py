"""`python -m bench.patient_search`: the front desk's patient search (issue 19) on 100,000 patients, p50 and p99.

    python -m bench.patient_search [--patients 100000] [--requests 1000] [--reuse]

Its own database (BENCH_PATIENTS_DB_NAME, default `medsync_bench_patients`; recreated unless --reuse): the
migrations and the demo catalog, then the patients generated in PostgreSQL — names from bench.scale's lists (their
surnames crossed with endings: 300 of them), phones +38050…, a third with Telegram — each with one past visit at a
demo clinic. Then `GET /api/v1/staff/patients?q=` is timed in this process through Flask's test client (auth, the
view, the schema and the SQL, no network or gunicorn), for a mix of what a receptionist types: three digits of a
phone, more digits, a surname's start, a first name and a surname's start; half the requests with a token of every
clinic, half with a reception token of one clinic. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

from flask_migrate import upgrade
from sqlalchemy import text

from bench.scale import FIRST_NAMES, LAST_NAMES
from bench.server import RESULTS_KEY
from medsync import create_app
from medsync.extensions import db
from medsync.models import StaffRole
from medsync.services import staff_tokens
from medsync.services.seed import seed_demo_catalog
from tests.support.database import database_url, recreate_database

DB_NAME = os.environ.get("BENCH_PATIENTS_DB_NAME", "medsync_bench_patients")
REDIS_URL = os.environ.get("BENCH_PATIENTS_REDIS_URL", "redis://127.0.0.1:6379/15")
ENDINGS = ["", "ko", "enko", "uk", "chuk", "ska", "skyi", "ova", "yn", "iak"]
TELEGRAM_BASE = 800_000_000
TARGET_P99_MS = 20.0

PATIENTS = """
INSERT INTO users (telegram_id, first_name)
SELECT :telegram_base + n, 'Bench' FROM generate_series(1, :patients) n WHERE n % 3 = 0;

INSERT INTO patients (first_name, last_name, phone, user_id)
SELECT (CAST(:first_names AS text[]))[1 + n % cardinality(CAST(:first_names AS text[]))],
       (CAST(:last_names AS text[]))[1 + (n / 7) % cardinality(CAST(:last_names AS text[]))]
           || (CAST(:endings AS text[]))[1 + (n / 11) % cardinality(CAST(:endings AS text[]))],
       '+38050' || lpad(((n * 7919) % 10000000)::text, 7, '0'),
       CASE WHEN n % 3 = 0 THEN :telegram_base + n END
FROM generate_series(1, :patients) n;

-- One past visit each, an hour apart at the demo doctors (no two overlap: the exclusion constraints stay quiet).
INSERT INTO bookings (patient_id, user_id, clinic_id, doctor_id, starts_at, ends_at, status, patient_first_name,
                      patient_last_name, patient_phone, ical_uid)
SELECT patients.id, patients.user_id, doctor.clinic_id, doctor.id,
       timestamptz '2016-01-01 08:00Z' + patients.id * interval '1 hour',
       timestamptz '2016-01-01 09:00Z' + patients.id * interval '1 hour', 'fulfilled', patients.first_name,
       patients.last_name, patients.phone, 'bench-patient-' || patients.id
FROM patients
JOIN LATERAL (SELECT id, clinic_id FROM doctors ORDER BY id OFFSET patients.id % (SELECT count(*) FROM doctors)
              LIMIT 1) doctor ON true;
"""


def build(patients: int) -> None:
    """The database: migrations, the demo catalog, the patients and their visits; ANALYZE'd."""
    recreate_database(DB_NAME)
    app = _app()
    with app.app_context():
        upgrade()
        seed_demo_catalog()
        db.session.commit()
        started = time.perf_counter()
        for statement in filter(str.strip, PATIENTS.split(";\n")):
            db.session.execute(text(statement), {
                "patients": patients, "telegram_base": TELEGRAM_BASE, "first_names": FIRST_NAMES,
                "last_names": LAST_NAMES, "endings": ENDINGS,
            })
        db.session.commit()
        db.session.execute(text("ANALYZE patients, bookings, users"))
        db.session.commit()
        print(f"generated {patients:,} patients in {time.perf_counter() - started:.1f} s")


def queries(rng: random.Random) -> list[str]:
    """What the desk types, in the mix it types it."""
    surname = rng.choice(LAST_NAMES) + rng.choice(ENDINGS)
    return [
        f"{rng.randrange(1000):03d}",  # three digits heard on the phone
        f"{rng.randrange(100000):05d}",
        surname[: rng.randint(4, len(surname))].lower(),
        f"{rng.choice(FIRST_NAMES)} {surname[:4]}",
    ]


def measure(requests: int) -> dict[str, float]:
    """Time `requests` searches through the app; milliseconds."""
    app = _app()
    rng = random.Random(19)
    with app.app_context():
        _, everywhere = staff_tokens.issue("bench: every clinic")
        _, one_clinic = staff_tokens.issue("bench: reception", role=StaffRole.RECEPTION, clinic_ids=[1])
        db.session.commit()
    client = app.test_client()
    headers = [{"Authorization": f"Bearer {token}"} for token in (everywhere, one_clinic)]
    timings, cpu, found = [], [], []
    for number in range(requests + 50):  # the first 50 warm the pools and the plans up
        query = rng.choice(queries(rng))
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get("/api/v1/staff/patients", query_string={"q": query}, headers=headers[number % 2])
        elapsed, elapsed_cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
        assert response.status_code == 200, response.get_json()
        if number >= 50:
            timings.append(elapsed)
            cpu.append(elapsed_cpu)
            found.append(response.get_json()["pagination"]["total"])
    timings.sort()
    return {
        "requests": requests, "p50_ms": statistics.median(timings), "p99_ms": timings[int(len(timings) * 0.99) - 1],
        "max_ms": timings[-1], "median_found": statistics.median(found), "target_p99_ms": TARGET_P99_MS,
        # This process's own CPU per request (the app's Python, not PostgreSQL's): what a busy machine moves least.
        "app_cpu_p50_ms": statistics.median(cpu),
    }


def _app():
    return create_app({"DATABASE_URL": database_url(DB_NAME), "REDIS_URL": REDIS_URL,
                       "TELEGRAM_API_URL": "http://127.0.0.1:9", "LOG_LEVEL": "WARNING",
                       "RESULTS_KEY": (RESULTS_KEY,)})  # no results are read here, but nothing starts without a key


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.patient_search", description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database an earlier run built (migrated to the head first)")
    args = parser.parse_args()
    if args.reuse:
        with _app().app_context():
            upgrade()  # a database an older checkout built: brought to the migrations' head
    else:
        build(args.patients)
    numbers = measure(args.requests)
    numbers["met"] = numbers["p99_ms"] <= TARGET_P99_MS
    print(json.dumps(numbers))


if __name__ == "__main__":
    main()

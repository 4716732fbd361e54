"""Erasing a patient with a long history (issue 20: 1,000 bookings in under a second).

A patient with `--bookings` past visits (and `--results` of them with a result file) and three upcoming visits is
erased with `erasure.erase_patient` and committed, timed; repeated `--rounds` times on fresh patients, with the
statements sent counted (the same whatever the history: tests/privacy/test_erasure.py checks that).

    python -m bench.erasure [--bookings 1000] [--results 20] [--rounds 5] [--json]

Uses its own database (BENCH_DB_NAME + "_erasure", recreated) and a temporary RESULTS_DIR.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a standalone script: the project, without installing

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from medsync import clock, create_app  # noqa: E402
from medsync.extensions import db  # noqa: E402
from medsync.models import Booking, Patient, Result, User  # noqa: E402
from medsync.services import erasure, result_files  # noqa: E402
from tests.support.database import recreate_database  # noqa: E402
from bench.one_doctor import add_bench_doctor  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "medsync_bench") + "_erasure"
FIRST_PATIENT = 900_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--results", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    database_url = recreate_database(DB_NAME)
    with tempfile.TemporaryDirectory() as results_dir:
        app = create_app({"DATABASE_URL": database_url, "RESULTS_DIR": results_dir, "LOG_LEVEL": "WARNING",
                          "RESULTS_KEY": (Fernet.generate_key().decode(),)})
        with app.app_context():
            upgrade()
            doctor_id, clinic_id = _catalog()
            seconds, statements = [], []
            for number in range(args.rounds):
                patient = FIRST_PATIENT + number
                _history(patient, doctor_id, clinic_id, args.bookings, args.results, Path(results_dir), number)
                sent: list[str] = []

                def count(*call: object) -> None:
                    sent.append(str(call[2]))

                event.listen(db.engine, "before_cursor_execute", count)
                started = time.perf_counter()
                done = erasure.erase_patient(patient)
                db.session.commit()
                seconds.append(time.perf_counter() - started)
                event.remove(db.engine, "before_cursor_execute", count)
                statements.append(len(sent))
                assert done.anonymised == args.bookings + 3 and done.results_deleted == args.results
    numbers = {"bookings": args.bookings + 3, "results": args.results, "median_ms": statistics.median(seconds) * 1000,
               "max_ms": max(seconds) * 1000, "statements": statements[0]}
    print(json.dumps(numbers) if args.json else
          f"erased {numbers['bookings']} bookings and {numbers['results']} results: median "
          f"{numbers['median_ms']:.0f} ms, slowest {numbers['max_ms']:.0f} ms of {args.rounds}, "
          f"{numbers['statements']} statements")
    return 0


def _catalog() -> tuple[int, int]:
    doctor = add_bench_doctor()
    db.session.commit()
    return doctor.id, doctor.clinic_id


def _history(patient: int, doctor_id: int, clinic_id: int, past: int, with_results: int, results_dir: Path,
             round_number: int) -> None:
    """`past` visits years back (each patient on its own stretch of the doctor's calendar), 3 upcoming, results."""
    db.session.add(User(telegram_id=patient, first_name="Bench", last_name="Patient"))
    db.session.flush()
    patient_id = db.session.scalar(insert(Patient).returning(Patient.id).values(
        user_id=patient, first_name="Bench", last_name="Patient", phone="+380500000000", email="bench@example.com"))
    now = clock.now()
    first = now - timedelta(days=3000) + timedelta(days=round_number * 60)
    starts = [first + timedelta(hours=hour) for hour in range(past)]
    starts += [now + timedelta(days=30 + round_number, hours=hour) for hour in range(3)]
    booking_ids = db.session.scalars(insert(Booking).returning(Booking.id, sort_by_parameter_order=True), [
        {"user_id": patient, "patient_id": patient_id, "clinic_id": clinic_id, "doctor_id": doctor_id, "starts_at": start,
         "ends_at": start + timedelta(minutes=30), "status": "fulfilled" if start < now else "booked",
         "patient_first_name": "Bench", "patient_last_name": "Patient", "patient_phone": "+380500000000",
         "patient_email": "bench@example.com", "ical_uid": f"{patient}-{index}@medsync"}
        for index, start in enumerate(starts)]).all()
    keys = result_files.current_keys()
    for index, booking_id in enumerate(booking_ids[:with_results]):
        relative = f"{booking_id}/{index:064d}.pdf"
        result_files.write_atomically(results_dir / relative, result_files.seal(keys, b"%PDF-1.4 bench"))
        db.session.add(Result(booking_id=booking_id, title="Bench", file_name="bench.pdf", storage_path=relative,
                              size_bytes=14, sha256="0" * 64, encrypted_with=keys.current))
    db.session.commit()


if __name__ == "__main__":
    raise SystemExit(main())

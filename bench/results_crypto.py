"""What encrypting result files at rest costs a result's upload and delivery (issue 20: at most 10 %).

The same functions timed with and without encryption in one run, alternating round by round so both see the same
machine: `results.store_result` (checks, hash, write, fsync, row, outbox; commit) as the staff upload calls it, and
`send_result_document` (read the file, upload it to the fake Bot API) as a delivery's first send does. "plain" swaps
the encrypting write and the decrypting read for the plain ones they replaced; nothing else changes.

    python -m bench.results_crypto [--rounds 30] [--sizes 300000,5000000] [--json]

Uses its own database (BENCH_DB_NAME + "_results", recreated) and a temporary RESULTS_DIR.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a standalone script: the project and its test fake, without installing

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from medsync import clock, create_app  # noqa: E402
from medsync.bot import get_bot  # noqa: E402
from medsync.bot.documents import ResultDocument, send_result_document  # noqa: E402
from medsync.extensions import db  # noqa: E402
from medsync.models import Booking, Clinic, Doctor, Patient, Specialty, User  # noqa: E402
from medsync.services import result_files, results  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402
from tests.support.database import recreate_database  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "medsync_bench") + "_results"
BOT_TOKEN = "123456:BENCH-results"
CHAT = 800_000_001


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sizes", default="300000,5000000", help="PDF sizes in bytes, comma-separated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    database_url = recreate_database(DB_NAME)
    with FakeTelegramAPI(max_calls=None) as fake, tempfile.TemporaryDirectory() as results_dir:
        app = create_app({"DATABASE_URL": database_url, "BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_URL": fake.url,
                          "RESULTS_DIR": results_dir, "RESULTS_KEY": (Fernet.generate_key().decode(),),
                          "LOG_LEVEL": "WARNING"})
        with app.app_context():
            upgrade()
            booking_id = _seed()
            numbers = {size: _measure(booking_id, size, args.rounds) for size in sizes}
    print(json.dumps(numbers) if args.json else _report(numbers))
    return 0


def _measure(booking_id: int, size: int, rounds: int) -> dict[str, dict[str, float]]:
    """Median milliseconds of an upload and of a first delivery, encrypted and plain, alternating each round."""
    timings: dict[str, dict[str, list[float]]] = {step: {"plain": [], "encrypted": []} for step in ("upload", "send")}
    for number in range(rounds):
        for mode in ("plain", "encrypted") if number % 2 else ("encrypted", "plain"):
            content = b"%PDF-1.4\n" + os.urandom(size - 9)  # random bytes: no compression or dedupe helps either side
            with _mode(mode):
                started = time.perf_counter()
                result = results.store_result(booking_id, content=content, file_name="bench.pdf")
                db.session.commit()
                timings["upload"][mode].append(time.perf_counter() - started)
                document = ResultDocument.of(result)
                started = time.perf_counter()
                send_result_document(get_bot(), CHAT, document, "Your result")
                timings["send"][mode].append(time.perf_counter() - started)
                db.session.commit()
    return {step: {mode: statistics.median(values) * 1000 for mode, values in by_mode.items()}
            for step, by_mode in timings.items()}


@contextmanager
def _mode(mode: str):
    """"plain": the write and read as they were before encryption (no key named on the row); the plain write is
    `write_atomically`, 256 KiB per write() like the sealed one, so the two differ by the encryption only."""
    if mode == "encrypted":
        yield
        return
    write, read = result_files.write, result_files.read

    def plain_write(path: Path, content: bytes) -> None:
        result_files.write_atomically(path, content)

    result_files.write = plain_write
    result_files.read = lambda stored: stored.path.read_bytes()
    try:
        yield
    finally:
        result_files.write, result_files.read = write, read


def _seed() -> int:
    """One visit that took place, to attach results to."""
    clinic = Clinic(slug="bench", name="Bench Clinic", address="1 Bench St, Kyiv", timezone="Europe/Kyiv")
    specialty = Specialty(slug="therapist", name="Therapist")
    db.session.add_all([clinic, specialty, User(telegram_id=CHAT, first_name="Patient")])
    db.session.flush()
    doctor = Doctor(slug="bench-doctor", clinic_id=clinic.id, specialty_id=specialty.id, full_name="Dr. Bench",
                    price=Decimal("500.00"), appointment_minutes=30)
    db.session.add(doctor)
    db.session.flush()
    patient = Patient(first_name="Patient", last_name="Bench", phone="+380500000000", user_id=CHAT)
    db.session.add(patient)
    db.session.flush()
    starts = clock.now() - timedelta(days=1)
    booking = Booking(patient_id=patient.id, user_id=CHAT, clinic_id=clinic.id, doctor_id=doctor.id, starts_at=starts,
                      ends_at=starts + timedelta(minutes=30), status="arrived", patient_first_name="Patient",
                      patient_last_name="Bench", patient_phone="+380500000000", ical_uid="bench@medsync")
    db.session.add(booking)
    db.session.commit()
    return booking.id


def _report(numbers: dict[int, dict[str, dict[str, float]]]) -> str:
    lines = [f"{'size':>10}  {'step':<7}{'plain ms':>10}{'encrypted ms':>14}{'added':>8}"]
    for size, steps in numbers.items():
        for step, by_mode in steps.items():
            added = by_mode["encrypted"] / by_mode["plain"] - 1
            lines.append(f"{size:>10,}  {step:<7}{by_mode['plain']:>10.2f}{by_mode['encrypted']:>14.2f}{added:>8.1%}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

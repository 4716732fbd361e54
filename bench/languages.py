"""What a request's language costs: µs per request of catalog and slot reads through Flask's test client, in-process.

    python -m bench.languages [--calls 2000] [--rounds 5] [--profile PATH]

Each round sends `--calls` GETs of one path with one `Accept-Language` (the patients' browsers send a handful of
distinct headers); the table gives the median and the fastest round per request, with no language at all beside
the others, so what choosing a language adds is the difference. Everything but the answer cache's hit is the
same work as in gunicorn (WSGI, routing, the language, the cached answer), without the network. `--profile` also
writes a cProfile of one round per path (`python -m pstats PATH`).

Its own database (BENCH_DB_NAME + "_languages", recreated, migrated, the demo catalog) and Redis database
(BENCH_REDIS_URL, flushed); compare two checkouts by running each in turn on the same machine.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a standalone script: the project and its test support, without installing

import redis  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from medsync import clock, create_app  # noqa: E402
from medsync.extensions import db  # noqa: E402
from medsync.services.seed import seed_demo_catalog  # noqa: E402
from tests.support.database import drop_database, recreate_database  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "medsync_bench") + "_languages"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
HEADERS = {
    "none": None,
    "en": "en-GB,en;q=0.9",
    "uk": "uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7",
    "ru": "ru-RU,ru;q=0.9",
    "pl": "pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7",
}


PATHS = {"GET /api/v1/doctors": "/api/v1/doctors", "GET /api/v1/doctors/1/slots (7 days)": "/api/v1/doctors/1/slots"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a cProfile of one round of each path here")
    args = parser.parse_args()

    with prepared_app() as app:
        client = app.test_client()
        print("| request | Accept-Language | median µs/request | fastest round µs/request |\n|---|---|---:|---:|")
        profiler = cProfile.Profile() if args.profile else None
        for name in PATHS:
            for language in HEADERS:
                send = warmed(client, name, language)
                median, fastest = _rounds(send, args.calls, args.rounds)
                print(f"| {name} | {language} | {median:.0f} | {fastest:.0f} |")
                if profiler is not None and language == "uk":
                    profiler.runcall(lambda: [send() for _ in range(args.calls)])
        if profiler is not None:
            profiler.dump_stats(args.profile)
    return 0


@contextmanager
def prepared_app() -> Iterator[Flask]:
    """The app on its own database holding the demo catalog (dropped afterwards)."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app({"DATABASE_URL": recreate_database(DB_NAME), "REDIS_URL": REDIS_URL, "BOT_TOKEN": "",
                      "RESULTS_DIR": tempfile.mkdtemp(prefix="bench-languages-")})
    try:
        with app.app_context():
            upgrade()
            seed_demo_catalog()
            db.session.commit()
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(DB_NAME)


def warmed(client: FlaskClient, name: str, language: str) -> Callable[[], Any]:
    """One request of the path `name` in `language`, after 50 that load what it reads (the catalog snapshot, its
    answers in this language, the statements)."""
    path = PATHS[name]
    if "slots" in path:
        day = (clock.now() + timedelta(days=1)).date()
        path += f"?from={day}&to={day + timedelta(days=6)}"
    header = HEADERS[language]
    headers = {"Accept-Language": header} if header else {}

    def send() -> Any:
        return client.get(path, headers=headers)

    for _ in range(50):
        assert send().status_code == 200
    return send


def _rounds(call, calls: int, rounds: int) -> tuple[float, float]:
    per_call = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        per_call.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(per_call), min(per_call)


if __name__ == "__main__":
    sys.exit(main())

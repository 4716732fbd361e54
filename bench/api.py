"""Load the Web App API under gunicorn at 32 concurrent connections and print requests/s, p50, p99, errors.

    python bench/api.py [--seconds 8] [--connections 32] [--workers 4] [--threads 1] [--worker-class sync]

Creates (drops first) the PostgreSQL database `medsync_bench`, migrates and seeds it, starts
`gunicorn wsgi:app` on a free localhost port and drives it with an aiohttp load generator split over
two processes; when `wrk` is installed (Debian package `wrk`) the GET endpoints are measured with it
too. On a 2-core machine the generator competes with the server for the same cores, so the numbers
are a floor, not the server's ceiling. Booking creation books a different user into a
different free slot on every request (signed initData, the front end's POST /api/doctors/book_slot).
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.database import recreate_database  # noqa: E402 - the repository root must be importable first
from tests.support.initdata import sign_init_data  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "medsync_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
BOT_TOKEN = "123456:BENCH-medsync-token"
GENERATOR_PROCESSES = 2


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    bodies: list[dict[str, Any]] | None = None


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0


def prepare_database(name: str = DB_NAME) -> str:
    """A freshly migrated and seeded bench database; returns its URL."""
    database_url = recreate_database(name)
    redis.Redis.from_url(REDIS_URL).flushdb()

    from flask_migrate import upgrade

    from medsync import create_app
    from medsync.extensions import db
    from medsync.services.seed import seed_demo_catalog

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "BOT_TOKEN": BOT_TOKEN,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        seed_demo_catalog()
        db.session.commit()
        db.engine.dispose()
    return database_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(database_url: str, port: int, options: argparse.Namespace) -> subprocess.Popen:
    env = {
        **os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "BOT_TOKEN": BOT_TOKEN,
        "LOG_LEVEL": "WARNING", "BOOKING_RATE_LIMIT": "100 per minute",
        "SQLALCHEMY_POOL_SIZE": str(max(2, options.threads)), "SQLALCHEMY_MAX_OVERFLOW": "2",
    }
    command = [
        sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
        "--workers", str(options.workers), "--worker-class", options.worker_class,
        "--threads", str(options.threads), "--log-level", "warning", "--backlog", "2048",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def booking_bodies(base: str, wanted: int) -> list[dict[str, Any]]:
    """One book_slot body per free doctor slot (up to `wanted`), each for a different Telegram user."""
    doctors = requests.get(f"{base}/api/doctors/", timeout=10).json()
    today = datetime.now(timezone.utc).date()
    bodies: list[dict[str, Any]] = []
    for window in range(2):
        first, last = today + timedelta(days=31 * window), today + timedelta(days=31 * window + 30)
        for doctor in doctors:
            slots = requests.get(
                f"{base}/api/v1/doctors/{doctor['doctor_id']}/slots", params={"from": first, "to": last}, timeout=10
            ).json()
            for slot in slots:
                user_id = 900_000_000 + len(bodies)
                bodies.append({
                    "doctor_id": doctor["doctor_id"], "location_id": doctor["location_id"],
                    "booking_date_time": slot["starts_at"], "user_name": "Bench", "user_surname": f"User{user_id}",
                    "user_phone": "+380500000000", "user_email": "bench@example.com",
                    "userInitData": sign_init_data(BOT_TOKEN, {"id": user_id, "first_name": "Bench"}),
                })
                if len(bodies) >= wanted:
                    return bodies
    return bodies


async def _drive(url: str, method: str, bodies: list | None, connections: int, seconds: float) -> Outcome:
    outcome = Outcome()
    queue = iter(bodies) if bodies is not None else None
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)

    async def connection(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            body = next(queue, None) if queue is not None else None
            if queue is not None and body is None:
                return
            started = time.perf_counter()
            try:
                async with session.request(method, url, json=body) as response:
                    await response.read()
                    failed = response.status >= 400
            except aiohttp.ClientError:
                failed = True
            outcome.latencies.append(time.perf_counter() - started)
            outcome.errors += failed

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(connection(session) for _ in range(connections)))
    outcome.elapsed = time.perf_counter() - started
    return outcome


def _generator_process(arguments: tuple) -> tuple[list[float], int, float]:
    """One load-generator process; plain values cross the process boundary (this module may be __main__)."""
    outcome = asyncio.run(_drive(*arguments))
    return outcome.latencies, outcome.errors, outcome.elapsed


def run_scenario(pool: Any, base: str, scenario: Scenario, connections: int, seconds: float) -> dict[str, Any]:
    share = connections // GENERATOR_PROCESSES
    parts = [
        (f"{base}{scenario.path}", scenario.method,
         scenario.bodies[index::GENERATOR_PROCESSES] if scenario.bodies is not None else None, share, seconds)
        for index in range(GENERATOR_PROCESSES)
    ]
    outcomes = [Outcome(*values) for values in pool.map(_generator_process, parts)]
    latencies = sorted(latency for outcome in outcomes for latency in outcome.latencies)
    elapsed = max(outcome.elapsed for outcome in outcomes)
    return {
        "name": scenario.name, "requests": len(latencies), "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        "errors": sum(outcome.errors for outcome in outcomes),
    }


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(base: str, scenario: Scenario, connections: int, seconds: float) -> dict[str, Any]:
    """GET scenarios through wrk (C, much lighter than a Python client on the same two cores)."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", f"{base}{scenario.path}"],
        capture_output=True, text=True, check=True,
    ).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * _WRK_UNITS[unit]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "name": scenario.name + " [wrk]", "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"), "p99": latency("99"),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(count) for count in socket_errors.groups()) if socket_errors else 0),
    }


def print_table(rows: list[dict[str, Any]], options: argparse.Namespace) -> None:
    print(f"\ngunicorn: {options.workers} workers × {options.threads} threads ({options.worker_class}); "
          f"{options.connections} connections; {options.seconds:g} s per endpoint; {os.cpu_count()} CPUs")
    print(f"{'endpoint':<46} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in rows:
        print(f"{row['name']:<46} {row['requests']:>9} {row['rps']:>9.0f} {row['p50']:>8.1f} {row['p99']:>8.1f} "
              f"{row['errors']:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    options = parser.parse_args()

    database_url = prepare_database()
    port = free_port()
    server = start_gunicorn(database_url, port, options)
    base = f"http://127.0.0.1:{port}"
    try:
        today = datetime.now(timezone.utc).date()
        scenarios = [
            Scenario("GET /api/doctors/", "GET", "/api/doctors/"),
            Scenario("GET /api/doctors/1", "GET", "/api/doctors/1"),
            Scenario("GET /api/diagnostics/", "GET", "/api/diagnostics/"),
            Scenario("GET /api/v1/doctors/1/slots (31 days)", "GET",
                     f"/api/v1/doctors/1/slots?from={today}&to={today + timedelta(days=30)}"),
            Scenario("POST /api/doctors/book_slot", "POST", "/api/doctors/book_slot",
                     booking_bodies(base, wanted=20_000)),
        ]
        with multiprocessing.get_context("spawn").Pool(GENERATOR_PROCESSES) as pool:
            # Warm-up: every worker process loads its catalog snapshot before anything is measured.
            for scenario in scenarios[:-1]:
                pool.map(_generator_process, [(f"{base}{scenario.path}", "GET", None, 4, 0.5)] * GENERATOR_PROCESSES)
            rows = [run_scenario(pool, base, scenario, options.connections, options.seconds) for scenario in scenarios]
        if shutil.which("wrk"):
            rows += [run_wrk(base, scenario, options.connections, options.seconds)
                     for scenario in scenarios if scenario.method == "GET"]
        print_table(rows, options)
        print(f"(booking creation had {len(scenarios[-1].bodies)} distinct free slots to book)")
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    main()

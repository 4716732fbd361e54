"""`python -m bench` (what `make bench` runs): every scenario of issue 10 in one run, one table.

    python -m bench [--seconds 5] [--rounds 3] [--connections 32] [--skip webapp,delivery]

One database (BENCH_DB_NAME, recreated: migrations and the demo catalog, as `make db` builds it) and one
Redis database (BENCH_REDIS_URL, flushed); gunicorn started from gunicorn.conf.py as the Procfile starts it,
its Telegram replies going to the fake Bot API. wrk -t2 -c32 measures each HTTP scenario right after a
/healthz run, so every ratio compares two runs seconds apart on the same (shared, noisy) machine, in three
rounds: the medians are shown and judged, the notes give the ranges.
Delivery runs through a real Celery worker on its own database; the Mini App in Debian's Chromium.
"""
from __future__ import annotations

import argparse
import json
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

from bench import api, server, webapp, webhook, wrk
from bench.table import Row, Target, at_least, healthz_row, like_healthz, render
from tests.support.database import database_url

GROUPS = ("api", "webhook", "webapp", "booking", "delivery")
READ_TARGETS = {
    "GET /api/doctors/": like_healthz(0.8, 1.5),
    "GET /api/v1/doctors/1/slots (31 days)": at_least(1_700, 50),
}


def main() -> int:
    args = _arguments()
    wrk.require_wrk()
    started, load_before = datetime.now(timezone.utc), os.getloadavg()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="medsync-bench-") as scratch, server.fake_telegram() as telegram_url:
        env = server.app_env(database_url(server.DB_NAME), telegram_url)
        server.prepare_database(server.DB_NAME, env)
        log = Path(scratch, "gunicorn.log")
        with log.open("w") as log_file, server.gunicorn(env, log=log_file) as web:
            base = web.base
            bench = Bench(web, args)
            today = started.date()
            webhook.book_patients(base, today, args.patients)
            bench.warm_up([read.path for read in api.reads(today)])
            if "api" not in args.skip:
                rows += [bench.beside_healthz(read.name, lambda _round, read=read: bench.get(read.path),
                                              READ_TARGETS.get(read.name)) for read in api.reads(today)]
            if "webhook" not in args.skip:
                rows += [_webhook_row(bench, scenario, Path(scratch), log)
                         for scenario in webhook.scenarios(args.patients)]
            if "webapp" not in args.skip:
                rows += _webapp_rows(base, args.browser_runs)
            if "booking" not in args.skip:
                rows.append(_booking_row(bench, today, Path(scratch)))
            bench.healthz()
            healthz = bench.healthz_row()
    if "delivery" not in args.skip:
        rows.append(_delivery_row(args.delivery_messages))
    rows.insert(0, healthz)
    print(_header(started, load_before))
    print(render(rows))
    return 0


class Bench:
    """wrk against the running server, each scenario right after a /healthz run."""

    def __init__(self, web: server.Server, args: argparse.Namespace) -> None:
        self.web, self.base, self.seconds, self.connections = web, web.base, args.seconds, args.connections
        self.rounds = args.rounds
        self.healthz_runs: list[wrk.Measure] = []
        self.healthz_cpu_us: list[float] = []

    def get(self, path: str, seconds: float | None = None) -> wrk.Measure:
        return wrk.run(f"{self.base}{path}", seconds=seconds or self.seconds, connections=self.connections)

    def post(self, path: str, bodies: Path, headers: dict[str, str]) -> wrk.Measure:
        return wrk.run(f"{self.base}{path}", seconds=self.seconds, connections=self.connections, bodies=bodies,
                       headers=headers)

    def warm_up(self, paths: list[str]) -> None:
        """Every worker process and thread has served each read (snapshots loaded, pools filled)."""
        for path in ["/healthz", *paths]:
            self.get(path, seconds=1)

    def healthz(self) -> wrk.Measure:
        measure, cpu_us = self._with_cpu(lambda: self.get("/healthz"))
        self.healthz_runs.append(measure)
        self.healthz_cpu_us.append(cpu_us)
        return measure

    def beside_healthz(self, name: str, scenario: Callable[[int], wrk.Measure], target: Target | None) -> Row:
        """`scenario(round)` run `rounds` times, each right after a /healthz run. The row holds the medians of
        the rounds (rate, p50, p99, CPU) beside the medians of those /healthz runs, and the verdict compares
        medians; the notes give the ranges. One slow burst of a shared machine then moves a range, not the
        verdict."""
        measures, healthz_runs, cpus = [], [], []
        for number in range(self.rounds):
            healthz = self.healthz()
            measure, cpu_us = self._with_cpu(lambda: scenario(number))
            print(f"  {name}, round {number + 1}: {measure.rate:,.0f}/s, p99 {measure.p99_ms:.1f} ms (/healthz "
                  f"{healthz.rate:,.0f}/s, p99 {healthz.p99_ms:.1f} ms)", file=sys.stderr, flush=True)
            measures.append(measure)
            healthz_runs.append(healthz)
            cpus.append(cpu_us)
        row = Row.of(name, wrk.median(measures), wrk.median(healthz_runs), target)
        row.cpu_us = statistics.median(cpus)
        if len(measures) > 1:
            rates, tails = [each.rate for each in measures], [each.p99_ms for each in measures]
            row.notes.insert(0, f"median of {len(measures)} rounds: {min(rates):,.0f}–{max(rates):,.0f}/s, "
                                f"p99 {min(tails):.1f}–{max(tails):.1f} ms")
        return row

    def healthz_row(self) -> Row:
        return healthz_row(self.healthz_runs, statistics.median(self.healthz_cpu_us))

    def _with_cpu(self, scenario: Callable[[], wrk.Measure]) -> tuple[wrk.Measure, float]:
        """The run, and gunicorn's CPU microseconds per request during it."""
        before = self.web.cpu_seconds()
        measure = scenario()
        return measure, (self.web.cpu_seconds() - before) / max(1, measure.requests) * 1e6


def _webhook_row(bench: Bench, scenario: webhook.Scenario, scratch: Path, log: Path) -> Row:
    updates = scratch / "updates.jsonl"
    webhook.warm_up(bench.base, scenario)
    failed_before = _handler_failures(log)

    def run(_round: int) -> wrk.Measure:
        webhook.write_updates(scenario, count=int(bench.seconds * 4_000), path=updates)  # new update ids each round
        return bench.post(webhook.PATH, updates, webhook.HEADERS)

    row = bench.beside_healthz(scenario.name, run, at_least(500))
    failed = _handler_failures(log) - failed_before
    row.errors += failed
    row.notes.append(f"updates/s; {failed} handler errors logged")
    return row


def _handler_failures(log: Path) -> int:
    return sum("telegram update" in line for line in log.read_text().splitlines())


def _booking_row(bench: Bench, today: date, scratch: Path) -> Row:
    bodies = scratch / "bookings.jsonl"
    offered = api.write_booking_bodies(bench.base, today, wanted=int(bench.seconds * 2_500) * bench.rounds,
                                       path=bodies)
    lines = bodies.read_text().splitlines(keepends=True)
    share = len(lines) // bench.rounds

    def run(number: int) -> wrk.Measure:  # each round books slots no other round offers
        round_bodies = scratch / f"bookings-{number}.jsonl"
        round_bodies.write_text("".join(lines[number * share:(number + 1) * share]))
        return bench.post(api.BOOKING_PATH, round_bodies, {"Content-Type": "application/json"})

    row = bench.beside_healthz("POST /api/doctors/book_slot (new slot, new user)", run, at_least(500, 150))
    row.notes.append(f"{offered:,} distinct free slots offered, {share:,} per round")
    return row


def _webapp_rows(base: str, runs: int) -> list[Row]:
    measures = webapp.measure_runs(base, runs)
    size = measures[0]["bytes"]
    rows = [Row("Mini App first page, HTML+CSS+JS", target=Target(f"≤ {webapp.BUDGET // 1024} KB",
                                                                 lambda *_: size <= webapp.BUDGET),
                notes=[f"{size / 1024:.1f} KB"])]
    for key, name in (("fcp_ms", "Mini App first contentful paint"), ("picker_ms", "Mini App slot picker offers a time")):
        values = [measure[key] for measure in measures]
        rows.append(Row(name, p50_ms=statistics.median(values),
                        notes=[f"{runs} cold runs in Chromium, {min(values):.0f}–{max(values):.0f} ms"]))
    return rows


def _delivery_row(messages: int) -> Row:
    """bench.delivery in its own process (its own database, a real Celery worker, the limit-enforcing fake)."""
    output = subprocess.run([sys.executable, "-m", "bench.delivery", "--messages", str(messages), "--json"],
                            cwd=server.ROOT, check=True, capture_output=True, text=True).stdout
    # The Celery worker shares that stdout (its shutdown notice comes after): take the one JSON line.
    numbers = json.loads(next(line for line in output.splitlines() if line.startswith('{"messages"')))
    clean = numbers["refused_429"] == 0 and numbers["duplicates"] == 0 and numbers["lost"] == 0
    row = Row("delivery, reminders through Celery to the fake Bot API", rate=numbers["rate"],
              errors=numbers["refused_429"] + numbers["duplicates"] + numbers["lost"] + numbers["unsettled"],
              target=Target("≥ 27 msg/s; 0 429s, duplicates, losses", lambda *_: numbers["rate"] >= 27 and clean))
    row.notes.append(f"msg/s; {numbers['messages']} messages: {numbers['refused_429']} 429s, "
                     f"{numbers['duplicates']} duplicates, {numbers['lost']} lost")
    return row


def _header(started: datetime, load_before: tuple[float, float, float]) -> str:
    config = runpy.run_path(str(server.GUNICORN_CONFIG))
    threads = f" × {config['threads']} threads" if "threads" in config else ""
    return (
        f"\nMedSync bench, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; wrk -t{wrk.THREADS}; gunicorn.conf.py: "
        f"{config.get('worker_class', 'sync')}, {config.get('workers', 1)} workers{threads}, "
        f"access log {'on' if config.get('accesslog') else 'off'}\n"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each HTTP scenario (each after its own /healthz run); the median is shown")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--patients", type=int, default=32, help="webhook patients, 12 bookings each")
    parser.add_argument("--browser-runs", type=int, default=5, help="cold Mini App visits in Chromium")
    parser.add_argument("--delivery-messages", type=int, default=600, help="reminders the delivery bench sends")
    parser.add_argument("--skip", type=lambda text: set(filter(None, text.split(","))), default=set(),
                        help=f"comma-separated groups to leave out: {', '.join(GROUPS)}")
    args = parser.parse_args()
    if args.skip - set(GROUPS):
        parser.error(f"unknown groups: {', '.join(sorted(args.skip - set(GROUPS)))}")
    return args


if __name__ == "__main__":
    sys.exit(main())

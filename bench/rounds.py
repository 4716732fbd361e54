"""Rounds of wrk against one running server, each scenario right after a /healthz run, and the rows they make:
shared by `python -m bench` and its --scale run."""
from __future__ import annotations

import argparse
import os
import runpy
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import requests

from bench import api, server, webhook, wrk
from bench.table import Row, Target, at_least, healthz_row


class Bench:
    """wrk against the running server, each scenario right after a /healthz run."""

    def __init__(self, web: server.Server, args: argparse.Namespace) -> None:
        self.web, self.base, self.seconds, self.connections = web, web.base, args.seconds, args.connections
        self.rounds = args.rounds
        self.healthz_runs: list[wrk.Measure] = []
        self.healthz_cpu_us: list[float] = []

    def get(self, path: str, seconds: float | None = None, *, headers: dict[str, str] | None = None,
            credentials: Path | None = None) -> wrk.Measure:
        """GET `path` again and again; with `credentials`, a file of Authorization values (many users) in turn."""
        return wrk.run(f"{self.base}{path}", seconds=seconds or self.seconds, connections=self.connections,
                       headers=headers, bodies=credentials, method="GET",
                       line_header="Authorization" if credentials else None)

    def post(self, path: str, bodies: Path, headers: dict[str, str]) -> wrk.Measure:
        return wrk.run(f"{self.base}{path}", seconds=self.seconds, connections=self.connections, bodies=bodies,
                       headers=headers)

    def warm_up(self, paths: list[str]) -> None:
        """Every worker process and thread has served each read (snapshots loaded, pools filled)."""
        for path in ["/healthz", *paths]:
            self.get(path, seconds=1)

    def healthz(self) -> wrk.Measure:
        self.settle()
        measure, cpu_us = self._with_cpu(lambda: self.get("/healthz"))
        self.healthz_runs.append(measure)
        self.healthz_cpu_us.append(cpu_us)
        return measure

    def settle(self, quick: float = 0.25, timeout: float = 120.0) -> None:
        """Wait until the server has worked off what the last run left: requests wrk gave up on (its timeout is
        10 s) still hold the server's threads, and a /healthz run among them would measure their tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = time.monotonic()
            requests.get(f"{self.base}/healthz", timeout=timeout)
            if time.monotonic() - started < quick:
                return

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


def webhook_row(bench: Bench, scenario: webhook.Scenario, scratch: Path, log: Path) -> Row:
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


def booking_row(bench: Bench, today: date, scratch: Path) -> Row:
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


def header(started: datetime, load_before: tuple[float, float, float], web_processes: int = 0) -> str:
    config = runpy.run_path(str(server.GUNICORN_CONFIG))
    if web_processes:
        config["workers"] = web_processes
    threads = f" × {config['threads']} threads" if "threads" in config else ""
    return (
        f"\nMedSync bench, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; wrk -t{wrk.THREADS}; gunicorn.conf.py: "
        f"{config.get('worker_class', 'sync')}, {config.get('workers', 1)} workers{threads}, "
        f"access log {'on' if config.get('accesslog') else 'off'}\n"
    )

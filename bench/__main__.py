"""`python -m bench` (what `make bench` runs): every scenario of issue 10 in one run, one table.

    python -m bench [--seconds 5] [--rounds 3] [--connections 32] [--skip webapp,delivery]
    python -m bench --scale [--scale-factor 1 | --reuse-network] …
        (issue 21: the demo database beside a generated clinic network; bench/scale_run.py)

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
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench import api, scale_run, server, webapp, webhook, wrk
from bench.rounds import Bench, booking_row, header, webhook_row
from bench.table import Row, Target, at_least, like_healthz, render
from tests.support.database import database_url

GROUPS = ("api", "webhook", "webapp", "booking", "delivery")
READ_TARGETS = {
    "GET /api/doctors/": like_healthz(0.8, 1.5),
    "GET /api/v1/doctors/1/slots (31 days)": at_least(1_700, 50),
}


def main() -> int:
    args = _arguments()
    if args.scale:
        return scale_run.main(args)
    wrk.require_wrk()
    started, load_before = datetime.now(timezone.utc), os.getloadavg()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="medsync-bench-") as scratch, server.fake_telegram() as telegram_url:
        env = server.app_env(database_url(server.DB_NAME), telegram_url)
        server.prepare_database(server.DB_NAME, env)
        log = Path(scratch, "gunicorn.log")
        processes = ("--workers", str(args.web_processes)) if args.web_processes else ()
        with log.open("w") as log_file, server.gunicorn(env, *processes, log=log_file) as web:
            base = web.base
            bench = Bench(web, args)
            today = started.date()
            webhook.book_patients(base, today, args.patients)
            bench.warm_up([read.path for read in api.reads(today)])
            if "api" not in args.skip:
                rows += [bench.beside_healthz(read.name, lambda _round, read=read: bench.get(read.path),
                                              READ_TARGETS.get(read.name)) for read in api.reads(today)]
            if "webhook" not in args.skip:
                rows += [webhook_row(bench, scenario, Path(scratch), log)
                         for scenario in webhook.scenarios(args.patients)]
            if "webapp" not in args.skip:
                rows += _webapp_rows(base, args.browser_runs)
            if "booking" not in args.skip:
                rows.append(booking_row(bench, today, Path(scratch)))
            bench.healthz()
            healthz = bench.healthz_row()
    if "delivery" not in args.skip:
        rows.append(_delivery_row(args.delivery_messages, args.delivery_workers))
    rows.insert(0, healthz)
    print(header(started, load_before, args.web_processes))
    print(render(rows))
    return 0


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


def _delivery_row(messages: int, workers: int) -> Row:
    """bench.delivery in its own process (its own database, real Celery workers, the limit-enforcing fake)."""
    output = subprocess.run([sys.executable, "-m", "bench.delivery", "--messages", str(messages),
                             "--workers", str(workers), "--json"],
                            cwd=server.ROOT, check=True, capture_output=True, text=True).stdout
    # The Celery worker shares that stdout (its shutdown notice comes after): take the one JSON line.
    numbers = json.loads(next(line for line in output.splitlines() if line.startswith('{"messages"')))
    clean = numbers["refused_429"] == 0 and numbers["duplicates"] == 0 and numbers["lost"] == 0
    row = Row("delivery, reminders through Celery to the fake Bot API", rate=numbers["rate"],
              errors=numbers["refused_429"] + numbers["duplicates"] + numbers["lost"] + numbers["unsettled"],
              target=Target("≥ 27 msg/s; 0 429s, duplicates, losses", lambda *_: numbers["rate"] >= 27 and clean))
    row.notes.append(f"msg/s; {numbers['messages']} messages, {workers} worker process(es): "
                     f"{numbers['refused_429']} 429s, {numbers['duplicates']} duplicates, {numbers['lost']} lost; "
                     f"worker CPU {numbers['worker_cpu_ms_per_message']:.1f} ms/message")
    return row


def _arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each HTTP scenario (each after its own /healthz run); the median is shown")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--patients", type=int, default=32, help="webhook patients, 12 bookings each")
    parser.add_argument("--browser-runs", type=int, default=5, help="cold Mini App visits in Chromium")
    parser.add_argument("--delivery-messages", type=int, default=600, help="reminders the delivery bench sends")
    parser.add_argument("--web-processes", type=int, default=0,
                        help="gunicorn worker processes (default: gunicorn.conf.py's), each with its threads")
    parser.add_argument("--delivery-workers", type=int, default=1,
                        help="Celery worker processes in the delivery bench (they share the Telegram limiter)")
    parser.add_argument("--skip", type=lambda text: set(filter(None, text.split(","))), default=set(),
                        help=f"comma-separated groups to leave out: {', '.join(GROUPS)}")
    parser.add_argument("--scale", action="store_true",
                        help="issue 21's scale bench: the HTTP groups on the demo database and on a generated clinic "
                             "network, side by side, then the nightly jobs timed on the network")
    parser.add_argument("--scale-factor", type=float, default=1.0,
                        help="with --scale: the network's size (1 = 1,000,000 bookings; 0.01 for a quick look)")
    parser.add_argument("--reuse-network", action="store_true",
                        help="with --scale: keep the network an earlier run generated (BENCH_SCALE_DB_NAME), bring it "
                             "to the migrations' head (`flask db upgrade`) and run the scenarios on it; saves the "
                             "generation's ~8 minutes")
    args = parser.parse_args(argv)
    if args.skip - set(GROUPS):
        parser.error(f"unknown groups: {', '.join(sorted(args.skip - set(GROUPS)))}")
    if args.reuse_network and not args.scale:
        parser.error("--reuse-network is a --scale option")
    return args


if __name__ == "__main__":
    sys.exit(main())

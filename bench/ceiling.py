"""The server's own ceiling: /healthz under wrk -t2 -c32 for variants of gunicorn.conf.py, repeated.

    python -m bench.ceiling [--seconds 5] [--rounds 3] [--only gthread-2x4,sync-4]

Each variant is gunicorn.conf.py with a few settings overridden (worker model and counts, access log,
CPython's GIL switch interval at 1 ms instead of 5). Rounds go through every variant in turn, so the noise of a shared machine
lands on all of them alike; the table gives each variant's range over the rounds, and the server's CPU
time per request (master and workers, from /proc), which the neighbours' load disturbs far less. Uses the bench
database (BENCH_DB_NAME) when it exists (/healthz touches no database; the app only needs settings).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench import server, wrk
from tests.support.database import database_url

VARIANTS: dict[str, dict[str, object]] = {
    "gthread-2x4+access-log": {"worker_class": "gthread", "workers": 2, "threads": 4, "accesslog": "-"},
    "gthread-2x4": {"worker_class": "gthread", "workers": 2, "threads": 4},
    "gthread-2x8": {"worker_class": "gthread", "workers": 2, "threads": 8},
    "gthread-2x2": {"worker_class": "gthread", "workers": 2, "threads": 2},
    "gthread-2x1": {"worker_class": "gthread", "workers": 2, "threads": 1},
    "gthread-3x4": {"worker_class": "gthread", "workers": 3, "threads": 4},
    "gthread-4x4": {"worker_class": "gthread", "workers": 4, "threads": 4},
    "gthread-2x4 GIL-1ms": {"worker_class": "gthread", "workers": 2, "threads": 4, "post_fork": "gil-1ms"},
    "sync-2": {"worker_class": "sync", "workers": 2},
    "sync-4": {"worker_class": "sync", "workers": 4},
    "sync-8": {"worker_class": "sync", "workers": 8},
    "sync-4+access-log": {"worker_class": "sync", "workers": 4, "accesslog": "-"},
    # Keep-alive (gunicorn's default 2 s) and the listen backlog (default 2048): wrk keeps its 32 connections busy.
    "gthread-2x4 keepalive-30s": {"worker_class": "gthread", "workers": 2, "threads": 4, "keepalive": 30},
    "gthread-2x4 backlog-64": {"worker_class": "gthread", "workers": 2, "threads": 4, "backlog": 64},
    # The worker heartbeat touches a file on every pass of the worker's loop: on tmpfs instead of the disk.
    "gthread-2x4 tmp-dir-shm": {"worker_class": "gthread", "workers": 2, "threads": 4, "worker_tmp_dir": "/dev/shm"},
    "as configured": {},
}
DEFAULTS = {"accesslog": None}


def variant_config(overrides: dict[str, object], directory: Path) -> Path:
    """gunicorn.conf.py, then the overrides (the access log is off unless a variant turns it on)."""
    settings = {**DEFAULTS, **overrides} if overrides else {}
    path = directory / f"variant-{abs(hash(tuple(sorted(settings.items()))))}.py"
    lines = [f"exec(compile(open({str(server.GUNICORN_CONFIG)!r}).read(), 'gunicorn.conf.py', 'exec'))"]
    lines += [f"{name} = {value!r}" for name, value in settings.items() if name != "post_fork"]
    if settings.get("post_fork") == "gil-1ms":
        lines += ["import sys", "def post_fork(server, worker):", "    sys.setswitchinterval(0.001)"]
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> int:
    args = _arguments()
    wrk.require_wrk()
    chosen = {name: VARIANTS[name] for name in (args.only or VARIANTS)}
    env = server.app_env(database_url(server.DB_NAME), "http://127.0.0.1:9")
    runs: dict[str, list[wrk.Measure]] = {name: [] for name in chosen}
    cpu: dict[str, list[float]] = {name: [] for name in chosen}
    with tempfile.TemporaryDirectory(prefix="medsync-ceiling-") as scratch:
        for round_number in range(args.rounds):
            for name, overrides in chosen.items():
                with server.gunicorn(env, config=variant_config(overrides, Path(scratch))) as web:
                    wrk.run(f"{web.base}/healthz", seconds=1, connections=args.connections)
                    cpu_before = web.cpu_seconds()
                    measure = wrk.run(f"{web.base}/healthz", seconds=args.seconds, connections=args.connections)
                    cpu_us = (web.cpu_seconds() - cpu_before) / max(1, measure.requests) * 1e6
                runs[name].append(measure)
                cpu[name].append(cpu_us)
                print(f"  round {round_number + 1} {name}: {measure.rate:,.0f}/s p50 {measure.p50_ms:.1f} ms "
                      f"p99 {measure.p99_ms:.1f} ms, {cpu_us:.0f} µs CPU/request (load {os.getloadavg()[0]:.1f})",
                      file=sys.stderr, flush=True)
    print(f"\n/healthz, wrk -t{wrk.THREADS} -c{args.connections}, {args.seconds:g} s × {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs\n")
    print("| gunicorn | req/s | p50 ms | p99 ms (median, range) | server CPU µs/request |\n|---|---:|---:|---:|---:|")
    for name, measures in runs.items():
        rates, tails = [m.rate for m in measures], [m.p99_ms for m in measures]
        print(f"| {name} | {min(rates):,.0f}–{max(rates):,.0f} | {statistics.median(m.p50_ms for m in measures):.1f} "
              f"| {statistics.median(tails):.1f} ({min(tails):.1f}–{max(tails):.1f}) "
              f"| {statistics.median(cpu[name]):.0f} ({min(cpu[name]):.0f}–{max(cpu[name]):.0f}) |")
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", type=lambda text: [name.strip() for name in text.split(",") if name.strip()])
    args = parser.parse_args()
    unknown = set(args.only or ()) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}; known: {', '.join(VARIANTS)}")
    return args


if __name__ == "__main__":
    sys.exit(main())

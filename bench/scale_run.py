"""`python -m bench --scale` (what `make bench-scale` runs): issue 21's scale bench.

Two servers, each started as `make bench` starts its one: on the demo database (BENCH_DB_NAME, built as `make bench`
builds it) and on the clinic network bench/scale.py generates (BENCH_SCALE_DB_NAME, BENCH_SCALE_REDIS_URL,
`--scale-factor`; `--reuse-network` keeps the network an earlier run generated and only brings it to the migrations'
head). Every HTTP scenario runs on the demo server, then on the network's, each round right after that
server's own /healthz run; the table divides each side by its /healthz and compares the two. The jobs beat runs
are timed once on the network first (bench/nightly.py), before the bench's own bookings add messages that no
worker delivers here. The Mini App in Chromium and the delivery bench do not
read the database's size and are `make bench`'s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from bench import api, scale, server, webhook, wrk
from bench.rounds import Bench, booking_row, header, webhook_row
from bench.table import Comparison, Goal, Row, Timing, like_demo, render_comparison
from tests.support.database import database_url

GENERATION_LIMIT_SECONDS = 300
NOSHOW_LIMIT_SECONDS = 1.0
PATIENTS_PER_ROUND = 10_000  # more than a round's requests: each signed-in read is a new patient's
BOT_PAGE_PATIENTS = 1_000  # the network's patients who turn to their past bookings in the bot


@dataclass
class Side:
    """One database with its server and a staff token for it."""

    name: str
    bench: Bench
    log: Path
    staff: dict[str, str]


class Credentials:
    """`Authorization: tma …` values of many patients, a file per use; the same on both sides (one bot token)."""

    def __init__(self, scratch: Path, own_patients: int, generated_patients: int, rounds: int) -> None:
        self.scratch, self.own_patients, self.rounds = scratch, own_patients, rounds
        self.per_round = min(PATIENTS_PER_ROUND, generated_patients // rounds)

    def own(self, _round: int) -> Path:
        """The bench's own patients (12 upcoming bookings each, booked through the API on both sides)."""
        first = webhook.PATIENT_BASE_ID
        return api.write_credentials(range(first, first + self.own_patients), self.scratch / "own-patients.txt")

    def generated(self, number: int) -> Path:
        """Round `number`'s share of the network's patients, none seen in an earlier round: a signed-in patient's
        free slots are cached per patient, and each new one is a cold Mini App session. On the demo database these
        patients have no bookings."""
        first = scale.PATIENT_BASE_ID + number * self.per_round
        return api.write_credentials(range(first, first + self.per_round), self.scratch / f"patients-{number}.txt")


@dataclass(frozen=True)
class Read:
    name: str
    path: str
    goal: Goal
    credentials: Callable[[Credentials, int], Path] | None = None
    staff: bool = False


def reads(today: date) -> list[Read]:
    """Today's bench reads, then the ones a big database slows down (issue 21)."""
    day_list = f"/api/v1/staff/bookings?date={today}"
    return [
        *(Read(read.name, read.path, like_demo()) for read in api.reads(today)),
        Read("GET /api/v1/doctors/1/slots (31 days), signed in: a new patient each time (not cached)",
             api.month_of_slots(today), like_demo(), Credentials.generated),
        Read("GET /api/v1/staff/bookings?date= (today, all clinics)", day_list, like_demo(), staff=True),
        Read("GET /api/v1/staff/bookings?date=&clinic_id=1 (today, one clinic)", f"{day_list}&clinic_id=1",
             like_demo(rate=300), staff=True),
        Read("GET /api/v1/me/bookings?when=upcoming (12 each)", "/api/v1/me/bookings?when=upcoming", like_demo(),
             Credentials.own),
        Read("GET /api/v1/me/bookings?when=past (generated patients)", "/api/v1/me/bookings?when=past",
             like_demo(), Credentials.generated),
    ]


def main(args: argparse.Namespace) -> int:
    wrk.require_wrk()
    started, load_before = datetime.now(timezone.utc), os.getloadavg()
    today = started.date()
    with tempfile.TemporaryDirectory(prefix="medsync-bench-scale-") as scratch, \
            server.fake_telegram() as telegram_url, ExitStack() as servers:
        demo_env = server.app_env(database_url(server.DB_NAME), telegram_url)
        server.prepare_database(server.DB_NAME, demo_env)
        network_env = server.app_env(database_url(server.SCALE_DB_NAME), telegram_url, server.SCALE_REDIS_URL)
        if args.reuse_network:
            server.upgrade_database(network_env)
            generated = scale.existing(database_url(server.SCALE_DB_NAME))
            timings = _nightly_timings(network_env)
        else:
            server.prepare_database(server.SCALE_DB_NAME, network_env)
            generated = scale.generate(database_url(server.SCALE_DB_NAME), scale.Size.of(args.scale_factor))
            print(generated.report(), file=sys.stderr, flush=True)
            timings = [_generation_timing(generated), *_nightly_timings(network_env)]
        sides = [servers.enter_context(_side(name, env, args, Path(scratch), today))
                 for name, env in (("demo", demo_env), ("network", network_env))]
        credentials = Credentials(Path(scratch), args.patients, generated.rows["users"], args.rounds)
        pairs = _compare(sides, args, today, Path(scratch), credentials)
    print(header(started, load_before))
    print(f"The network: {_described(generated, args.reuse_network)}\n")
    print(render_comparison(pairs, timings))
    return 0


@contextmanager
def _side(name: str, env: dict[str, str], args: argparse.Namespace, scratch: Path, today: date) -> Iterator[Side]:
    log = scratch / f"gunicorn-{name}.log"
    with log.open("w") as log_file, server.gunicorn(env, log=log_file) as web:
        webhook.book_patients(web.base, today, args.patients)
        side = Side(name, Bench(web, args), log, {"Authorization": f"Bearer {server.staff_token(env)}"})
        side.bench.warm_up([read.path for read in api.reads(today)])
        yield side


def _compare(sides: list[Side], args: argparse.Namespace, today: date, scratch: Path,
             credentials: Credentials) -> list[Comparison]:
    """Each scenario on the demo side, then on the network's, so both runs of a pair are a minute apart at most."""
    demo, network = sides
    pairs = []
    if "api" not in args.skip:
        pairs += [Comparison(read.name, *(_read_row(side, read, credentials) for side in sides), read.goal)
                  for read in reads(today)]
    if "webhook" not in args.skip:
        scenarios = [*webhook.scenarios(args.patients), webhook.past_page(scale.PATIENT_BASE_ID, BOT_PAGE_PATIENTS)]
        pairs += [Comparison(scenario.name, *(webhook_row(side.bench, scenario, scratch, side.log) for side in sides),
                             like_demo())
                  for scenario in scenarios]
    if "booking" not in args.skip:
        pairs.append(Comparison("POST /api/doctors/book_slot (new slot, new user)",
                                booking_row(demo.bench, today, scratch), booking_row(network.bench, today, scratch),
                                like_demo()))
    for side in sides:
        side.bench.healthz()
    return pairs


def _read_row(side: Side, read: Read, credentials: Credentials) -> Row:
    headers = side.staff if read.staff else None

    def run(number: int) -> wrk.Measure:
        users = read.credentials(credentials, number) if read.credentials else None
        return side.bench.get(read.path, headers=headers, credentials=users)

    return side.bench.beside_healthz(f"{read.name} ({side.name})", run, None)


def _generation_timing(generated: scale.Generated) -> Timing:
    steps = "; ".join(f"{step} {seconds:.0f} s (CPU {generated.cpu_seconds[step]:.0f} s)"
                      for step, seconds in generated.seconds.items())
    done = (f"{generated.total_cpu_seconds:,.0f} s of PostgreSQL CPU: ~{generated.free_cores_seconds:,.0f} s on two "
            f"free cores; {steps}")
    return Timing("generating the network (bench/scale.py)", generated.total_seconds, done, GENERATION_LIMIT_SECONDS)


def _nightly_timings(env: dict[str, str]) -> list[Timing]:
    """bench.nightly in its own process, on the network's database and Redis."""
    output = subprocess.run([sys.executable, "-m", "bench.nightly"], env=env, cwd=server.ROOT, check=True,
                            capture_output=True, text=True).stdout
    jobs = json.loads(output.strip().splitlines()[-1])
    return [Timing(job["what"], job["seconds"], job["done"],
                   NOSHOW_LIMIT_SECONDS if job["what"].startswith("no-show marking (") else None)
            for job in jobs]


def _described(generated: scale.Generated, reused: bool) -> str:
    rows = generated.rows
    when = (f"an earlier run's, brought to the migrations' head, counted {generated.now:%Y-%m-%d %H:%M} UTC" if reused
            else f"generated {generated.now:%Y-%m-%d %H:%M} UTC")
    return (f"{rows['clinics']:,} clinics, {rows['doctors']:,} doctors, {rows['users']:,} patients, "
            f"{rows['bookings']:,} bookings, {rows['booking_events']:,} audit events, "
            f"{rows['outbox_messages']:,} outbox messages ({when})")

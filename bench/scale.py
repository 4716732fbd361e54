"""A clinic network after a few years, generated inside PostgreSQL for the scale bench (issue 21).

    python -m bench.scale [--scale-factor 1] [--db medsync_scale]

At factor 1: 40 clinics, 1,000 doctors, 200,000 patients and about 1,000,000 bookings over three years and the
eight weeks ahead, with the audit events (~2.7 per booking) and outbox messages (~3.1 per booking) the app writes
for them. Everything is set-based SQL (generate_series, INSERT … SELECT) on a database migrated and seeded as
`make db` builds it, with every constraint, index and trigger live, so a row the app could not have written is
refused here too.

How the rows are laid out, and why:
- The demo catalog's clinics are the templates: a network clinic copies one's time zone, hours, breaks, closures
  and diagnostics. Their hours are whole hours and every slot length divides 60, so the grid stepped from opening
  time is the grid the app offers (it steps from each stretch's start).
- Each doctor, and each diagnostic at each clinic, books on its own grid: a day gets m distinct positions of
  that day's slots (position = (b + 997·j) mod slots, 997 being prime), so the exclusion constraints hold by
  construction. The demo doctors are the busy ones (~10,000 bookings each at factor 1, as doctor 1 had on the
  database issue 21 measured); the network's doctors share the rest; diagnostics take 15 %.
- A patient never holds two bookings on one UTC day: the day's bookings are ranked and given consecutive
  patients from a per-day offset (visits end before UTC midnight, so overlaps are impossible).
- Statuses as time left them: fulfilled, arrived (and never completed), no-show and cancelled in the past;
  arrived or booked for visits under way; a quarter of the last day's visits still booked (what tonight's no-show
  marking finds); booked or cancelled ahead; 4 % of visits were moved (a cancelled booking a week later, linked
  by rescheduled_from_id).
- Events and messages follow each booking's story in time order (ids grow with time, as in production): booked,
  attendance confirmed, arrived, fulfilled, no-show, cancelled, rescheduled; the confirmation, the 24 h and 2 h
  reminders (sent, skipped by a cancellation, or pending ahead), the cancellation; a patient who blocked the
  bot has every message failed.
- No clinic has a staff group, so the booking-event trigger runs for every event and writes nothing.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psycopg2

from sqlalchemy import literal_column
from sqlalchemy.dialects import postgresql

from bench import server
from medsync.services.outbox import dedupe_key
from tests.support.database import database_url

PATIENT_BASE_ID = 600_000_000  # generated patients' Telegram ids; the bench's own users start at 900,000,000
YEARS_BACK = 3
DAYS_AHEAD = 56  # inside the 60-day booking horizon
DIAGNOSTIC_SHARE = 0.15
MOVED_SHARE = 0.04
BUSY_DOCTOR_WEIGHT = 12  # a demo doctor's slots fill this many times more often than a network doctor's
MAX_FILL = 0.95
UNREACHABLE_SHARE = 0.02
GRACE = timedelta(hours=2)  # NOSHOW_GRACE and CANCEL_CUTOFF
SCRATCH = "scale_work"
# A booked slot's key: (resource · KEY_DAYS + day) · KEY_POSITIONS + the slot's position in its day. A day's
# positions are taken as (b + STRIDE · j) mod slots: distinct while STRIDE, a prime, exceeds the day's slots.
KEY_DAYS = 2048
KEY_POSITIONS = 128
STRIDE = 997

FIRST_NAMES = ["Olena", "Taras", "Iryna", "Andrii", "Oksana", "Dmytro", "Natalia", "Serhii", "Kateryna", "Mykola",
               "Anna", "Piotr", "Zofia", "Jan", "Aigerim", "Nursultan", "Maria", "Pavlo", "Yulia", "Bohdan",
               "Marta", "Ivan", "Sofia", "Oleksii", "Halyna", "Tomasz", "Agnieszka", "Dana", "Roman", "Viktoria"]
LAST_NAMES = ["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boyko", "Moroz",
              "Lysenko", "Hnatiuk", "Nowak", "Kowalski", "Wisniewska", "Zielinski", "Abenov", "Seitkali",
              "Petrenko", "Savchenko", "Rudenko", "Marchenko", "Polishchuk", "Levchenko", "Kowalczyk", "Kaminska",
              "Ivanenko", "Kuzmenko", "Pavlenko", "Zhukova", "Tymoshenko", "Yaremchuk", "Dudek", "Mazur",
              "Klymenko", "Oliinyk", "Sydorenko", "Karimova", "Omarov", "Hrytsenko", "Fedorenko", "Vasylenko"]
LANGUAGES = ["uk", "uk", "en", "ru", "pl"]


@dataclass(frozen=True)
class Size:
    """What a factor means: the network issue 21 measured, scaled; never smaller than the demo catalog."""

    clinics: int
    doctors: int
    patients: int
    bookings: int

    @classmethod
    def of(cls, factor: float) -> Size:
        if factor <= 0:
            raise ValueError("the scale factor must be positive")
        return cls(clinics=round(40 * factor), doctors=round(1_000 * factor), patients=max(50, round(200_000 * factor)),
                   bookings=round(1_000_000 * factor))


@dataclass
class Generated:
    size: Size
    now: datetime
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    # PostgreSQL's CPU time per step (its backends', from /proc): what the step costs whatever else shares the cores.
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    connections: dict[str, int] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def total_cpu_seconds(self) -> float:
        return sum(self.cpu_seconds.values())

    @property
    def free_cores_seconds(self) -> float:
        """How long the generation takes on cores nothing else uses: each step's CPU over its connections."""
        return sum(cpu / self.connections[step] for step, cpu in self.cpu_seconds.items())

    def report(self) -> str:
        lines = [f"generated in {self.total_seconds:.1f} s, {self.total_cpu_seconds:.0f} s of PostgreSQL CPU, "
                 f"~{self.free_cores_seconds:.0f} s on free cores (now = {self.now:%Y-%m-%d %H:%M} UTC)"]
        lines += [f"  {step}: {seconds:.1f} s, CPU {self.cpu_seconds[step]:.1f} s" for step, seconds in self.seconds.items()]
        lines += [f"  {table}: {rows:,} rows, {self.bytes[table] / 2**20:,.0f} MiB with indexes"
                  for table, rows in self.rows.items()]
        return "\n".join(lines)


def generate(database_url: str, size: Size, *, now: datetime | None = None) -> Generated:
    """Add the network to a migrated database holding the demo catalog (and nothing generated yet)."""
    now = now or datetime.now(timezone.utc)
    today = now.date()
    generated = Generated(size, now)
    parameters = {
        "now": now, "today": today, "first_day": today - timedelta(days=365 * YEARS_BACK),
        "last_day": today + timedelta(days=DAYS_AHEAD), "grace": GRACE, "clinics": size.clinics,
        "doctors": size.doctors, "patients": size.patients, "patient_base": PATIENT_BASE_ID,
        "first_names": FIRST_NAMES, "last_names": LAST_NAMES, "languages": LANGUAGES,
        "unreachable": UNREACHABLE_SHARE, "busy_weight": BUSY_DOCTOR_WEIGHT, "moved": MOVED_SHARE,
        "max_fill": MAX_FILL, "key_days": KEY_DAYS, "key_positions": KEY_POSITIONS, "stride": STRIDE,
    }
    with _connect(database_url) as connection:
        _step(generated, "catalog: clinics, hours, doctors", lambda: _run(connection, CATALOG, parameters))
        _step(generated, "patients", lambda: _run(connection, PATIENTS, parameters))
        _step(generated, "slot grids", lambda: _run(connection, GRIDS, parameters))
        parameters.update(_fill_rates(connection, size.bookings))
        _check_keys(connection, parameters)
        _step(generated, "bookings planned", lambda: _run(connection, PLAN, parameters))
        _step(generated, "bookings", lambda: _in_parallel(
            database_url, [(BOOKINGS, {**parameters, "part": part}) for part in range(2)]), connections=2)
        _run(connection, "SELECT setval(pg_get_serial_sequence('bookings', 'id'), (SELECT max(id) FROM bookings))", {})
        _step(generated, "events and outbox", lambda: _in_parallel(
            database_url, [(EVENTS, parameters), (OUTBOX, parameters)]), connections=2)
        _run(connection, f"DROP SCHEMA {SCRATCH} CASCADE", {})
    _step(generated, "VACUUM ANALYZE", lambda: _vacuum(database_url), connections=2)
    _count(generated, database_url)
    return generated


def existing(database_url: str) -> Generated:
    """A network an earlier run generated, as it is now (`now` is when it was counted): its rows counted, nothing
    timed (`--reuse-network`)."""
    counted = Generated(Size(0, 0, 0, 0), datetime.now(timezone.utc))
    _count(counted, database_url)
    rows = counted.rows
    counted.size = Size(rows["clinics"], rows["doctors"], rows["users"], rows["bookings"])
    return counted


def _count(generated: Generated, database_url: str) -> None:
    with _connect(database_url) as connection, connection.cursor() as cursor:
        for table in ("bookings", "booking_events", "outbox_messages", "users", "doctors", "clinics"):
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            generated.rows[table], generated.bytes[table] = cursor.fetchone()


def _connect(database_url: str):
    connection = psycopg2.connect(database_url, application_name="medsync-scale")
    with connection.cursor() as cursor:
        # The plan sorts a million rows; each statement commits once, so WAL flushes wait for nothing; the
        # planner takes every generate_series for 1,000 rows, and compiling for that guess costs more than it saves;
        # the steps that parallelise run on two connections, whose CPU time is all in their own backends.
        cursor.execute("SET work_mem = '256MB'; SET synchronous_commit = off; SET jit = off; "
                       "SET max_parallel_workers_per_gather = 0")
    connection.commit()
    return _Closing(connection)


class _Closing:
    """psycopg2's connection context commits but does not close; this one does both."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def __enter__(self):
        return self.connection

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.connection.commit()
        self.connection.close()


def _step(generated: Generated, name: str, action: Callable[[], float], connections: int = 1) -> None:
    """Run a step (on this many connections at once; it returns their backends' CPU seconds) and note how long it
    took."""
    started = time.monotonic()
    generated.cpu_seconds[name] = action()
    generated.seconds[name] = time.monotonic() - started
    generated.connections[name] = connections
    print(f"  {name}: {generated.seconds[name]:.1f} s, CPU {generated.cpu_seconds[name]:.1f} s on {connections} "
          f"connection{'s' if connections > 1 else ''}", file=sys.stderr, flush=True)


def _run(connection, statements: str, parameters: dict) -> float:
    """Execute and commit; returns the CPU seconds the connection's backend spent."""
    backend = connection.get_backend_pid()
    before = server.process_cpu_seconds(backend)
    with connection.cursor() as cursor:
        cursor.execute(statements, parameters)
    connection.commit()
    return server.process_cpu_seconds(backend) - before


def _in_parallel(database_url: str, jobs: list[tuple[str, dict]]) -> float:
    def run(job: tuple[str, dict]) -> float:
        with _connect(database_url) as connection:
            return _run(connection, *job)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return sum(pool.map(run, jobs))


def _fill_rates(connection, bookings: int) -> dict[str, float]:
    """How often a slot is booked, per unit of weight and day shape, so that the expected totals are the size's."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, sum(weight * slots * shape) FROM {SCRATCH}.resource_day GROUP BY kind")
        weighted = dict(cursor.fetchall())
    visits = bookings / (1 + MOVED_SHARE)  # a moved visit is two bookings
    return {"doctor_rate": visits * (1 - DIAGNOSTIC_SHARE) / float(weighted["doctor"]),
            "diagnostic_rate": visits * DIAGNOSTIC_SHARE / float(weighted["diagnostic"])}


def _check_keys(connection, parameters: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(slots) FROM {SCRATCH}.day_slot")
        most_slots = cursor.fetchone()[0]
    days = (parameters["last_day"] - parameters["first_day"]).days + 1
    if most_slots >= KEY_POSITIONS or days >= KEY_DAYS:
        raise ValueError(f"{most_slots} slots a day over {days} days do not fit a booking's key")


def _vacuum(database_url: str) -> float:
    """What autovacuum would have done over the years (visibility map, statistics), before anything is measured:
    otherwise it starts on the fresh tables in the middle of the bench. Returns the backends' CPU seconds."""
    def vacuum(table: str) -> float:
        connection = psycopg2.connect(database_url, application_name="medsync-scale")
        connection.autocommit = True  # VACUUM runs outside a transaction
        try:
            return _run(connection, f"VACUUM (ANALYZE) {table}", {})
        finally:
            connection.close()

    tables = ["booking_events", "outbox_messages", "bookings", "users", "patients", "doctors", "clinics", "working_hours",
              "working_breaks", "clinic_diagnostics", "clinic_closures"]
    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(vacuum, tables))


# A uniform number in [0, 1) from a key and a salt: the same every run, no random() state to share.
UNIFORM = f"""
CREATE SCHEMA {SCRATCH};
CREATE FUNCTION {SCRATCH}.u(key bigint, salt integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT (hashint8extended(key, salt) & 1048575)::double precision / 1048576';
"""

CATALOG = UNIFORM + f"""
CREATE TABLE {SCRATCH}.clinic AS
WITH template AS (
    SELECT id, timezone, row_number() OVER (ORDER BY id) - 1 AS number, count(*) OVER () AS templates FROM clinics
)
SELECT n, 'network-' || n AS slug, template.id AS template_id, template.timezone
FROM template, generate_series(1, %(clinics)s - template.templates) AS n
WHERE template.number = mod(n - 1, template.templates);

INSERT INTO clinics (slug, name, address, timezone, country)
SELECT clinic.slug, 'MedSync Network ' || n, n || ' Network Avenue', clinic.timezone, template.country
FROM {SCRATCH}.clinic JOIN clinics template ON template.id = clinic.template_id ORDER BY n;

INSERT INTO working_hours (clinic_id, weekday, opens_at, closes_at)
SELECT clinics.id, hours.weekday, hours.opens_at, hours.closes_at
FROM {SCRATCH}.clinic JOIN clinics USING (slug) JOIN working_hours hours ON hours.clinic_id = clinic.template_id;

INSERT INTO working_breaks (working_hours_id, starts_at, ends_at)
SELECT copy.id, pause.starts_at, pause.ends_at
FROM {SCRATCH}.clinic JOIN clinics USING (slug)
JOIN working_hours copy ON copy.clinic_id = clinics.id
JOIN working_hours original ON original.clinic_id = clinic.template_id AND original.weekday = copy.weekday
JOIN working_breaks pause ON pause.working_hours_id = original.id;

INSERT INTO clinic_closures (clinic_id, first_day, last_day, reason)
SELECT clinics.id, closure.first_day, closure.last_day, closure.reason
FROM {SCRATCH}.clinic JOIN clinics USING (slug) JOIN clinic_closures closure ON closure.clinic_id = clinic.template_id;

INSERT INTO clinic_diagnostics (clinic_id, diagnostic_id)
SELECT clinics.id, offered.diagnostic_id
FROM {SCRATCH}.clinic JOIN clinics USING (slug) JOIN clinic_diagnostics offered ON offered.clinic_id = clinic.template_id;

WITH clinic AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS number, count(*) OVER () AS clinics FROM clinics),
specialty AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS number, count(*) OVER () AS specialties FROM specialties
),
existing AS (SELECT count(*) AS doctors FROM doctors)
INSERT INTO doctors (slug, clinic_id, specialty_id, full_name, price, services, appointment_minutes)
SELECT 'network-doctor-' || n, clinic.id, specialty.id,
       (%(first_names)s::text[])[1 + mod(n, cardinality(%(first_names)s::text[]))] || ' '
           || (%(last_names)s::text[])[1 + mod(n / 7, cardinality(%(last_names)s::text[]))],
       400 + 50 * mod(n, 13), E'Consultation\\nFollow-up visit', CASE WHEN mod(n, 3) = 0 THEN 60 ELSE 30 END
FROM existing, generate_series(1, %(doctors)s - existing.doctors) AS n
JOIN clinic ON clinic.number = mod(n, clinic.clinics)
JOIN specialty ON specialty.number = mod(n, specialty.specialties)
ORDER BY n;
"""

PATIENTS = f"""
INSERT INTO users (telegram_id, username, first_name, last_name, language_code, reachable, created_at, updated_at)
SELECT %(patient_base)s + n, CASE WHEN mod(n, 3) > 0 THEN 'patient' || n END,
       (%(first_names)s::text[])[1 + mod(n, cardinality(%(first_names)s::text[]))],
       (%(last_names)s::text[])[1 + mod(n / 30, cardinality(%(last_names)s::text[]))],
       (%(languages)s::text[])[1 + mod(n, cardinality(%(languages)s::text[]))],
       {SCRATCH}.u(n, 1) >= %(unreachable)s,
       %(first_day)s::date - interval '30 days', %(first_day)s::date - interval '30 days'
FROM generate_series(0, %(patients)s - 1) AS n;

INSERT INTO patients (user_id, first_name, last_name, phone, email, created_at)
SELECT telegram_id, first_name, coalesce(last_name, ''), '+38050' || lpad((telegram_id - %(patient_base)s)::text, 7, '0'),
       CASE WHEN mod(telegram_id - %(patient_base)s, 5) < 3
            THEN 'patient' || (telegram_id - %(patient_base)s) || '@example.com' END, created_at
FROM users WHERE telegram_id >= %(patient_base)s ORDER BY telegram_id;
"""

# A resource is what the exclusion constraints keep apart: a doctor, or a diagnostic at a clinic.
GRIDS = f"""
CREATE TABLE {SCRATCH}.resource AS
SELECT row_number() OVER (ORDER BY kind, service_id, clinic_id) - 1 AS number, resource.*, clinics.timezone
FROM (
    SELECT 'doctor' AS kind, id AS service_id, clinic_id, id AS doctor_id, NULL::integer AS diagnostic_id,
           appointment_minutes AS minutes,
           CASE WHEN starts_with(slug, 'network-') THEN 1 ELSE %(busy_weight)s END AS weight
    FROM doctors
    UNION ALL
    SELECT 'diagnostic', diagnostic_types.id, clinic_id, NULL, diagnostic_types.id,
           COALESCE(clinic_diagnostics.duration_minutes, diagnostic_types.duration_minutes), 1
    FROM clinic_diagnostics JOIN diagnostic_types ON diagnostic_types.id = clinic_diagnostics.diagnostic_id
) AS resource JOIN clinics ON clinics.id = resource.clinic_id;

CREATE TABLE {SCRATCH}.day_slot AS
SELECT hours.clinic_id, hours.weekday, lengths.minutes,
       (row_number() OVER (day_list ORDER BY start) - 1)::integer AS position, count(*) OVER day_list AS slots,
       start::time AS local_start
FROM working_hours hours
JOIN (SELECT DISTINCT clinic_id, minutes FROM {SCRATCH}.resource) AS lengths ON lengths.clinic_id = hours.clinic_id
CROSS JOIN LATERAL generate_series(date '2000-01-03' + hours.opens_at,
                                   date '2000-01-03' + hours.closes_at - make_interval(mins => lengths.minutes),
                                   make_interval(mins => lengths.minutes)) AS start
WHERE NOT EXISTS (SELECT FROM working_breaks pause
                  WHERE pause.working_hours_id = hours.id AND pause.starts_at < start::time + make_interval(mins => lengths.minutes)
                    AND pause.ends_at > start::time)
WINDOW day_list AS (PARTITION BY hours.clinic_id, hours.weekday, lengths.minutes);

-- Busy days: the network grew over the years (0.6 → 1), and the weeks ahead fill as they come closer.
CREATE TABLE {SCRATCH}.resource_day AS
SELECT resource.number AS resource, resource.kind, resource.weight, resource.minutes, resource.clinic_id, day,
       day - %(first_day)s::date AS day_index, extract(isodow FROM day)::integer AS weekday, first.slots,
       CASE WHEN day > %(today)s::date THEN greatest(0.05, 1 - (day - %(today)s::date) / 60.0)
            ELSE 0.6 + 0.4 * (day - %(first_day)s::date) / (%(today)s::date - %(first_day)s::date) END AS shape
FROM {SCRATCH}.resource
CROSS JOIN LATERAL (SELECT generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day')::date AS day) AS days
JOIN {SCRATCH}.day_slot first ON first.clinic_id = resource.clinic_id AND first.minutes = resource.minutes
                             AND first.weekday = extract(isodow FROM day) AND first.position = 0
WHERE NOT EXISTS (SELECT FROM clinic_closures closure
                  WHERE closure.clinic_id = resource.clinic_id AND day BETWEEN closure.first_day AND closure.last_day);
ANALYZE {SCRATCH}.resource, {SCRATCH}.day_slot, {SCRATCH}.resource_day;
"""

# One row per booking: each visit's newest booking, and for a moved visit the cancelled one it replaced.
PLAN = f"""
CREATE TABLE {SCRATCH}.visit AS
WITH picked AS (
    SELECT day.*, mod(floor({SCRATCH}.u(day.resource * %(key_days)s + day.day_index, 3) * day.slots)::integer + %(stride)s * j,
                      day.slots::integer) AS position
    FROM {SCRATCH}.resource_day day
    CROSS JOIN LATERAL generate_series(0, floor(
        least(%(max_fill)s, day.weight * day.shape * CASE day.kind WHEN 'doctor' THEN %(doctor_rate)s
                                                                   ELSE %(diagnostic_rate)s END) * day.slots
        + {SCRATCH}.u(day.resource * %(key_days)s + day.day_index, 2))::integer - 1) AS j
), chosen AS (
    SELECT (resource.number * %(key_days)s + day.day_index) * %(key_positions)s + slot.position AS key, day.day_index,
           resource.clinic_id, resource.doctor_id, resource.diagnostic_id, resource.timezone,
           (day.day + slot.local_start) AT TIME ZONE resource.timezone AS starts_at,
           make_interval(mins => resource.minutes) AS slot_length
    FROM picked day
    JOIN {SCRATCH}.resource ON resource.number = day.resource
    JOIN {SCRATCH}.day_slot slot
      ON slot.clinic_id = day.clinic_id AND slot.weekday = day.weekday AND slot.minutes = day.minutes
     AND slot.position = day.position
), ranked AS (
    SELECT chosen.*, row_number() OVER (PARTITION BY (starts_at AT TIME ZONE 'UTC')::date
                                        ORDER BY {SCRATCH}.u(key, 4)) - 1 AS rank_in_day
    FROM chosen
), timed AS (
    SELECT ranked.*, starts_at + slot_length AS ends_at,
           mod(floor({SCRATCH}.u((starts_at AT TIME ZONE 'UTC')::date - %(first_day)s::date, 5) * %(patients)s)::bigint
               + rank_in_day, %(patients)s) AS patient,
           least(starts_at - interval '3 hours' - {SCRATCH}.u(key, 6) * interval '29 days',
                 %(now)s::timestamptz - {SCRATCH}.u(key, 7) * interval '10 minutes') AS created_at,
           {SCRATCH}.u(key, 8) AS fate, {SCRATCH}.u(key, 9) AS marked, {SCRATCH}.u(key, 10) < %(moved)s AS moved,
           {SCRATCH}.u(key, 11) AS cancel_point, {SCRATCH}.u(key, 12) < 0.12 AS confirms
    FROM ranked
)
SELECT timed.*,
       CASE WHEN starts_at > %(now)s THEN CASE WHEN fate < 0.08 THEN 'cancelled' ELSE 'booked' END
            WHEN fate < 0.12 THEN 'cancelled'
            WHEN ends_at + %(grace)s > %(now)s THEN CASE WHEN marked < 0.7 THEN 'arrived' ELSE 'booked' END
            WHEN starts_at > %(now)s::timestamptz - interval '1 day' AND marked < 0.25 THEN 'booked'
            WHEN fate < 0.17 THEN 'noshow'
            WHEN fate < 0.35 THEN 'arrived'  -- the desk marked the arrival and never the end
            ELSE 'fulfilled' END AS status,
       CASE WHEN fate < 0.09 OR starts_at > %(now)s THEN 'patient' ELSE 'staff' END AS canceller
FROM timed;

CREATE TABLE {SCRATCH}.booking AS
WITH story AS (
    SELECT key, false AS replaced, clinic_id, doctor_id, diagnostic_id, starts_at, ends_at, patient, created_at,
           status, CASE WHEN status = 'cancelled' THEN canceller END AS cancelled_by,
           CASE WHEN status = 'cancelled' AND canceller = 'staff' THEN 'The doctor is unavailable' END AS cancel_reason,
           CASE WHEN status = 'cancelled' THEN created_at + cancel_point * greatest(
               interval '0', least(starts_at - %(grace)s, %(now)s::timestamptz) - created_at) END AS cancelled_at,
           moved, confirms, CASE WHEN moved THEN 2 WHEN status = 'cancelled' THEN 1 ELSE 0 END AS ical_sequence
    FROM {SCRATCH}.visit
    UNION ALL
    SELECT key, true, clinic_id, doctor_id, diagnostic_id,
           ((starts_at AT TIME ZONE timezone) + interval '7 days') AT TIME ZONE timezone,
           (((starts_at AT TIME ZONE timezone) + interval '7 days') AT TIME ZONE timezone) + slot_length,
           patient, created_at - interval '1 day' - cancel_point * interval '10 days', 'cancelled', 'patient',
           'rescheduled', created_at, false, false, 1
    FROM {SCRATCH}.visit WHERE moved
)
SELECT row_number() OVER (ORDER BY story.created_at, story.key, story.replaced) AS id, story.*,
       %(patient_base)s + patient AS user_id, users.reachable,
       md5(key::text)::uuid::text || '@medsync' AS ical_uid
FROM story JOIN users ON users.telegram_id = %(patient_base)s + patient;
CREATE INDEX ON {SCRATCH}.booking (key) WHERE replaced;
ANALYZE {SCRATCH}.booking;
"""

BOOKINGS = f"""
INSERT INTO bookings (id, patient_id, user_id, clinic_id, doctor_id, diagnostic_id, starts_at, ends_at, status,
                      patient_first_name, patient_last_name, patient_phone, patient_email, cancel_reason,
                      cancelled_by, rescheduled_from_id, ical_uid, ical_sequence, created_at, updated_at)
SELECT booking.id, patients.id, booking.user_id, booking.clinic_id, booking.doctor_id, booking.diagnostic_id, booking.starts_at,
       booking.ends_at, booking.status, users.first_name, coalesce(users.last_name, ''),
       '+38050' || lpad(booking.patient::text, 7, '0'),
       CASE WHEN mod(booking.patient, 5) < 3 THEN 'patient' || booking.patient || '@example.com' END,
       booking.cancel_reason, booking.cancelled_by, replaced.id, booking.ical_uid, booking.ical_sequence,
       booking.created_at,
       CASE booking.status WHEN 'fulfilled' THEN booking.ends_at + interval '5 minutes'
                           WHEN 'arrived' THEN booking.starts_at - interval '5 minutes'
                           WHEN 'noshow' THEN date_trunc('day', booking.ends_at) + interval '1 day 3 hours'
                           WHEN 'cancelled' THEN booking.cancelled_at
                           ELSE booking.created_at END
FROM {SCRATCH}.booking
JOIN users ON users.telegram_id = booking.user_id
JOIN patients ON patients.user_id = booking.user_id
LEFT JOIN {SCRATCH}.booking replaced ON replaced.replaced AND NOT booking.replaced AND replaced.key = booking.key
WHERE mod(booking.key / (%(key_days)s * %(key_positions)s), 2) = %(part)s  -- by resource: a visit's bookings stay together
ORDER BY booking.id;
"""

EVENTS = f"""
INSERT INTO booking_events (booking_id, actor, actor_id, action, details, created_at)
SELECT booking.id, event.actor, event.actor_id, event.action, event.details, event.at
FROM {SCRATCH}.booking
LEFT JOIN {SCRATCH}.booking successor ON booking.replaced AND successor.key = booking.key AND NOT successor.replaced
LEFT JOIN {SCRATCH}.booking replaced ON NOT booking.replaced AND booking.moved AND replaced.key = booking.key
                                    AND replaced.replaced
CROSS JOIN LATERAL (VALUES
    ('booked', booking.created_at, 'patient', booking.user_id::text,
     jsonb_build_object('starts_at', to_char(booking.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))
         || CASE WHEN replaced.id IS NOT NULL THEN jsonb_build_object('rescheduled_from', replaced.id)
                 ELSE '{{}}' END, true),
    ('attendance_confirmed', booking.starts_at - interval '20 hours', 'patient', booking.user_id::text, '{{}}'::jsonb,
     booking.confirms AND booking.status IN ('booked', 'arrived', 'fulfilled')
         AND booking.starts_at - interval '20 hours' BETWEEN booking.created_at AND %(now)s),
    ('arrived', booking.starts_at - interval '5 minutes', 'staff', 'staff:desk', '{{}}',
     booking.status IN ('arrived', 'fulfilled')),
    ('fulfilled', booking.ends_at + interval '5 minutes', 'staff', 'staff:desk', '{{}}', booking.status = 'fulfilled'),
    ('noshow', date_trunc('day', booking.ends_at) + interval '1 day 3 hours', 'system', NULL, '{{}}',
     booking.status = 'noshow'),
    ('cancelled', booking.cancelled_at, booking.cancelled_by,
     CASE WHEN booking.cancelled_by = 'patient' THEN booking.user_id::text ELSE 'staff:desk' END,
     CASE WHEN booking.cancel_reason IS NOT NULL THEN jsonb_build_object('reason', booking.cancel_reason)
          ELSE '{{}}' END, booking.status = 'cancelled'),
    ('rescheduled', booking.cancelled_at, 'patient', booking.user_id::text,
     CASE WHEN booking.replaced THEN jsonb_build_object('to_booking', successor.id) END, booking.replaced)
) AS event (action, at, actor, actor_id, details, happened)
WHERE event.happened
ORDER BY event.at, booking.id;
"""

# Each message's key as the service writes it (outbox.dedupe_key): "booking:<id>:<kind>[:<label>]".
BOOKING_MESSAGE_KEY = dedupe_key(
    "booking", literal_column("booking.id"), literal_column("message.kind"), literal_column("message.label")
).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
OUTBOX = f"""
INSERT INTO outbox_messages (kind, dedupe_key, booking_id, chat_id, payload, due_at, status, attempts, last_error,
                             sent_at, telegram_message_id, created_at, updated_at)
SELECT message.kind, {BOOKING_MESSAGE_KEY}, booking.id, booking.user_id, message.payload,
       message.due_at, message.status, CASE WHEN message.status IN ('sent', 'failed') THEN 1 ELSE 0 END,
       CASE message.status WHEN 'failed' THEN 'Forbidden: bot was blocked by the user'
                           WHEN 'skipped' THEN 'booking cancelled' END,
       CASE WHEN message.status = 'sent' THEN message.due_at + interval '2 seconds' END,
       CASE WHEN message.status = 'sent' THEN booking.id * 4 + message.number END,
       booking.created_at,
       CASE WHEN message.status IN ('sent', 'failed') THEN message.due_at + interval '2 seconds'
            WHEN message.status = 'skipped' THEN booking.cancelled_at ELSE booking.created_at END
FROM {SCRATCH}.booking
LEFT JOIN {SCRATCH}.booking replaced ON NOT booking.replaced AND booking.moved AND replaced.key = booking.key
                                    AND replaced.replaced
CROSS JOIN LATERAL (
    SELECT planned.*,
           CASE WHEN booking.cancelled_at <= planned.due_at AND planned.kind = 'reminder' THEN 'skipped'
                WHEN planned.due_at > %(now)s THEN 'pending'
                WHEN NOT booking.reachable THEN 'failed'
                ELSE 'sent' END AS status
    FROM (VALUES
        (0, 'confirmation', NULL, booking.created_at,
         CASE WHEN replaced.id IS NOT NULL THEN jsonb_build_object('rescheduled_from', replaced.id) ELSE '{{}}' END,
         true),
        (1, 'reminder', '24h', booking.starts_at - interval '24 hours', '{{"offset": "24h"}}'::jsonb,
         booking.starts_at - interval '24 hours' > booking.created_at),
        (2, 'reminder', '2h', booking.starts_at - interval '2 hours', '{{"offset": "2h"}}',
         booking.starts_at - interval '2 hours' > booking.created_at),
        (3, 'cancellation', NULL, booking.cancelled_at, '{{}}',
         booking.status = 'cancelled' AND NOT booking.replaced)
    ) AS planned (number, kind, label, due_at, payload, written)
    WHERE planned.written
) AS message
ORDER BY message.due_at, booking.id;
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=1.0, help="1 = issue 21's network; 0.01 for a quick look")
    parser.add_argument("--db", default=server.SCALE_DB_NAME, help="the database to (re)create")
    args = parser.parse_args()
    started = time.monotonic()
    url = database_url(args.db)
    server.prepare_database(args.db, server.app_env(url, server.NO_TELEGRAM, server.SCALE_REDIS_URL))
    generated = generate(url, Size.of(args.scale_factor))
    print(generated.report())
    print(f"with migrations and the demo catalog: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

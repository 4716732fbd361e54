"""Every Prometheus series MedSync exposes, and the one-line calls that move them.

Counters and histograms live in prometheus_client's default registry; in multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
set for gunicorn) each process writes them to its own file in that directory and a scrape adds the files up. Every
series has labels, so importing this module writes no file: a process only has one once it counted something.
Gauges of what is waiting (the outbox, the Celery queue) are not counted by writers but read when scraped
(BacklogCollector), so they are right whichever process changed them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from werkzeug.exceptions import HTTPException

from medsync.errors import DomainError, InvalidRequest, PatientBusy, SlotTaken

REQUESTS = Counter(
    "medsync_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "medsync_http_request_duration_seconds", "Time from the request's arrival in the app to its response.",
    ["route", "method"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter(
    "medsync_bookings", "Bookings made, moved and cancelled by patients, by surface and outcome "
    "(ok, taken, patient_busy, invalid, refused, error).",
    ["action", "surface", "outcome"],
)
WEBHOOK_UPDATES = Counter(
    "medsync_webhook_updates", "Telegram updates received at the webhook, by kind and outcome.", ["kind", "outcome"],
)
DELIVERIES = Counter(
    "medsync_deliveries", "Outbox messages the workers tried to deliver, by kind and result "
    "(sent, 429, 403, retry, failed, skipped).",
    ["kind", "result"],
)
LIMITER_WAIT_SECONDS = Histogram(
    "medsync_telegram_limiter_wait_seconds", "Time a send waited for its turn at the shared Telegram rate limiter.",
    ["chat"], buckets=(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
REMINDER_RUNS = Counter("medsync_reminder_runs", "Reminder runs started by staff, by surface.", ["surface"])
REMINDERS_QUEUED = Counter("medsync_reminders_queued", "Reminders queued by staff reminder runs, by surface.", ["surface"])


# Every request moves these two: their labelled children are looked up once per route, method and status (a dict
# lookup instead of labels(), which cost more than counting; measured in the commit that added this).
_request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def request_answered(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    series = _request_series.get(key)
    if series is None:
        series = _request_series[key] = (REQUESTS.labels(route, method, str(status)), REQUEST_SECONDS.labels(route, method))
    count, duration = series
    count.inc()
    duration.observe(seconds)


@contextmanager
def booking_attempt(action: str, surface: str) -> Iterator[None]:
    """Count a patient's booking change (made, moved, cancelled) by how it ended; usable as a decorator."""
    try:
        yield
    except BaseException as exc:
        BOOKINGS.labels(action, surface, _booking_outcome(exc)).inc()
        raise
    BOOKINGS.labels(action, surface, "ok").inc()


def _booking_outcome(exc: BaseException) -> str:
    if isinstance(exc, SlotTaken):
        return "taken"
    if isinstance(exc, PatientBusy):
        return "patient_busy"
    if isinstance(exc, InvalidRequest) or (isinstance(exc, HTTPException) and (exc.code or 500) < 500):
        return "invalid"  # a field missing or malformed (422), a body that is not a JSON object (400, 415)
    if isinstance(exc, DomainError):
        return "refused"  # the time is not bookable, too late to cancel, not found, not signed in
    return "error"


def webhook_update(kind: str, outcome: str) -> None:
    WEBHOOK_UPDATES.labels(kind, outcome).inc()


def delivery(kind: str, result: str) -> None:
    DELIVERIES.labels(kind, result).inc()


def limiter_wait(chat_id: int, seconds: float) -> None:
    LIMITER_WAIT_SECONDS.labels("group" if chat_id < 0 else "private").observe(seconds)


def reminder_run(surface: str, queued: int) -> None:
    REMINDER_RUNS.labels(surface).inc()
    REMINDERS_QUEUED.labels(surface).inc(queued)


@dataclass(frozen=True)
class Backlog:
    """What is waiting, as read when scraped."""

    outbox_due: int
    outbox_scheduled: int
    oldest_due_age_seconds: float
    queue: str
    queue_length: int


class BacklogCollector:
    """Gauges read at scrape time: outbox rows pending (due now, or later) and the oldest due one's age, and the
    Celery queue's length. `read` returns None when they cannot be read (the database or Redis is down): the
    series are then left out rather than reported as zero."""

    def __init__(self, read: Callable[[], Backlog | None]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        backlog = self._read()
        if backlog is None:
            return
        pending = GaugeMetricFamily("medsync_outbox_pending_messages", "Outbox rows not yet delivered: due now, or "
                                    "scheduled later (reminders).", labels=["when"])
        pending.add_metric(["due"], backlog.outbox_due)
        pending.add_metric(["scheduled"], backlog.outbox_scheduled)
        yield pending
        yield GaugeMetricFamily("medsync_outbox_oldest_due_age_seconds", "How long the oldest due outbox row has "
                                "waited (0 when none is due).", value=backlog.oldest_due_age_seconds)
        queue = GaugeMetricFamily("medsync_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"])
        queue.add_metric([backlog.queue], backlog.queue_length)
        yield queue


class _ThisProcess:
    """The default registry's series, for a process that counts alone (no multiprocess directory)."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def scrape_registry(multiprocess_dir: str, *collectors: object) -> CollectorRegistry:
    """The registry one scrape reads: every process's files when there is a multiprocess directory, else this
    process's own series; then the given collectors (read at scrape time)."""
    registry = CollectorRegistry()
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return registry


def empty_multiprocess_dir(path: str) -> None:
    """Create the multiprocess directory, or empty it of an earlier run's files (gunicorn's master, before it starts
    the processes that count there)."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def process_ended(pid: int, multiprocess_dir: str) -> None:
    """prometheus_client's bookkeeping when one process of a multiprocess run exits."""
    if multiprocess_dir:
        mark_process_dead(pid, multiprocess_dir)

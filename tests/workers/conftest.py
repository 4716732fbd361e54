"""Real Celery workers delivering to the fake Bot API, on Redis or RabbitMQ.

A test module marked `both_brokers` runs each of its tests twice: with Redis as Celery's broker (the default, the
session's `app`) and with RabbitMQ (`amqp_app`: the same database and Redis, CELERY_BROKER_URL a virtual host of this
run's own). Everything here asks the app which broker it has.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from flask import Flask, current_app
from sqlalchemy import select, update

from medsync import clock
from medsync.extensions import db, redis_client
from medsync.models import MessageKind, MessageStatus, OutboxMessage
from tests.support.rabbitmq import purge
from workers.delivery import sweep_outbox

QUEUE = "medsync"
ROOT = Path(__file__).resolve().parents[2]
BROKERS = ("redis", "amqp")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_brokers"):
        metafunc.parametrize("broker", BROKERS, indirect=True)


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> str:
    """Celery's broker in this test: redis, unless the module runs on both brokers and this is its amqp run."""
    return getattr(request, "param", "redis")


@pytest.fixture
def app(app: Flask, broker: str, request: pytest.FixtureRequest) -> Flask:
    """The session's app (Redis), or the same service on RabbitMQ."""
    return request.getfixturevalue("amqp_app") if broker == "amqp" else app


def on_rabbitmq() -> bool:
    return bool(current_app.config["CELERY_BROKER_URL"])


def queued() -> int:
    """Task messages waiting in the queue, on either broker (what /metrics reports)."""
    return current_app.extensions["task_queue"].queue_length(QUEUE)


def lose_the_queue() -> None:
    """Everything waiting in the queue is gone: Redis flushed (the queue is in it), or RabbitMQ's queue purged."""
    if on_rabbitmq():
        purge(current_app.config["CELERY_BROKER_URL"], QUEUE)
    else:
        redis_client.flushdb()


@contextmanager
def running_worker(app: Flask, name: str = "worker") -> Iterator[None]:
    """An in-process worker (threads pool) of the app's Celery app; tasks run in the app context."""
    with start_worker(app.extensions["celery"], pool="threads", concurrency=4, perform_ping_check=False,
                      hostname=f"{name}@medsync-tests", shutdown_timeout=30):
        yield


@pytest.fixture
def worker(app: Flask, telegram_api) -> Iterator[None]:
    with running_worker(app):
        yield


@pytest.fixture
def sweep(app: Flask) -> Callable[[], int]:
    """Run the beat's sweep once, as beat would (the task body, in its own app context)."""
    return lambda: sweep_outbox()


def wait_until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def message_rows(kind: MessageKind | None = None) -> list[OutboxMessage]:
    """Fresh outbox rows (as the workers committed them)."""
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind.value)
    rows = list(db.session.scalars(query))
    db.session.commit()
    return rows


def wait_for_status(message_id: int, *statuses: MessageStatus, timeout: float = 15.0) -> OutboxMessage:
    wanted = {status.value for status in statuses}
    found: dict[str, OutboxMessage] = {}

    def settled() -> bool:
        db.session.expire_all()
        row = db.session.get(OutboxMessage, message_id)
        db.session.commit()
        found["row"] = row
        return row is not None and row.status in wanted

    wait_until(settled, timeout, f"message {message_id} to become {'/'.join(sorted(wanted))}")
    return found["row"]


def wait_until_idle(timeout: float = 20.0) -> None:
    """Nothing queued and nothing taken but unacknowledged (so no late duplicate can still come)."""

    def idle() -> bool:
        if not current_app.extensions["task_queue"].wait_until_published(timeout=0) or queued():
            return False
        return nothing_in_hand() if on_rabbitmq() else redis_client.hlen("unacked") == 0

    wait_until(idle, timeout, "the workers to go idle")
    time.sleep(0.2)
    wait_until(idle, timeout, "the workers to go idle")


def nothing_in_hand() -> bool:
    """On RabbitMQ: no in-process worker holds a task and no row is being sent. (What a consumer holds unacknowledged
    RabbitMQ tells only its management API, not AMQP; on Redis it is the `unacked` hash.)"""
    db.session.expire_all()
    sending = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == MessageStatus.SENDING.value))
    db.session.commit()
    return not worker_state.active_requests and not worker_state.reserved_requests and sending is None


def make_due(kind: MessageKind) -> None:
    """Let time pass for the rows of this kind: they are due now."""
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.kind == kind.value)
        .values(due_at=clock.now() - timedelta(minutes=1))
    )
    db.session.commit()


class WorkerProcess:
    """`celery -A celery_app worker` as its own OS process, configured like the test app through the environment."""

    def __init__(self, app: Flask, name: str, *, concurrency: int = 4, **settings_env: str) -> None:
        settings = app.config["SETTINGS"]
        env = {
            **os.environ,
            "DATABASE_URL": settings.DATABASE_URL, "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "TELEGRAM_API_URL": settings.TELEGRAM_API_URL, "BOT_TOKEN": settings.BOT_TOKEN,
            "RESULTS_DIR": settings.RESULTS_DIR, "LOG_LEVEL": "WARNING", **settings_env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool", "threads",
             "--concurrency", str(concurrency), "--loglevel", "WARNING", "--hostname", f"{name}@medsync-tests",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acks, tasks in flight die mid-send."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_process(app: Flask, telegram_api) -> Iterator[Callable[..., WorkerProcess]]:
    """Start worker processes by name (settings for that process as keyword environment values); all are
    stopped after the test."""
    started: list[WorkerProcess] = []

    def start(name: str, **settings_env: str) -> WorkerProcess:
        started.append(WorkerProcess(app, name, **settings_env))
        return started[-1]

    yield start
    for process in started:
        process.stop()

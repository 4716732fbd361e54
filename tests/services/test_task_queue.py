"""Handing work to Celery (medsync.task_queue): Celery's own messages through send_task, one producer per thread and
process, the queue declared once, nothing waited for when the broker is down, after-commit hand-overs batched off
the committing thread."""
from __future__ import annotations

import os
import threading
import time

import pytest
from celery import Celery
from kombu import Producer
from kombu.exceptions import OperationalError

from medsync.task_queue import TaskCall, TaskQueue
from bench.server import free_port

DELIVER = "workers.delivery.deliver_message"


def celery_on(broker_url: str) -> Celery:
    celery = Celery("medsync-task-queue-test")
    celery.conf.update(broker_url=broker_url, task_default_queue="medsync")
    return celery


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_broker_that_is_down_refuses_the_publish_at_once_instead_of_retrying(scheme):
    # Celery's defaults would retry the publish, and kombu's connection to an unreachable RabbitMQ waits forever.
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0" if scheme == "redis" else f"amqp://guest:guest@127.0.0.1:{port}//"
    queue = TaskQueue(celery_on(url))
    started = time.monotonic()
    with pytest.raises(OperationalError):
        queue.send([TaskCall(DELIVER, (1,))])
    assert time.monotonic() - started < 2.0


def test_each_thread_keeps_one_producer_and_the_queue_is_declared_once_on_it(app, monkeypatch):
    queue = TaskQueue(app.extensions["celery"])
    declared: list[str] = []
    maybe_declare = Producer.maybe_declare
    monkeypatch.setattr(Producer, "maybe_declare", lambda producer, entity, **options: declared.append(
        entity.name) or maybe_declare(producer, entity, **options))
    producers: dict[str, list[Producer]] = {"main": [], "other": []}

    def publish_twice(name: str) -> None:
        for _ in range(2):
            queue.send([TaskCall(DELIVER, (1,)), TaskCall(DELIVER, (2,))])
            producers[name].append(queue._producer())

    publish_twice("main")
    other = threading.Thread(target=publish_twice, args=("other",))
    other.start()
    other.join()

    assert producers["main"][0] is producers["main"][1] and producers["other"][0] is producers["other"][1]
    assert producers["main"][0] is not producers["other"][0]
    assert producers["main"][0].connection is not producers["other"][0].connection
    assert declared == ["medsync", "medsync"]  # once per producer, not per message


def test_a_forked_process_publishes_on_a_connection_of_its_own(app):
    queue = TaskQueue(app.extensions["celery"])
    queue.send([TaskCall(DELIVER, (1,))])
    parents = queue._producer()
    child = os.fork()
    if child == 0:  # the child: exit 0 only if it made its own producer and published on it
        try:
            queue.send([TaskCall(DELIVER, (2,))])
            os._exit(0 if queue._producer() is not parents else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_what_commits_hand_over_while_one_batch_is_published_goes_out_together_in_the_next(app, monkeypatch):
    queue = TaskQueue(app.extensions["celery"])
    published: list[list[int]] = []
    first_batch_started, release = threading.Event(), threading.Event()

    def send(calls):
        published.append([call.args[0] for call in calls])
        first_batch_started.set()
        release.wait(10)

    monkeypatch.setattr(queue, "send", send)
    lost: list[TaskCall] = []
    queue.hand_over([TaskCall(DELIVER, (1,))], if_lost=lost.append)
    assert first_batch_started.wait(10)
    for message_id in (2, 3, 4):
        queue.hand_over([TaskCall(DELIVER, (message_id,))], if_lost=lost.append)
    release.set()

    assert queue.wait_until_published()
    assert published == [[1], [2, 3, 4]] and lost == []


def test_calls_the_broker_does_not_take_are_reported_each_to_its_caller(app, monkeypatch):
    queue = TaskQueue(app.extensions["celery"])

    def refuse(_calls):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(queue, "send", refuse)
    outbox_lost: list[TaskCall] = []
    runs_lost: list[TaskCall] = []
    queue.hand_over([TaskCall(DELIVER, (1,)), TaskCall(DELIVER, (2,))], if_lost=outbox_lost.append)
    queue.hand_over([TaskCall("workers.staff_reminders.follow_reminder_run", (7, "f"), 3.0)], if_lost=runs_lost.append)

    assert queue.wait_until_published()
    assert [call.args for call in outbox_lost] == [(1,), (2,)] and [call.args for call in runs_lost] == [(7, "f")]

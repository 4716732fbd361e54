"""Handing work to Celery: the one way every path does it, through Celery's public API.

Deliveries due right after a commit, the sweep's hand-outs, a delivery's retry, a reminder run's next look — each is
a `TaskCall` given to `TaskQueue.send`, which publishes Celery's own task message (`app.amqp.create_task_message`)
as `send_task` does (`app.amqp.send_task_message` on a kombu producer): the message, its routing and the broker are
Celery's and kombu's, so RabbitMQ instead of Redis, or a Celery upgrade, changes nothing here.

What `send_task` cost per message as it was called before (2.1 M instructions, 41 % of a booking's), and what is
done about each part (bench/README.md, "Handing work to Celery", has the figures):

- A producer from the app's pool per publish: each thread keeps one kombu connection and producer of its own, made on
  first use in each process (a forked child makes its own). kombu's Redis transport still makes a redis-py client
  for every publish, or every batch: the last point.
- Declaring the queue with every message (kombu's `maybe_declare`): declared once per connection, then `declare=[]`.
- Retrying for seconds when the broker is down (Celery's publish retry; kombu's connection to an unreachable
  RabbitMQ waits forever): `retry=False` and a connection that tries once (`max_retries: 0`, short timeouts). What
  is not published is not lost: its row is committed, and the caller's sweep hands it out.
- `send_task`'s own wrapping (registry lookup, router, producer context, result object, `saferepr` of the
  arguments): the route is asked once per task name, the arguments' repr given.
- A publish per booking, inside its request: after a commit, `hand_over` only queues the calls in memory; one thread
  of the process publishes what was queued in one batch (`producer.batch()`: one Redis round trip for all), at most
  once per PACE, so the request never waits for the broker and a busy process pays one round trip per batch.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from celery import Celery
from flask import current_app
from kombu import Producer
from kombu.exceptions import OperationalError
from kombu.utils.uuid import uuid

log = logging.getLogger(__name__)

# The publishing connection tries once: a broker that is down fails the publish in milliseconds, not seconds.
CONNECT_TIMEOUT = 2.0
FAIL_FAST = {"max_retries": 0, "socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": 5.0}
# The hand-over thread publishes at most once per PACE seconds (see _Relay), and at exit waits for at most EXIT_WAIT.
PACE = 0.05
EXIT_WAIT = 2.0


@dataclass(frozen=True)
class TaskCall:
    """One task message: the task's registered name, its arguments (ids, never ORM objects), an optional short
    countdown in seconds (never a long delay: on Redis a message held longer than the visibility timeout is
    redelivered)."""

    task: str
    args: tuple[Any, ...] = ()
    countdown: float | None = None


class TaskQueue:
    """This process's way to hand work to Celery (one per app: `app.extensions["task_queue"]`)."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery
        self._producers = threading.local()
        self._routes: dict[str, dict[str, Any]] = {}
        self._ignore_result = bool(celery.conf.task_ignore_result)
        self._sent_events = bool(celery.conf.task_send_sent_event)
        self._relay = _Relay(lambda calls: self.send(calls))

    def send(self, calls: Sequence[TaskCall]) -> None:
        """Publish these calls now, from this thread, in one batch where the broker has batches; raises when the
        broker does not take them (after one more try on a fresh connection: a connection the broker or a
        firewall dropped while idle is only noticed when used)."""
        if not calls:
            return
        try:
            self._publish(calls)
        except Exception:  # noqa: BLE001 - any failure of the old connection: one try on a new one
            self._drop_producer()
            self._publish(calls)

    def hand_over(self, calls: Sequence[TaskCall], *, if_lost: Callable[[TaskCall], None]) -> None:
        """Publish these calls soon, off the caller's thread (after a commit, on a request's path); `if_lost` is
        called for each one that could not be published (its row waits for its sweep)."""
        self._relay.add(calls, if_lost)

    def wait_until_published(self, timeout: float = 10.0) -> bool:
        """Has everything handed over so far been published (or given up), within `timeout` seconds?"""
        return self._relay.wait_until_idle(timeout)

    def queue_length(self, queue: str) -> int:
        """How many messages wait in `queue` on the broker: a passive declare (Redis counts the queue's lists,
        RabbitMQ answers the queue's message_count); 0 for a queue the broker does not have (on Redis an empty queue
        is no key at all). Raises kombu's OperationalError when the broker cannot be reached."""
        try:
            connection = self._producer().connection
        except OperationalError:
            self._drop_producer()
            raise
        try:
            with connection.channel() as channel:
                return channel.queue_declare(queue=queue, passive=True).message_count
        except connection.channel_errors:
            return 0
        except connection.connection_errors as exc:
            self._drop_producer()
            raise OperationalError(f"the broker did not answer ({type(exc).__name__})") from exc

    def _publish(self, calls: Sequence[TaskCall]) -> None:
        producer = self._producer()
        if len(calls) == 1:
            self._send_one(producer, calls[0])
            return
        with producer.batch():  # one round trip for all on Redis; one by one where the transport has no batches
            for call in calls:
                self._send_one(producer, call)

    def _send_one(self, producer: Producer, call: TaskCall) -> None:
        """Celery's own message for the call (`app.amqp.create_task_message`: protocol 2, the app's serializer),
        published as `send_task` publishes it (`app.amqp.send_task_message`) on the route Celery's router gives the
        task. `send_task` itself wraps these two in a registry lookup, the router, a producer context and a result
        object on every call: 60 % more instructions per message (bench/README.md); none of it matters to a task
        whose result is ignored."""
        amqp = self.celery.amqp
        message = amqp.create_task_message(
            uuid(), call.task, call.args, {}, countdown=call.countdown, ignore_result=self._ignore_result,
            create_sent_event=self._sent_events, argsrepr=repr(call.args), kwargsrepr="{}",
        )
        amqp.send_task_message(producer, call.task, message, declare=[], retry=False, **self._route(call.task))

    def _route(self, task: str) -> dict[str, Any]:
        route = self._routes.get(task)
        if route is None:
            route = self._routes[task] = self.celery.amqp.router.route({}, task)
        return route

    def _producer(self) -> Producer:
        held = getattr(self._producers, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        # A forked child gets its own connection: it must never write on its parent's socket.
        connection = self.celery.connection_for_write(connect_timeout=CONNECT_TIMEOUT, transport_options=FAIL_FAST)
        producer = self.celery.amqp.Producer(connection, auto_declare=False)
        for queue in self.celery.amqp.queues.values():  # once per connection, not per message
            producer.maybe_declare(queue)
        self._producers.held = (os.getpid(), producer)
        return producer

    def _drop_producer(self) -> None:
        held = getattr(self._producers, "held", None)
        self._producers.held = None
        if held is not None and held[0] == os.getpid():
            try:
                held[1].connection.close()
            except Exception:  # noqa: BLE001 - it is being thrown away because it failed
                pass


def current_task_queue() -> TaskQueue:
    return current_app.extensions["task_queue"]


def enqueue(task: str, *args: Any, countdown: float | None = None) -> None:
    """Hand one task to Celery now, from this thread (a worker's re-queue, a chain's next step); raises when the
    broker does not take it."""
    current_task_queue().send([TaskCall(task, args, countdown)])


def init_task_queue(app: Any) -> TaskQueue:
    app.extensions["task_queue"] = TaskQueue(app.extensions["celery"])
    return app.extensions["task_queue"]


class _Relay:
    """Calls handed over after commits, published by one thread of the process, everything queued at once.

    While it publishes one batch the next accumulates, so the busier the process, the larger the batches. The
    thread is started on first use in each process (a forked gunicorn worker gets its own); what is queued when a
    process dies unpublished is committed and pending, and the sweeps hand it out.
    """

    def __init__(self, send: Callable[[Sequence[TaskCall]], None]) -> None:
        self._send = send
        self.start_afresh()
        _RELAYS.add(self)

    def start_afresh(self) -> None:
        """Nothing queued, no thread: as new (and in a forked child, whose parent's thread did not come along)."""
        self._changed = threading.Condition()
        self._queued: list[tuple[TaskCall, Callable[[TaskCall], None]]] = []
        self._publishing = False
        self._thread: threading.Thread | None = None

    def add(self, calls: Sequence[TaskCall], if_lost: Callable[[TaskCall], None]) -> None:
        with self._changed:
            self._queued.extend((call, if_lost) for call in calls)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="medsync-task-hand-over", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._queued and not self._publishing, timeout)

    def _run(self) -> None:
        changed, last_published = self._changed, float("-inf")
        while True:
            with changed:
                changed.wait_for(lambda: self._queued)
            # At most one publish per PACE: a busy process's hand-overs of the meantime go out in one batch (one
            # round trip for all), an idle one's first hand-over goes at once.
            time.sleep(max(0.0, last_published + PACE - time.monotonic()))
            with changed:
                batch, self._queued, self._publishing = self._queued, [], True
            last_published = time.monotonic()
            try:
                self._publish(batch)
            finally:
                with changed:
                    self._publishing = False
                    changed.notify_all()

    def _publish(self, batch: list[tuple[TaskCall, Callable[[TaskCall], None]]]) -> None:
        try:
            self._send([call for call, _ in batch])
        except Exception as exc:  # noqa: BLE001 - the rows are committed: their sweeps hand them out
            log.warning("the broker did not take %d task(s) handed over after a commit (%s: %s)", len(batch),
                        type(exc).__name__, exc)
            for call, if_lost in batch:
                try:
                    if_lost(call)
                except Exception:  # noqa: BLE001 - a report must not stop the relay
                    log.exception("reporting a task not handed over failed")


_RELAYS: weakref.WeakSet[_Relay] = weakref.WeakSet()


def _forget_the_parents_relays() -> None:
    """In a forked child: the parent's thread is not there, and its lock may have been held at the fork."""
    for relay in list(_RELAYS):
        relay.start_afresh()


def _publish_what_is_left() -> None:
    """At a normal exit (a gunicorn worker told to stop): what was handed over goes out first, for a moment at most."""
    for relay in list(_RELAYS):
        relay.wait_until_idle(EXIT_WAIT)


os.register_at_fork(after_in_child=_forget_the_parents_relays)
atexit.register(_publish_what_is_left)

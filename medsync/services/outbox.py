"""Writing outbox rows, and handing due ones to Celery right after the transaction commits.

Services only write rows. The commit hook enqueues the delivery of rows that are already due;
anything not enqueued (Redis down, reminders due later) is found by the beat sweep.
"""
from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import redis
from celery import Celery
from flask import Flask, current_app, has_app_context
from sqlalchemy import ColumnElement, func, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from medsync import clock
from medsync.extensions import db
from medsync.redis_batch import RedisBatch
from medsync.models import MessageKind, MessageStatus, OutboxMessage
from medsync.services import after_commit

log = logging.getLogger(__name__)

DELIVER_TASK = "workers.delivery.deliver_message"
_DUE_NOW = "outbox: due now"
# A row due within this much of its commit is handed to the workers at once; later ones wait for the sweep.
DUE_SOON = timedelta(seconds=5)


@dataclass(frozen=True)
class Message:
    """An outbox row to write: what to send, to whom, about which booking or result, and when."""

    kind: MessageKind
    chat_id: int | None  # None: a patient without Telegram, who is sent nothing
    dedupe_key: str
    booking_id: int | None = None
    due_at: datetime | None = None
    result_id: int | None = None
    payload: dict[str, Any] | None = None


def dedupe_key(*parts: object) -> Any:
    """A message's dedupe key: what it is about and for what, joined by colons (`dedupe_key("booking", 7, "reminder",
    "24h")` is "booking:7:reminder:24h"); a None part is left out. The one spelling of every key, in Python and in
    SQL: given a SQL expression among its parts (a booking id still to be written), the same key as a SQL expression
    (PostgreSQL's concat_ws, which leaves out NULLs alike)."""
    if any(isinstance(part, ColumnElement) for part in parts):
        return func.concat_ws(_KEY_SEPARATOR, *parts)
    return _KEY_SEPARATOR.join(str(part) for part in parts if part is not None)


_KEY_SEPARATOR = ":"


def queue_message(
    kind: MessageKind,
    *,
    booking_id: int | None,
    chat_id: int | None,
    dedupe_key: str,
    due_at: datetime | None = None,
    result_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> int | None:
    """Add an outbox row unless one with the same dedupe key exists; returns the new id or None."""
    message = Message(kind, chat_id, dedupe_key, booking_id=booking_id, due_at=due_at, result_id=result_id,
                      payload=payload)
    written = queue_messages([message])
    return written[0] if written else None


def queue_messages(messages: Sequence[Message]) -> list[int]:
    """Add outbox rows in one INSERT, skipping any whose dedupe key exists; returns the new ids. A message to no chat
    (a patient booked by phone, without Telegram) is not written: they are called, not messaged."""
    messages = [message for message in messages if message.chat_id is not None]
    if not messages:
        return []
    now = clock.now()
    rows = [
        {
            "kind": message.kind.value, "dedupe_key": message.dedupe_key, "booking_id": message.booking_id,
            "chat_id": message.chat_id, "result_id": message.result_id, "payload": message.payload or {},
            "due_at": due_time(message.due_at, now), "status": MessageStatus.PENDING.value,
        }
        for message in messages
    ]
    written = db.session.execute(_insert_statement(), rows).all()
    dispatch_due(written, now)
    return [message_id for message_id, _ in written]


def due_time(due: datetime | None, queued_at: datetime) -> datetime:
    """When a message is due: at its time, or at once (when it is queued)."""
    return due or queued_at


def dispatch_due(written: Iterable[tuple[int, datetime]], queued_at: datetime) -> None:
    """Of the rows just written, as (id, due_at), hand those due soon to the workers once the transaction commits;
    the later ones wait for the sweep."""
    due_soon = queued_at + DUE_SOON
    mark_for_dispatch(message_id for message_id, due in written if due <= due_soon)


def skipping_known_keys(statement: Insert) -> Insert:
    """An INSERT of outbox rows that skips every row whose dedupe key exists, returning (id, due_at) of the rows
    written (for `dispatch_due`)."""
    return (
        statement.on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage.id, OutboxMessage.due_at)
    )


@cache
def _insert_statement() -> Insert:
    """Built once. Executed with a list of rows SQLAlchemy sends one multi-row INSERT ("insertmanyvalues"),
    compiled once per process; a statement built with .values(rows) would be compiled on every call."""
    return skipping_known_keys(insert(OutboxMessage.__table__))


def skip_pending(booking_ids: Collection[int], kinds: Iterable[MessageKind], reason: str) -> int:
    """Mark these bookings' not-yet-sent messages of these kinds skipped; returns how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.booking_id.in_(list(booking_ids)),
            OutboxMessage.status == MessageStatus.PENDING.value,
            OutboxMessage.kind.in_([kind.value for kind in kinds]),
        )
        .values(status=MessageStatus.SKIPPED.value, last_error=reason)
    )
    return result.rowcount


def mark_for_dispatch(message_ids: Iterable[int]) -> None:
    """Hand these rows to the workers once the current transaction commits."""
    for message_id in message_ids:
        after_commit.add(db.session(), _DUE_NOW, message_id)


def install_commit_hook(app: Flask, send: Callable[[int], None] | None = None) -> None:
    """Choose how this app enqueues a delivery (default: the delivery task by name, so nothing imports workers)."""
    app.extensions["outbox_sender"] = send or DeliveryHandOver(app.extensions["celery"], app.config["REDIS_URL"])


class DeliveryHandOver:
    """Enqueues the delivery task for one row with a single LPUSH of the message Celery itself would send.

    `send_task` costs about a fifth of a booking's CPU (routing, headers, a kombu producer and a new Redis
    client per publish). The message is the same each time but for the row id and three uuids, so it is built
    by Celery once per process (`as_task_v2`, protocol 2, JSON) and only those are filled in per row: the
    worker receives exactly what `send_task` would have pushed to the queue's Redis list (kombu's virtual
    transport envelope, anonymous exchange). A broker other than Redis falls back to `send_task`.
    """

    def __init__(self, celery: Celery, app_redis_url: str | None = None) -> None:
        self.celery = celery
        self.queue = celery.amqp.router.route({}, DELIVER_TASK)["queue"].name
        self.client: redis.Redis | None = None
        self.template: dict[str, Any] | None = None
        # The broker is the app's own Redis database: a commit's LPUSH can ride in its batch (commit_redis).
        self.rides_with_app_redis = app_redis_url is not None and str(celery.conf.broker_url) == app_redis_url

    def add_to(self, batch: RedisBatch, message_id: int) -> None:
        """Queue this row's LPUSH on a batch of the broker's Redis database."""
        batch.lpush(self.queue, self.message(message_id))

    def __call__(self, message_id: int) -> None:
        if not str(self.celery.conf.broker_url).startswith(("redis://", "rediss://", "unix://")):
            self.celery.send_task(DELIVER_TASK, args=[message_id])
            return
        if self.client is None:  # redis-py's pool reconnects after a fork; built lazily, nothing at import
            self.client = redis.Redis.from_url(self.celery.conf.broker_url, socket_connect_timeout=2, socket_timeout=5)
        batch = RedisBatch(self.client)  # one command without redis-py's wrapper: it cost more than the round trip
        self.add_to(batch, message_id)
        batch.execute()

    def message(self, message_id: int) -> str:
        """The queue entry for this row: Celery's message for deliver_message(message_id) in kombu's envelope."""
        if self.template is None:
            self.template = self._template()
        template, task_id = self.template, str(uuid.uuid4())
        body = json.dumps([[message_id], {}, template["embed"]]).encode()
        return json.dumps({
            "body": base64.b64encode(body).decode(), "content-encoding": "utf-8", "content-type": "application/json",
            "headers": {**template["headers"], "id": task_id, "root_id": task_id, "argsrepr": repr([message_id])},
            "properties": {**template["properties"], "correlation_id": task_id, "delivery_tag": str(uuid.uuid4())},
        })

    def _template(self) -> dict[str, Any]:
        task = self.celery.amqp.as_task_v2("", DELIVER_TASK, args=[0], ignore_result=self.celery.conf.task_ignore_result)
        _args, _kwargs, embed = task.body
        properties = {
            **task.properties, "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": self.queue},
            "priority": 0, "body_encoding": "base64",
        }
        return {"headers": task.headers, "properties": properties, "embed": embed}


def take_due_messages(session: Session) -> list[int]:
    """The rows the transaction that just committed hands to the workers (from `after_commit`: commit_redis)."""
    return after_commit.take(session, _DUE_NOW)


def current_sender() -> Callable[[int], None] | None:
    return current_app.extensions.get("outbox_sender") if has_app_context() else None


def send_each(sender: Callable[[int], None] | None, message_ids: Iterable[int]) -> None:
    """Hand each row to the workers on its own; one that cannot be is left to the sweep."""
    for message_id in message_ids:
        try:
            if sender is None:
                raise RuntimeError("no outbox sender installed")
            sender(message_id)
        except Exception:  # noqa: BLE001 - the sweep re-finds the row; the user's action is committed
            not_enqueued(message_id)


def not_enqueued(message_id: int) -> None:
    log.warning("could not enqueue outbox message %s; the sweep will deliver it", message_id)

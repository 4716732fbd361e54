"""Writing outbox rows, and handing due ones to Celery right after the transaction commits.

Services only write rows. The commit hook hands the delivery of rows that are already due to the process's task
queue (medsync.task_queue); anything not enqueued (the broker down, reminders due later) is found by the beat sweep.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import has_app_context
from sqlalchemy import ColumnElement, func, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from medsync import clock
from medsync.extensions import db
from medsync.models import MessageKind, MessageStatus, OutboxMessage
from medsync.services import after_commit
from medsync.task_queue import TaskCall, current_task_queue

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


def register_hooks(hooks: after_commit.Hooks) -> None:
    """The rows a transaction wrote due now are handed to the workers once it commits."""
    hooks.on("after_commit", _hand_over_due_messages)


def _hand_over_due_messages(session: Session) -> None:
    message_ids = after_commit.take(session, _DUE_NOW)
    if not message_ids:
        return
    if not has_app_context():
        for message_id in message_ids:
            _not_enqueued(message_id)
        return
    calls = [TaskCall(DELIVER_TASK, (message_id,)) for message_id in message_ids]
    current_task_queue().hand_over(calls, if_lost=lambda call: _not_enqueued(call.args[0]))


def _not_enqueued(message_id: int) -> None:
    log.warning("could not enqueue outbox message %s; the sweep will deliver it", message_id)

"""Writing outbox rows, and handing due ones to Celery right after the transaction commits.

Services only write rows. The commit hook enqueues the delivery of rows that are already due;
anything not enqueued (Redis down, reminders due later) is found by the beat sweep.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from medsync import clock
from medsync.extensions import db
from medsync.models import MessageKind, MessageStatus, OutboxMessage
from medsync.services import after_commit

log = logging.getLogger(__name__)

DELIVER_TASK = "workers.delivery.deliver_message"
_DUE_NOW = "outbox: due now"


@dataclass(frozen=True)
class Message:
    """An outbox row to write: what to send, to whom, about which booking or result, and when."""

    kind: MessageKind
    chat_id: int
    dedupe_key: str
    booking_id: int | None = None
    due_at: datetime | None = None
    result_id: int | None = None
    payload: dict[str, Any] | None = None


def queue_message(
    kind: MessageKind,
    *,
    booking_id: int | None,
    chat_id: int,
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
    """Add outbox rows in one INSERT, skipping any whose dedupe key exists; returns the new ids."""
    if not messages:
        return []
    now = clock.now()
    rows = [
        {
            "kind": message.kind.value, "dedupe_key": message.dedupe_key, "booking_id": message.booking_id,
            "chat_id": message.chat_id, "result_id": message.result_id, "payload": message.payload or {},
            "due_at": message.due_at or now, "status": MessageStatus.PENDING.value,
        }
        for message in messages
    ]
    written = db.session.execute(_insert_statement(), rows).all()
    due_soon = now + timedelta(seconds=5)
    for message_id, due_at in written:
        if due_at <= due_soon:
            after_commit.add(db.session(), _DUE_NOW, message_id)
    return [message_id for message_id, _ in written]


@cache
def _insert_statement() -> Insert:
    """Built once. Executed with a list of rows SQLAlchemy sends one multi-row INSERT ("insertmanyvalues"),
    compiled once per process; a statement built with .values(rows) would be compiled on every call."""
    return (
        insert(OutboxMessage.__table__)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage.id, OutboxMessage.due_at)
    )


def skip_pending(booking_id: int, kinds: Iterable[MessageKind], reason: str) -> int:
    """Mark a booking's not-yet-sent messages of these kinds skipped; returns how many."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.booking_id == booking_id,
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
    """Choose how this app enqueues a delivery (default: a Celery task by name, so nothing imports workers)."""

    def send_task(message_id: int) -> None:
        app.extensions["celery"].send_task(DELIVER_TASK, args=[message_id])

    app.extensions["outbox_sender"] = send or send_task


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    message_ids = after_commit.take(session, _DUE_NOW)
    if not message_ids:
        return
    sender = current_app.extensions.get("outbox_sender") if has_app_context() else None
    for message_id in message_ids:
        try:
            if sender is None:
                raise RuntimeError("no outbox sender installed")
            sender(message_id)
        except Exception:  # noqa: BLE001 - the sweep re-finds the row; the user's action is committed
            log.warning("could not enqueue outbox message %s; the sweep will deliver it", message_id)

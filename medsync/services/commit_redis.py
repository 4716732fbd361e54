"""What a commit hands to Redis, in one round trip: the slot tokens its booking writes replace (changes) and
the deliveries of its messages due now (outbox).

A booking needs both. As two listeners they were two round trips after every booking's commit; when Celery's
broker is the app's own Redis database (the default: both are REDIS_URL) the LPUSHes ride in the tokens'
batch. A dropped connection is retried once (a SET of a new token is idempotent; an LPUSH repeated by a
retry is fenced by the delivery's claim). Failing after that, each keeps its own fallback and the commit
stands: old tokens die at their answers' maximum age, a message not enqueued is found by the sweep.
Savepoints hand nothing over (after_commit.take).
"""
from __future__ import annotations

import logging

import redis
from sqlalchemy.orm import Session

from medsync.extensions import redis_client
from medsync.redis_batch import RedisBatch
from medsync.services import after_commit, changes, outbox

log = logging.getLogger(__name__)
_RETRIED = (redis.ConnectionError, redis.TimeoutError)


def register_hooks(hooks: after_commit.Hooks) -> None:
    hooks.on("after_commit", _hand_over_after_commit)


def _hand_over_after_commit(session: Session) -> None:
    keys = changes.take_changed_keys(session)
    message_ids = outbox.take_due_messages(session)
    if not keys and not message_ids:
        return
    sender = outbox.current_sender()
    riding = message_ids if isinstance(sender, outbox.DeliveryHandOver) and sender.rides_with_app_redis else []
    if keys or riding:
        try:
            _send(keys, riding, sender)
        except Exception:  # noqa: BLE001 - the commit stands; each part has its fallback
            log.warning("the after-commit batch to Redis failed", exc_info=True)
            if keys:
                changes.tokens_not_replaced()
            for message_id in riding:
                outbox.not_enqueued(message_id)
    if not riding:
        outbox.send_each(sender, message_ids)


def _send(keys: list[str], riding: list[int], sender: outbox.DeliveryHandOver | None) -> None:
    for attempt in (1, 2):
        batch = RedisBatch(redis_client.client)
        changes.add_token_replacements(batch, keys)
        for message_id in riding:
            sender.add_to(batch, message_id)
        try:
            batch.execute()
            return
        except _RETRIED:
            if attempt == 2:
                raise

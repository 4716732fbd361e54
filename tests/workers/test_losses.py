"""Nothing is lost when a worker dies mid-send, the broker loses the queue or is down: the database is the truth.
Every test here runs on Redis and on RabbitMQ."""
from __future__ import annotations

import logging
from collections import Counter

import pytest
from celery import Celery

from bench.server import free_port

from medsync.models import MessageKind, MessageStatus
from medsync.task_queue import TaskQueue
from tests.support.database import terminate_connections
from tests.workers.conftest import (
    QUEUE, lose_the_queue, message_rows, on_rabbitmq, queued, running_worker, wait_for_status, wait_until,
    wait_until_idle,
)

pytestmark = pytest.mark.both_brokers


def _all_sent() -> bool:
    return all(row.status == MessageStatus.SENT.value for row in message_rows(MessageKind.CONFIRMATION))


def _deliveries_by_chat(telegram_api) -> Counter[str]:
    return Counter(call.chat_id for call in telegram_api.calls("sendMessage", failed=False))


@pytest.fixture
def slow_telegram(telegram_api):
    """Telegram answers after 0.3 s, so a killed worker dies with messages in flight."""
    telegram_api.latency = 0.3
    yield telegram_api
    telegram_api.latency = 0.0


def test_a_worker_killed_mid_run_loses_nothing(app, slow_telegram, make_booking, sweep, worker_process):
    booked = [make_booking() for _ in range(12)]  # confirmations queued, no worker yet
    doomed = worker_process("doomed", DELIVERY_LEASE="1s")  # its claims lapse a second after it dies
    slow_telegram.wait_for("sendMessage", count=3, timeout=30)

    doomed.kill()
    in_doubt = {str(row.chat_id) for row in message_rows() if row.status == MessageStatus.SENDING.value}
    done_before = {str(row.chat_id) for row in message_rows() if row.status == MessageStatus.SENT.value}
    wait_until(lambda: sweep() >= 0 and not any(row.status == MessageStatus.SENDING.value for row in message_rows()),
               what="the dead worker's leases to lapse")
    worker_process("replacement")

    # A new worker process starts in seconds, but in tens of them on a machine running several suites at once.
    wait_until(_all_sent, timeout=60, what="every confirmation to be sent")
    wait_until(lambda: queued() == 0, what="the queue to drain")
    deliveries = _deliveries_by_chat(slow_telegram)
    assert in_doubt, "the kill should have caught messages in flight"
    assert set(deliveries) == {str(booking.user_id) for booking in booked}
    # At-least-once is the best anyone can do for a message Telegram may have received just before the kill;
    # everything else arrives exactly once.
    assert all(deliveries[chat] == 1 for chat in deliveries if chat not in in_doubt)
    assert all(deliveries[chat] <= 2 for chat in in_doubt)
    assert all(deliveries[chat] == 1 for chat in done_before)


def test_a_lost_queue_loses_nothing(app, telegram_api, make_booking, sweep):
    booked = [make_booking() for _ in range(3)]  # confirmations queued, no worker yet
    assert app.extensions["task_queue"].wait_until_published()
    assert queued() == 3
    lose_the_queue()  # Redis flushed, or RabbitMQ's queue purged

    with running_worker(app):
        sweep()
        wait_until(_all_sent, what="every confirmation to be sent")
        wait_until_idle()

    assert _deliveries_by_chat(telegram_api) == {str(booking.user_id): 1 for booking in booked}


def test_a_database_connection_killed_after_telegram_took_the_message_neither_loses_nor_repeats_it(
    app, telegram_api, make_booking, worker_process
):
    # The worker's sessions carry a name of their own, so the kill below hits them and nothing else.
    worker_process("deliverer", DATABASE_URL=f"{app.config['DATABASE_URL']}?application_name=medsync-deliverer")
    killed = []
    telegram_api.on_next_accept("sendMessage", lambda call: killed.append(terminate_connections("medsync-deliverer")))

    booking = make_booking()

    confirmation = wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT, timeout=30)
    wait_until_idle()
    assert killed and killed[0] > 0  # the worker's connection died between Telegram's answer and the mark
    assert len(telegram_api.calls("sendMessage", chat_id=booking.user_id)) == 1
    assert confirmation.attempts == 1


def test_a_booking_made_while_the_broker_is_down_loses_nothing(app, telegram_api, make_booking, sweep, monkeypatch,
                                                               caplog):
    """The commit stands and its confirmation is not lost: the hand-over fails at once (no retrying for seconds),
    and the beat's sweep hands the row out once the broker is back."""
    down = Celery("medsync-broker-down")
    nobody = free_port()
    down.conf.update(task_default_queue=QUEUE, broker_url=f"amqp://guest:guest@127.0.0.1:{nobody}//"
                     if on_rabbitmq() else f"redis://127.0.0.1:{nobody}/0")
    monkeypatch.setitem(app.extensions, "task_queue", TaskQueue(down))
    with caplog.at_level(logging.WARNING, logger="medsync"):
        booking = make_booking()
        assert app.extensions["task_queue"].wait_until_published()
    assert "the sweep will deliver it" in caplog.text
    monkeypatch.undo()  # the broker is back
    assert queued() == 0

    with running_worker(app):
        sweep()
        wait_until(_all_sent, what="the confirmation to be sent")
        wait_until_idle()

    assert _deliveries_by_chat(telegram_api) == {str(booking.user_id): 1}

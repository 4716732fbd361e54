"""Claims on outbox rows: fenced by a token, held by a lease a live worker renews, re-checked after every wait."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from medsync import clock
from medsync.extensions import db
from medsync.models import MessageKind, MessageStatus, OutboxMessage
from medsync.services import bookings, delivery
from medsync.services.ratelimit import TelegramRateLimiter
from tests.workers.conftest import message_rows, running_worker, wait_for_status, wait_until
from workers.delivery import deliver_message, sweep_outbox

pytestmark = pytest.mark.both_brokers  # the delivery tests run on Redis and on RabbitMQ


def in_another_request(app: Flask, action) -> None:
    """Run `action` in its own thread, app context and transaction, as another process would."""
    failures: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                action()
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                failures.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


@pytest.fixture
def confirmation(make_booking, app) -> OutboxMessage:
    """A booking's due confirmation, not yet in any worker's hands."""
    make_booking()
    return message_rows(MessageKind.CONFIRMATION)[0]


def test_a_stale_claim_cannot_finish_a_row_another_worker_claimed_since(confirmation):
    stale, _ = delivery.claim(confirmation.id)
    db.session.commit()
    # The stale worker stalled past its lease: the sweep returned the row and another worker took it.
    later = clock.now() + delivery.current_settings().DELIVERY_LEASE + timedelta(seconds=1)
    assert delivery.return_lost(now=later) == [confirmation.id]
    fresh, _ = delivery.claim(confirmation.id, now=later)
    db.session.commit()

    assert delivery.mark_sent(stale, telegram_message_id=1) is False
    assert delivery.retry_at(stale, clock.now(), error="late") is False
    assert delivery.renew([stale]) == []
    db.session.commit()
    row = message_rows(MessageKind.CONFIRMATION)[0]
    assert (row.status, row.claim_token) == ("sending", fresh.token)
    assert delivery.mark_sent(fresh, telegram_message_id=2) is True


def test_a_worker_whose_claim_was_taken_over_while_it_waited_does_not_send(
    app, telegram_api, confirmation, monkeypatch
):
    def taken_over_during_the_wait(limiter, chat_id, max_wait):
        def take_over() -> None:
            later = clock.now() + app.config["SETTINGS"].DELIVERY_LEASE + timedelta(seconds=1)
            delivery.return_lost(now=later)
            delivery.claim(confirmation.id, now=later)

        in_another_request(app, take_over)
        return None

    monkeypatch.setattr(TelegramRateLimiter, "wait_for_turn", taken_over_during_the_wait)

    assert deliver_message(confirmation.id) == "claim lost"

    assert telegram_api.calls("sendMessage") == []
    assert message_rows(MessageKind.CONFIRMATION)[0].status == "sending"  # the other worker's claim stands


def test_a_visit_cancelled_while_its_reminder_waited_for_a_slot_gets_no_reminder(
    app, telegram_api, make_booking, monkeypatch
):
    booking = make_booking()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER.value)
                       .values(due_at=clock.now() - timedelta(minutes=1)))
    db.session.commit()
    reminder = message_rows(MessageKind.REMINDER)[-1]

    def cancelled_during_the_wait(limiter, chat_id, max_wait):
        in_another_request(app, lambda: bookings.cancel_by_staff(booking.id, actor_id="reception"))
        return None

    monkeypatch.setattr(TelegramRateLimiter, "wait_for_turn", cancelled_during_the_wait)

    assert deliver_message(reminder.id) == "skipped"

    assert message_rows(MessageKind.REMINDER)[-1].last_error == "booking cancelled"
    assert not [call for call in telegram_api.calls("sendMessage") if "Reminder" in call.params["text"]]


def test_a_slow_send_keeps_its_claim_alive_and_is_not_handed_out_twice(
    app, telegram_api, make_booking, monkeypatch
):
    # A lease of 1 s renewed every third of a second; Telegram takes 2.5 s to answer.
    monkeypatch.setitem(app.config, "SETTINGS", replace(app.config["SETTINGS"], DELIVERY_LEASE=timedelta(seconds=1)))
    telegram_api.latency = 2.5
    try:
        with running_worker(app):
            make_booking()
            row = message_rows(MessageKind.CONFIRMATION)[0]
            wait_until(lambda: message_rows(MessageKind.CONFIRMATION)[0].status == "sending", what="the claim")
            returned = []
            while message_rows(MessageKind.CONFIRMATION)[0].status == "sending":
                returned += delivery.return_lost()  # the sweep, over and over, while the send is in flight
                db.session.commit()
            sent = wait_for_status(row.id, MessageStatus.SENT)
    finally:
        telegram_api.latency = 0.0

    assert returned == []
    assert sent.attempts == 1
    assert len(telegram_api.calls("sendMessage")) == 1


def test_a_dead_workers_rows_return_at_the_first_sweep_after_their_lease(
    app, telegram_api, make_booking, worker_process, monkeypatch
):
    telegram_api.latency = 0.5
    try:
        booked = [make_booking() for _ in range(6)]
        doomed = worker_process("doomed", DELIVERY_LEASE="2s")
        telegram_api.wait_for("sendMessage", count=1, timeout=30)
        doomed.kill()
    finally:
        telegram_api.latency = 0.0
    in_doubt = [row for row in message_rows(MessageKind.CONFIRMATION) if row.status == "sending"]
    assert in_doubt, "the kill should have caught messages in flight"
    first_end = min(row.lease_expires_at for row in in_doubt)
    last_end = max(row.lease_expires_at for row in in_doubt)
    assert last_end <= clock.now() + timedelta(seconds=2)  # nobody renews a dead worker's leases

    assert delivery.return_lost(now=first_end - timedelta(milliseconds=1)) == []  # not a moment before
    returned = delivery.return_lost(now=last_end + timedelta(milliseconds=1))  # and all at the first sweep after
    assert sorted(returned) == sorted(row.id for row in in_doubt)
    db.session.commit()
    with running_worker(app):
        sweep_outbox()
        wait_until(lambda: all(row.status == "sent" for row in message_rows(MessageKind.CONFIRMATION)),
                   timeout=30, what="every confirmation to be sent")
    deliveries = [call.chat_id for call in telegram_api.calls("sendMessage", failed=False)]
    assert sorted(set(deliveries)) == sorted(str(booking.user_id) for booking in booked)
    # The bound: a message may arrive twice only if it was in flight when the worker died.
    twice = {chat for chat in deliveries if deliveries.count(chat) > 1}
    assert twice <= {str(row.chat_id) for row in in_doubt}
    assert all(deliveries.count(chat) <= 2 for chat in deliveries)

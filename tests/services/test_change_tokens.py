"""Change tokens move only when a change is committed: never on rollback, never for a rolled-back savepoint."""
from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import select

from medsync.extensions import db, redis_client
from medsync.models import OutboxMessage
from medsync.services import bookings, catalog, changes
from tests.conftest import PATIENT

KYIV = ZoneInfo("Europe/Kyiv")
VISIT = datetime(2026, 12, 2, 10, 0, tzinfo=KYIV)
QUEUE = "medsync"


def tokens(doctor, user):
    return changes.slot_tokens([changes.doctor_key(doctor.id), changes.patient_key(user.telegram_id)])


def book(doctor, user):
    return bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                         starts_at=VISIT, patient=PATIENT)


def test_a_booking_replaces_its_doctors_and_patients_tokens_only_once_committed(frozen_now, make_doctor, make_user):
    doctor, user, bystander = make_doctor(), make_user(), make_user()
    before = tokens(doctor, user)
    untouched = changes.slot_tokens([changes.patient_key(bystander.telegram_id)])
    book(doctor, user)
    assert tokens(doctor, user) == before  # flushed, not committed
    db.session.commit()
    after = tokens(doctor, user)
    assert after[1] != before[1] and after[2] != before[2]
    assert after[0] == before[0], "a booking drops only its own doctor's and patient's answers, not every answer"
    assert changes.slot_tokens([changes.patient_key(bystander.telegram_id)]) == untouched


def test_a_rolled_back_booking_replaces_no_token(frozen_now, make_doctor, make_user):
    doctor, user = make_doctor(), make_user()
    before = tokens(doctor, user)
    book(doctor, user)
    db.session.rollback()
    db.session.commit()
    assert tokens(doctor, user) == before


def test_a_booking_in_a_rolled_back_savepoint_replaces_no_token(frozen_now, make_doctor, make_user):
    doctor, user = make_doctor(), make_user()
    before = tokens(doctor, user)
    savepoint = db.session.begin_nested()
    book(doctor, user)
    savepoint.rollback()
    db.session.commit()
    assert tokens(doctor, user) == before


def test_a_cancellation_replaces_the_tokens(frozen_now, make_booking):
    booking = make_booking(starts_at=VISIT)
    before = changes.slot_tokens([changes.doctor_key(booking.doctor_id)])
    bookings.cancel(booking.id, user_id=booking.user_id)
    db.session.commit()
    assert changes.slot_tokens([changes.doctor_key(booking.doctor_id)]) != before


def test_the_catalog_version_moves_on_commit_only(frozen_now, make_doctor):
    doctor = make_doctor()
    generation = changes.catalog_generation()
    version = redis_client.get(catalog.VERSION_KEY)

    savepoint = db.session.begin_nested()
    doctor.price = 1
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    doctor.price = 2
    db.session.flush()
    db.session.rollback()
    assert (changes.catalog_generation(), redis_client.get(catalog.VERSION_KEY)) == (generation, version)

    doctor.price = 3
    db.session.commit()
    assert changes.catalog_generation() != generation
    assert redis_client.get(catalog.VERSION_KEY) != version


def test_a_catalog_change_is_heard_only_on_its_own_redis_database(app):
    # Pub/sub is server-wide while keys are per database: a deployment or a test suite on another database of
    # the same Redis server must neither reload on our changes nor we on theirs.
    ours = app.extensions["redis"]
    kwargs = ours.connection_pool.connection_kwargs
    theirs = redis.Redis(connection_pool=redis.ConnectionPool(**{**kwargs, "db": 15 if kwargs.get("db") != 15 else 13}))
    assert changes.catalog_channel(ours) != changes.catalog_channel(theirs)
    listener = changes.CatalogFeed()
    generation, version = listener.current(ours)

    theirs.publish(changes.catalog_channel(theirs), "a version of another database")
    theirs.ping()
    ours.ping()
    assert listener.current(ours) == (generation, version)

    announced = changes.announce_catalog_change(ours)
    assert listener.current(ours) == (generation + 1, announced)
    listener.pubsub.close()


def test_a_catalog_change_whose_message_never_arrived_is_seen_within_the_verify_interval(app, monkeypatch):
    # A subscription dropped silently (a firewall's idle timeout) hears nothing; poll(2) cannot tell.
    client = app.extensions["redis"]
    listener = changes.CatalogFeed()
    generation, _ = listener.current(client)
    client.set(changes.CATALOG_KEY, "a version whose message was lost")  # set, never published
    assert listener.current(client)[0] == generation

    real_monotonic = changes.time.monotonic
    monkeypatch.setattr(changes.time, "monotonic", lambda: real_monotonic() + changes.VERIFY_SECONDS)
    assert listener.current(client) == (generation + 1, "a version whose message was lost")
    listener.pubsub.close()


def test_a_bookings_tokens_are_one_redis_round_trip_and_its_confirmation_is_published_off_the_committing_thread(
    app, frozen_now, make_doctor, make_user, monkeypatch
):
    """The commit sends the slot tokens (one batch) and only queues the delivery in memory: the process's hand-over
    thread publishes it through send_task, so the request neither waits for the broker nor pays for it."""
    from medsync.redis_batch import RedisBatch
    from medsync.task_queue import TaskQueue

    doctor, user = make_doctor(), make_user()
    before = tokens(doctor, user)
    booking = book(doctor, user)
    confirmation = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.booking_id == booking.id, OutboxMessage.kind == "confirmation"))
    round_trips: list[list[str]] = []
    execute = RedisBatch.execute
    monkeypatch.setattr(RedisBatch, "execute", lambda batch: round_trips.append(
        [command[0] for command in batch.commands]) or execute(batch))
    publishing_threads: list[threading.Thread] = []
    send = TaskQueue.send
    monkeypatch.setattr(TaskQueue, "send", lambda queue, calls: publishing_threads.append(
        threading.current_thread()) or send(queue, calls))
    db.session.commit()
    assert app.extensions["task_queue"].wait_until_published()
    assert round_trips == [["SET", "SET"]]
    assert publishing_threads and threading.current_thread() not in publishing_threads
    monkeypatch.undo()
    after = tokens(doctor, user)
    assert after[1] != before[1] and after[2] != before[2]
    assert queued_deliveries() == [[confirmation]]


def queued_deliveries() -> list[list[int]]:
    """The arguments of the task messages waiting in the Celery queue on Redis (kombu's envelope, Celery's body)."""
    entries = [json.loads(entry) for entry in redis_client.client.lrange(QUEUE, 0, -1)]
    assert all(entry["headers"]["task"] == "workers.delivery.deliver_message" for entry in entries)
    return [json.loads(base64.b64decode(entry["body"]))[0] for entry in entries]


def test_redis_down_after_a_commit_leaves_the_booking_the_sweep_and_the_answers_maximum_age(
    app, frozen_now, make_doctor, make_user, monkeypatch, caplog
):
    from medsync.redis_batch import RedisBatch
    from medsync.task_queue import TaskQueue

    doctor, user = make_doctor(), make_user()
    booking = book(doctor, user)

    def down(*_args):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(RedisBatch, "execute", down)
    monkeypatch.setattr(TaskQueue, "_send_one", down)
    with caplog.at_level(logging.WARNING, logger="medsync"):
        db.session.commit()  # tried twice, then each part's fallback
        assert app.extensions["task_queue"].wait_until_published()
    monkeypatch.undo()
    assert "could not replace slot tokens" in caplog.text
    assert "the sweep will deliver it" in caplog.text
    assert db.session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.booking_id == booking.id, OutboxMessage.kind == "confirmation")) == "pending"


def test_a_dropped_redis_connection_after_a_commit_is_retried_once(app, frozen_now, make_doctor, make_user,
                                                                    monkeypatch, caplog):
    from medsync.redis_batch import RedisBatch

    doctor, user = make_doctor(), make_user()
    before = tokens(doctor, user)
    book(doctor, user)
    execute, attempts = RedisBatch.execute, []

    def blip_once(batch):
        attempts.append(batch.commands)
        if len(attempts) == 1:
            raise redis.ConnectionError("connection reset by peer")
        return execute(batch)

    monkeypatch.setattr(RedisBatch, "execute", blip_once)
    with caplog.at_level(logging.WARNING, logger="medsync.services"):
        db.session.commit()
    monkeypatch.undo()
    assert len(attempts) == 2 and caplog.text == ""
    after = tokens(doctor, user)
    assert after[1] != before[1] and after[2] != before[2]
    assert app.extensions["task_queue"].wait_until_published()
    assert len(queued_deliveries()) == 1


def test_a_hand_over_that_cannot_even_be_built_does_not_fail_the_committed_booking(
    app, frozen_now, make_doctor, make_user, monkeypatch, caplog
):
    from medsync.task_queue import TaskQueue

    doctor, user = make_doctor(), make_user()
    before = tokens(doctor, user)
    booking = book(doctor, user)

    def broken(_queue, _producer, _call):
        raise TypeError("Celery changed its message")

    monkeypatch.setattr(TaskQueue, "_send_one", broken)
    with caplog.at_level(logging.WARNING, logger="medsync"):
        db.session.commit()  # does not raise: the booking is committed
        assert app.extensions["task_queue"].wait_until_published()
    monkeypatch.undo()
    assert "the sweep will deliver it" in caplog.text
    assert db.session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.booking_id == booking.id, OutboxMessage.kind == "confirmation")) == "pending"
    assert tokens(doctor, user) != before  # the tokens do not depend on the hand-over


def test_a_connection_a_dropped_subscription_gave_back_to_the_pool_never_unsettles_the_next_subscription(app):
    # redis-py calls a connection's connect callbacks on every reconnection, whoever holds it by then.
    client = app.extensions["redis"]
    listener = changes.CatalogFeed()
    listener.current(client)
    given_back = listener.pubsub.connection
    listener._forget()  # as after a lost subscription or a fork
    borrowed = client.connection_pool.get_connection()  # another command takes it from the pool...
    assert borrowed is given_back
    current = listener.current(client)  # ...while the feed subscribes again, on another connection
    subscription = listener.pubsub

    borrowed.disconnect()
    borrowed.connect()

    assert listener.current(client) == current and listener.pubsub is subscription
    client.connection_pool.release(borrowed)
    listener.pubsub.close()

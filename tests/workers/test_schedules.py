"""Beat's schedule, the sweep's handling of lost rows, no-show marking, and the shared rate limiter."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from medsync import clock
from medsync.extensions import db, redis_client
from medsync.models import Booking, BookingEvent, MessageKind, OutboxMessage
from medsync.services.ratelimit import TelegramRateLimiter
from tests.workers.conftest import QUEUE, message_rows
from workers.maintenance import mark_noshows


def test_beat_sweeps_every_interval_and_marks_noshows_nightly(app):
    celery = app.extensions["celery"]
    schedule = celery.conf.beat_schedule

    assert schedule["sweep-outbox"]["schedule"] == app.config["SETTINGS"].OUTBOX_SWEEP_INTERVAL.total_seconds() == 10
    assert schedule["mark-noshows"]["schedule"].hour == {3}
    assert {entry["task"] for entry in schedule.values()} <= set(celery.tasks)
    assert celery.conf.task_acks_late and celery.conf.task_reject_on_worker_lost
    assert celery.conf.worker_prefetch_multiplier == 1


def test_the_sweep_returns_rows_whose_lease_ran_out_and_fails_them_once_out_of_attempts(app, make_booking, sweep):
    make_booking()
    make_booking()
    first, second = message_rows(MessageKind.CONFIRMATION)
    # Forget the after-commit enqueue (published by the hand-over's thread, so wait for it first): only the sweep
    # hands rows out here.
    assert app.extensions["task_queue"].wait_until_published()
    redis_client.flushdb()
    ran_out = clock.now() - timedelta(seconds=1)
    db.session.execute(update(OutboxMessage).values(status="sending", claim_token="dead-worker",
                                                    lease_expires_at=ran_out, attempts=1))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == second.id)
                       .values(attempts=app.config["SETTINGS"].DELIVERY_MAX_ATTEMPTS))
    db.session.commit()

    handed_out = sweep()

    first, second = message_rows(MessageKind.CONFIRMATION)
    assert (first.status, second.status) == ("pending", "failed")
    assert handed_out == 1 and redis_client.llen(QUEUE) == 1
    assert sweep() == 0  # already in the queue: a second sweep does not hand it out again


def test_visits_nobody_came_to_are_marked_noshow_after_the_grace_period(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    zone = doctor.clinic.zone
    today = clock.now().astimezone(zone).date()
    missed = make_booking(doctor=doctor, starts_at=datetime.combine(today, time(10), zone))
    recent = make_booking(doctor=doctor, starts_at=datetime.combine(today, time(15), zone))
    # NOSHOW_GRACE is 2 h: 16:30 is past 11:00 + 2 h, not past 16:00 + 2 h.
    frozen_now(datetime.combine(today, time(16, 30), zone))

    assert mark_noshows() == 1

    db.session.expire_all()
    assert (db.session.get(Booking, missed.id).status, db.session.get(Booking, recent.id).status) == (
        "noshow", "booked")
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.action == "noshow"))
    assert (event.booking_id, event.actor) == (missed.id, "system")


def test_the_limiter_keeps_one_chat_a_second_apart_and_everyone_waits_after_a_429(app_context):
    limiter = TelegramRateLimiter(redis_client.client, rate=30, chat_rate=1)

    first = limiter.reserve(1, max_wait=0)
    same_chat = limiter.reserve(1, max_wait=0)
    other_chat = limiter.reserve(2, max_wait=1)
    limiter.pause(2)
    after_429 = limiter.reserve(3, max_wait=0)

    assert first.granted and first.wait == 0
    assert not same_chat.granted and 1.0 < same_chat.wait <= 1.05
    assert other_chat.granted and 0 < other_chat.wait <= 1.05 / 30
    assert not after_429.granted and after_429.wait > 1.9

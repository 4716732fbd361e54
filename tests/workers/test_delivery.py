"""Outbox delivery through a real Celery worker to the fake Bot API."""
from __future__ import annotations

import logging
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from telebot import apihelper

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, MessageKind, MessageStatus, OutboxMessage, Result, User
from medsync.services import bookings, reminders
from tests.conftest import BOT_TOKEN, next_local_slot
from tests.workers.conftest import make_due, message_rows, wait_for_status, wait_until_idle
from workers.delivery import deliver_message

pytestmark = pytest.mark.both_brokers  # the delivery tests run on Redis and on RabbitMQ


@pytest.fixture
def book_days_ahead(make_booking, make_doctor):
    """A booking at 10:00 clinic time three working days ahead: both reminders (24 h, 2 h) lie ahead
    of it at any hour of the day this runs."""

    def book():
        doctor = make_doctor()
        return make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=3))

    return book


def test_a_booking_confirmation_reaches_the_patient_in_clinic_time(worker, telegram_api, make_booking):
    booking = make_booking()

    call = telegram_api.wait_for("sendMessage", chat_id=booking.user_id, failed=False)[0]

    assert "Your visit is booked" in call.params["text"]
    assert booking.local_starts_at().strftime("%H:%M") + " (Kyiv)" in call.params["text"]
    assert booking.clinic.address in call.params["text"]
    confirmation = wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT)
    assert confirmation.telegram_message_id == call.result["message_id"]


def test_a_due_reminder_is_sent_once_by_two_workers_and_a_doubled_sweep(
    app, telegram_api, book_days_ahead, sweep, worker_process
):
    # Three working days ahead whatever the hour: both the 24 h and the 2 h reminder rows exist, and
    # both are made due at once, as after an outage. Only the latest of them may reach the patient.
    booking = book_days_ahead()
    assert [row.payload["offset"] for row in message_rows(MessageKind.REMINDER)] == ["24h", "2h"]
    make_due(MessageKind.REMINDER)
    worker_process("first")
    worker_process("second")
    early, latest = (row.id for row in message_rows(MessageKind.REMINDER))

    sweeps = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join()
    sweep()
    for _ in range(2):  # each row's task delivered again, as a redelivered queue message would be
        deliver_message.delay(early)
        deliver_message.delay(latest)

    wait_for_status(latest, MessageStatus.SENT, timeout=30)
    assert wait_for_status(early, MessageStatus.SKIPPED).last_error == "superseded by a later reminder"
    wait_until_idle()
    reminders = [call for call in telegram_api.calls("sendMessage", chat_id=booking.user_id)
                 if "Reminder" in call.params["text"]]
    assert len(reminders) == 1
    buttons = reminders[0].json("reply_markup")["inline_keyboard"][0]
    assert [button["callback_data"] for button in buttons] == [f"rc:{booking.id}", f"rx:{booking.id}"]
    assert [button["text"] for button in buttons] == ["✅ I'll come", "❌ Cancel"]


@pytest.mark.parametrize("order", [("24h", "2h"), ("2h", "24h")])
def test_of_reminders_due_together_only_the_latest_is_sent_whichever_goes_first(
    telegram_api, book_days_ahead, order
):
    booking = book_days_ahead()
    make_due(MessageKind.REMINDER)
    rows = {row.payload["offset"]: row.id for row in message_rows(MessageKind.REMINDER)}

    outcomes = {offset: deliver_message(rows[offset]) for offset in order}

    assert outcomes == {"24h": "skipped", "2h": "sent"}
    sent = [call for call in telegram_api.calls("sendMessage", chat_id=booking.user_id)
            if "Reminder" in call.params["text"]]
    assert len(sent) == 1


def test_an_earlier_reminder_still_goes_out_while_the_later_one_is_not_due(telegram_api, book_days_ahead):
    booking = book_days_ahead()
    rows = {row.payload["offset"]: row for row in message_rows(MessageKind.REMINDER)}
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == rows["24h"].id)
                       .values(due_at=clock.now() - timedelta(minutes=1)))
    db.session.commit()

    assert deliver_message(rows["24h"].id) == "sent"
    assert deliver_message(rows["2h"].id) == "not claimed"  # due in three days, not now
    assert len([call for call in telegram_api.calls("sendMessage", chat_id=booking.user_id)
                if "Reminder" in call.params["text"]]) == 1


def test_a_reminder_of_a_booking_cancelled_after_queueing_is_not_sent(worker, telegram_api, make_booking, sweep):
    booking = make_booking()
    telegram_api.wait_for("sendMessage", chat_id=booking.user_id)
    make_due(MessageKind.REMINDER)
    # Cancelled behind the outbox's back (as if between the sweep and the send): the sender must re-check.
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(status="cancelled", cancelled_by="staff"))
    db.session.commit()

    sweep()

    reminder = wait_for_status(message_rows(MessageKind.REMINDER)[0].id, MessageStatus.SKIPPED)
    assert reminder.last_error == "booking cancelled"
    assert not [call for call in telegram_api.calls("sendMessage") if "Reminder" in call.params["text"]]


def test_telegram_429_is_retried_after_retry_after(worker, telegram_api, make_booking):
    telegram_api.fail_next("sendMessage", status=429, retry_after=1)

    booking = make_booking()

    delivered = telegram_api.wait_for("sendMessage", chat_id=booking.user_id, failed=False, timeout=10)[0]
    refused = telegram_api.calls("sendMessage", chat_id=booking.user_id, failed=True)
    assert [call.status for call in refused] == [429]
    assert delivered.at - refused[0].at >= 1.0
    confirmation = wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT)
    assert confirmation.attempts == 1  # a 429 is Telegram's pacing, not a failed attempt


def test_a_user_who_blocked_the_bot_is_marked_unreachable_and_not_retried(worker, telegram_api, make_booking):
    booking = make_booking()
    telegram_api.wait_for("sendMessage", chat_id=booking.user_id)  # the confirmation goes through
    telegram_api.fail_chat(booking.user_id, status=403)

    bookings.cancel_by_staff(booking.id, actor_id="reception", reason="doctor ill")
    db.session.commit()

    cancellation = wait_for_status(message_rows(MessageKind.CANCELLATION)[0].id, MessageStatus.FAILED)
    assert cancellation.last_error.startswith("403")
    assert db.session.get(User, booking.user_id).reachable is False
    wait_until_idle()
    assert len(telegram_api.calls("sendMessage", chat_id=booking.user_id, failed=True)) == 1


def test_an_unreachable_user_is_not_sent_anything(worker, telegram_api, make_user, make_booking):
    user = make_user(reachable=False)

    make_booking(user=user)

    confirmation = wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.FAILED)
    assert confirmation.last_error == "the user has blocked the bot"
    assert telegram_api.calls(chat_id=user.telegram_id) == []


def test_a_telegram_server_error_is_retried_with_backoff(worker, telegram_api, make_booking):
    telegram_api.fail_next("sendMessage", status=502)

    booking = make_booking()

    telegram_api.wait_for("sendMessage", chat_id=booking.user_id, failed=False, timeout=15)
    confirmation = wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT)
    assert confirmation.attempts == 2
    assert confirmation.last_error is None




@pytest.mark.parametrize(("trouble", "logged"), [
    (dict(status=500), "retrying in 5 s: Telegram answered 500"),
    (dict(status=429, retry_after=1), "retrying in 1 s, no attempt used: Telegram answered 429 (too many requests)"),
    ("unreachable", "retrying in 5 s: network error (ConnectionError)"),
])
def test_a_confirmation_telegram_does_not_take_is_logged_once_with_the_reason_and_no_text_or_token(
    telegram_api, make_booking, caplog, monkeypatch, trouble, logged
):
    booking = make_booking()
    row_id = message_rows(MessageKind.CONFIRMATION)[0].id
    if trouble == "unreachable":
        monkeypatch.setattr(apihelper, "API_URL", f"http://127.0.0.1:{closed_port()}/bot{{0}}/{{1}}")
    else:
        telegram_api.fail_next("sendMessage", times=2, **trouble)
    caplog.set_level(logging.INFO, logger="workers.delivery")

    for _ in range(2):  # the same trouble twice (the task body as the worker runs it; the retry made due at once)
        assert deliver_message(row_id) in ("retrying", "deferred")
        make_due(MessageKind.CONFIRMATION)
    said = [record.getMessage() for record in caplog.records if record.name == "workers.delivery"]
    monkeypatch.undo()
    assert deliver_message(row_id) == "sent"

    assert said == [f"outbox message {row_id} (confirmation, attempt 1) not delivered, {logged}"]
    text = telegram_api.last("sendMessage").params["text"]
    assert not [line for line in text.splitlines() if line.strip() and line in said[0]]
    assert BOT_TOKEN.split(":")[1] not in said[0]
    assert booking.patient_first_name not in said[0]


def test_an_unforeseen_error_puts_the_row_back_for_a_retry_instead_of_leaving_it_sending(
    telegram_api, make_visit, upload, results_dir
):
    booking = make_visit()
    upload(booking.id)
    row = message_rows(MessageKind.RESULT)[0]
    first_due = row.due_at
    (results_dir / db.session.get(Result, row.result_id).storage_path).unlink()

    outcome = deliver_message(row.id)  # the task body, run here as the worker would run it

    retried = message_rows(MessageKind.RESULT)[0]
    assert outcome == "retrying"
    assert (retried.status, retried.attempts, retried.last_error) == ("pending", 1, "error: ResultNotFound")
    assert retried.due_at > first_due
    assert telegram_api.calls("sendDocument") == []


def test_a_reminder_for_a_visit_moved_since_it_was_queued_is_skipped(telegram_api, make_booking):
    booking = make_booking()
    reminders.queue_manual_reminders(booking_ids=[booking.id])
    db.session.commit()
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(
        starts_at=Booking.starts_at + timedelta(hours=1), ends_at=Booking.ends_at + timedelta(hours=1)))
    db.session.commit()
    reminder = message_rows(MessageKind.REMINDER)[-1]

    outcome = deliver_message(reminder.id)

    assert outcome == "skipped"
    assert message_rows(MessageKind.REMINDER)[-1].last_error == "booking moved"
    assert not [call for call in telegram_api.calls("sendMessage") if "Reminder" in call.params["text"]]


def closed_port() -> int:
    """A local port nothing listens on: one the system just handed out and we closed again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_ukrainian_patient_reads_the_diagnostic_in_ukrainian_in_the_confirmation_and_the_reminder(
    telegram_api, make_user, make_booking, make_diagnostic, make_clinic
):
    clinic = make_clinic()
    diagnostic = make_diagnostic(name="MRI", name_translations={"uk": "МРТ"}, clinics=[clinic])
    user = make_user(language_code="uk")
    make_booking(user=user, diagnostic_id=diagnostic.id, clinic_id=clinic.id,
                 starts_at=next_local_slot(clinic, days_ahead=3))
    make_due(MessageKind.REMINDER)
    [confirmation], latest_reminder = message_rows(MessageKind.CONFIRMATION), message_rows(MessageKind.REMINDER)[-1]

    outcomes = [deliver_message(confirmation.id), deliver_message(latest_reminder.id)]

    assert outcomes == ["sent", "sent"]
    sent = [call.params["text"] for call in telegram_api.calls("sendMessage", chat_id=user.telegram_id)]
    assert len(sent) == 2
    assert all("<b>МРТ</b>" in text and "MRI" not in text for text in sent), sent

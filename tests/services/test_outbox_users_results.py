"""Outbox hand-off after commit, user upserts, result storage and calendar export."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from kombu.exceptions import OperationalError
from sqlalchemy import select

from medsync.errors import InvalidRequest, ResultNotFound
from medsync.extensions import db, redis_client
from medsync.models import BookingEvent, OutboxMessage, Result, User
from medsync.services import bookings, calendar, catalog, outbox, result_files, results, users
from medsync.task_queue import TaskQueue
from tests.conftest import PATIENT, PDF, RESULTS_KEY

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def sent(app, monkeypatch):
    """Record the deliveries the commit hook hands to the workers instead of talking to Celery."""
    handed: list[int] = []

    def hand_over(calls, *, if_lost):
        handed.extend(call.args[0] for call in calls if call.task == outbox.DELIVER_TASK)

    monkeypatch.setattr(app.extensions["task_queue"], "hand_over", hand_over)
    return handed


def test_due_messages_are_handed_over_only_after_commit(frozen_now, make_booking, sent):
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    confirmation = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "confirmation"))
    assert sent == [confirmation]  # reminders are due later: the sweep enqueues them
    bookings.cancel(booking.id, user_id=booking.user_id)
    db.session.rollback()
    assert sent == [confirmation]


def test_a_failed_savepoint_inside_a_booking_transaction_keeps_the_transaction_s_messages(
    frozen_now, make_doctor, make_user, sent
):
    doctor, user = make_doctor(), make_user()
    booking = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV), patient=PATIENT)
    try:
        with db.session.begin_nested():  # some optional step of the same request fails and is undone
            outbox.queue_message(outbox.MessageKind.CANCELLATION, booking_id=booking.id, chat_id=user.telegram_id,
                                 dedupe_key="undone")
            raise RuntimeError("optional step failed")
    except RuntimeError:
        pass
    db.session.commit()

    confirmation = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "confirmation"))
    assert sent == [confirmation]  # the booking's own message is handed over; the undone one is not
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "undone")) is None


def test_messages_written_in_a_released_savepoint_are_handed_over_only_when_the_transaction_commits(
    frozen_now, make_doctor, make_user, sent
):
    # SQLAlchemy fires after_commit when a SAVEPOINT is released, too: a worker handed the row then would not
    # find it (not yet committed) and it would wait for the sweep.
    user = make_user()
    with db.session.begin_nested():
        message_id = outbox.queue_message(outbox.MessageKind.REPLY, booking_id=None, chat_id=user.telegram_id,
                                          dedupe_key="in-a-savepoint", payload={"reply": {}})
    assert sent == []

    db.session.commit()

    assert sent == [message_id]


def test_a_failed_savepoint_does_not_hide_a_catalog_change_from_other_processes(app_context, make_clinic):
    clinic = make_clinic()
    before = redis_client.get(catalog.VERSION_KEY)
    clinic.name = "Renamed clinic"
    db.session.flush()
    try:
        with db.session.begin_nested():
            raise RuntimeError("optional step failed")
    except RuntimeError:
        pass
    db.session.commit()

    assert redis_client.get(catalog.VERSION_KEY) != before


def test_a_broken_broker_does_not_lose_the_committed_booking(frozen_now, make_booking, app, monkeypatch, caplog):
    def broker_down(_producer, _call):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(TaskQueue, "_send_one", broker_down)
    with caplog.at_level(logging.WARNING, logger="medsync"):
        booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
        assert app.extensions["task_queue"].wait_until_published()
    confirmation = db.session.execute(select(OutboxMessage.id, OutboxMessage.status).where(
        OutboxMessage.booking_id == booking.id, OutboxMessage.kind == "confirmation")).one()
    assert confirmation.status == "pending"
    assert f"could not enqueue outbox message {confirmation.id}; the sweep will deliver it" in caplog.text


def test_the_same_dedupe_key_is_written_once(frozen_now, make_booking):
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    key = f"booking:{booking.id}:reminder:manual:2026-12-02"
    first = outbox.queue_message(outbox.MessageKind.REMINDER, booking_id=booking.id, chat_id=1, dedupe_key=key)
    second = outbox.queue_message(outbox.MessageKind.REMINDER, booking_id=booking.id, chat_id=1, dedupe_key=key)
    assert first is not None and second is None


def test_upsert_creates_then_refreshes_a_user(app_context):
    users.write_profile(users.Profile.of(42, first_name="Olha", username="olha", language_code="uk"))
    users.write_profile(users.Profile.of(42, first_name="Olha", last_name="Kobylianska", username="olha_k",
                                        language_code="en"))
    db.session.commit()
    user = db.session.get(User, 42)
    assert (user.full_name, user.username, user.language_code, user.reachable) == (
        "Olha Kobylianska", "olha_k", "en", True)
    users.set_reachable(42, False)
    db.session.commit()
    db.session.refresh(user)
    assert user.reachable is False


def test_a_stored_result_is_on_disk_encrypted_with_its_hash_and_queued_for_delivery(frozen_now, make_booking,
                                                                                     results_dir):
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    result = results.store_result(booking.id, content=PDF, file_name="../../etc/blood.pdf", uploaded_by="lab",
                                  now=booking.starts_at)
    db.session.commit()
    on_disk = results.file_path(result).read_bytes()
    assert b"PDF" not in on_disk and b"Catalog" not in on_disk
    assert result_files.unseal(result_files.Keys((RESULTS_KEY,)), on_disk) == PDF == results.file_content(result)
    assert results.file_path(result).is_relative_to(results_dir)
    assert result.sha256 == hashlib.sha256(PDF).hexdigest() and result.size_bytes == len(PDF)
    assert result.file_name == "blood.pdf"
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "result"))
    assert (row.result_id, row.chat_id) == (result.id, booking.user_id)
    assert db.session.scalar(select(BookingEvent.action).where(BookingEvent.action == "result_uploaded"))


def test_uploading_the_same_file_twice_keeps_one_result(frozen_now, make_booking):
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    first = results.store_result(booking.id, content=PDF, file_name="r.pdf", now=booking.starts_at)
    db.session.commit()
    again = results.store_result(booking.id, content=PDF, file_name="r (1).pdf", now=booking.starts_at)
    db.session.commit()
    assert again.id == first.id
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "result")).all()) == 1


def test_only_pdfs_within_the_cap_are_stored(frozen_now, make_booking, results_dir):
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    files_before = sorted(results_dir.rglob("*"))
    with pytest.raises(InvalidRequest, match="PDF"):
        results.store_result(booking.id, content=b"MZ\x90\x00 not a pdf", file_name="x.pdf", now=booking.starts_at)
    with pytest.raises(InvalidRequest, match="too large"):
        results.store_result(booking.id, content=PDF + b"0" * 30 * 1024 * 1024, file_name="big.pdf",
                             now=booking.starts_at)
    assert db.session.scalar(select(Result.id)) is None
    assert sorted(results_dir.rglob("*")) == files_before


def test_results_belong_to_the_booking_owner(frozen_now, make_booking, make_user):
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    result = results.store_result(booking.id, content=PDF, file_name="r.pdf", now=booking.starts_at)
    db.session.commit()
    assert results.get_result(result.id, user_id=booking.user_id).id == result.id
    with pytest.raises(ResultNotFound):
        results.get_result(result.id, user_id=make_user().telegram_id)
    assert [item.id for item in results.list_for_user(booking.user_id).items] == [result.id]
    results.remember_file_id(result.id, "file-1")
    results.remember_file_id(result.id, "file-2")
    db.session.commit()
    db.session.refresh(result)
    assert result.telegram_file_id == "file-1"


def test_sending_a_result_again_fails_loudly_when_the_outbox_takes_no_row(monkeypatch, frozen_now, make_booking):
    # A fresh random key never collides; if the outbox still wrote nothing, say so (an assert would vanish under
    # python -O and the caller would report a send that never happens).
    booking = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    result = results.store_result(booking.id, content=PDF, file_name="r.pdf", now=booking.starts_at)
    db.session.commit()
    monkeypatch.setattr(outbox, "queue_message", lambda *args, **kwargs: None)

    with pytest.raises(RuntimeError, match=f"result {result.id}"):
        results.send_to_chat(result.id, user_id=booking.user_id)


def test_calendar_event_keeps_its_uid_and_bumps_sequence_on_reschedule(frozen_now, make_booking):
    old = make_booking(starts_at=datetime(2026, 12, 3, 10, tzinfo=KYIV))
    new = bookings.reschedule(old.id, starts_at=datetime(2026, 12, 4, 10, tzinfo=KYIV),
                              user_id=old.user_id)
    db.session.commit()
    before = Calendar.from_ical(calendar.booking_ics(old)).walk("VEVENT")[0]
    after = Calendar.from_ical(calendar.booking_ics(new)).walk("VEVENT")[0]
    assert str(before["UID"]) == str(after["UID"])
    # The cancelled original moved up one, the new booking one more: calendars keep the newest.
    assert (int(before["SEQUENCE"]), int(after["SEQUENCE"])) == (1, 2)
    assert str(before["STATUS"]) == "CANCELLED" and str(after["STATUS"]) == "CONFIRMED"
    assert after.decoded("DTSTART") == datetime(2026, 12, 4, 10, tzinfo=KYIV)
    assert new.clinic.address in str(after["LOCATION"])

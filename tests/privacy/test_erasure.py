"""Erasing a patient's data: upcoming visits cancelled (clinics told), results and files deleted, every personal field
gone from every row, messages to them dropped, Redis keys removed; bookings kept anonymised; idempotent; a later /start
is a new user."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from medsync import clock
from medsync.bot import callbacks
from medsync.extensions import db, redis_client
from medsync.models import (
    Actor, Booking, BookingEvent, Clinic, DoctorRating, OutboxMessage, Patient, Result, StaffGroupEvent, User,
)
from medsync.services import bookings, erasure, results, staff_groups, users
from tests.bot.conftest import button, callback_update, message_update
from tests.conftest import PATIENT, PDF, next_local_slot
from tests.support.statements import statements_sent

PATIENT_ID = 700_000_001
# What identifies the patient, wherever it might hide: names, phone, e-mail, their note, their Telegram id and username.
PERSONAL = ("Shevchenko", "+380501234567", "t@example.com", "Please call before", "Kobzar", str(PATIENT_ID),
            "patient1", "Patient1")


@pytest.fixture
def patient_with_history(frozen_now, make_user, make_doctor, make_visit, make_booking, results_dir):
    """A patient with a past visit and its result, a visit they cancelled with a reason, an upcoming visit with its
    reminders queued, and a doctor's rating with a comment."""
    user = make_user(telegram_id=PATIENT_ID)
    doctor = make_doctor()
    details = PATIENT.__class__(PATIENT.first_name, PATIENT.last_name, PATIENT.phone, PATIENT.email,
                                "Please call before")
    past = make_visit(user=user, doctor=doctor, patient=details,
                      starts_at=next_local_slot(doctor.clinic, days_ahead=1, hour=10))
    result = results.store_result(past.id, content=PDF, file_name="blood.pdf", now=past.starts_at)
    mine = make_booking(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=2, hour=11))
    bookings.cancel(mine.id, user_id=PATIENT_ID, reason="Kobzar reading that day")
    upcoming = make_booking(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=3, hour=12))
    db.session.add(DoctorRating(doctor_id=doctor.id, user_id=PATIENT_ID, score=5, comment="Thanks from Shevchenko"))
    db.session.commit()
    redis_client.set(users.SENDER_HINT_KEY.format(PATIENT_ID), "[]")
    return {"user": user, "past": past, "result": result, "cancelled": mine, "upcoming": upcoming,
            "file": results.file_path(result)}


def test_erasing_leaves_no_personal_field_and_no_file_of_the_patient(client, tma_headers, patient_with_history):
    history = patient_with_history

    response = client.delete("/api/v1/me", headers=tma_headers(PATIENT_ID))

    assert response.status_code == 202
    body = response.get_json()
    assert (body["status"], body["cancelled"], body["anonymised"], body["results_deleted"]) == ("erased", 1, 3, 1)
    assert "What we kept, and why" in body["message"] and "1 upcoming visit was cancelled" in body["message"]
    db.session.expire_all()
    assert _rows_mentioning(PERSONAL) == []
    assert not history["file"].exists()
    assert db.session.get(User, PATIENT_ID) is None
    assert db.session.scalar(select(func.count()).select_from(Result)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # pending ones dropped too
    assert redis_client.get(users.SENDER_HINT_KEY.format(PATIENT_ID)) is None
    kept = db.session.scalars(select(Booking).order_by(Booking.id)).all()
    assert [booking.status for booking in kept] == ["arrived", "cancelled", "cancelled"]
    assert {(booking.user_id, booking.patient_first_name, booking.patient_email) for booking in kept} == {
        (None, "", None)}


def test_afterwards_their_lists_are_empty_and_their_result_file_is_404(client, tma_headers, patient_with_history):
    result_id = patient_with_history["result"].id
    headers = tma_headers(PATIENT_ID)

    client.delete("/api/v1/me", headers=headers)

    assert client.get("/api/v1/me/bookings?when=all", headers=headers).get_json()["items"] == []
    assert client.get("/api/v1/me/results", headers=headers).get_json()["items"] == []
    assert client.get(f"/api/v1/results/{result_id}/file", headers=headers).status_code == 404


def test_the_upcoming_visit_is_cancelled_and_its_clinic_told_as_for_any_cancellation(
    client, tma_headers, patient_with_history, make_staff_group
):
    upcoming = patient_with_history["upcoming"]
    make_staff_group(upcoming.clinic_id)

    client.delete("/api/v1/me", headers=tma_headers(PATIENT_ID))

    event = db.session.scalar(select(BookingEvent).where(BookingEvent.booking_id == upcoming.id,
                                                         BookingEvent.action == "cancelled"))
    assert (event.actor, event.actor_id) == (Actor.PATIENT.value, None)
    told = db.session.scalars(select(StaffGroupEvent.kind).where(StaffGroupEvent.booking_id == upcoming.id)).all()
    assert "cancelled" in told


def test_a_second_erasure_finds_nothing_and_changes_nothing(client, tma_headers, patient_with_history):
    headers = tma_headers(PATIENT_ID)
    client.delete("/api/v1/me", headers=headers)
    before = _snapshot()

    again = client.delete("/api/v1/me", headers=headers)

    assert again.status_code == 202
    assert (again.get_json()["cancelled"], again.get_json()["anonymised"], again.get_json()["results_deleted"]) == (
        0, 0, 0)
    assert _snapshot() == before


def test_only_the_callers_data_is_erased_and_forged_init_data_is_refused(client, tma_headers, patient_with_history,
                                                                          make_booking, make_user):
    other = make_booking(user=make_user())
    forged = {"Authorization": tma_headers(PATIENT_ID)["Authorization"].replace("hash=", "hash=0")}

    assert client.delete("/api/v1/me", headers=forged).status_code == 401
    assert client.delete("/api/v1/me").status_code == 401
    assert db.session.get(User, PATIENT_ID) is not None
    client.delete("/api/v1/me", headers=tma_headers(PATIENT_ID))
    db.session.expire_all()
    assert db.session.get(Booking, other.id).patient_last_name == PATIENT.last_name


def test_a_staff_members_own_profile_row_stays_for_their_account(client, tma_headers, patient_with_history,
                                                                  make_staff):
    make_staff(user=patient_with_history["user"])

    assert client.delete("/api/v1/me", headers=tma_headers(PATIENT_ID)).status_code == 202

    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == PATIENT_ID)) == 0
    assert db.session.get(User, PATIENT_ID) is not None


def test_erasing_a_thousand_bookings_takes_as_many_statements_as_erasing_one(app_context, frozen_now, make_user,
                                                                              make_doctor):
    """A set of statements whatever the history: 1,000 bookings cost what one does (bench/erasure.py times it)."""

    def erase_with(count: int) -> int:
        user = make_user()
        _insert_past_bookings(user.telegram_id, make_doctor(), count)
        with statements_sent() as sent:
            done = erasure.erase_patient(user.telegram_id)
            db.session.commit()
        assert done.anonymised == count
        return len(sent)

    assert erase_with(1_000) == erase_with(1)


# --- the bot ------------------------------------------------------------------------------------------------------


def test_the_bot_erases_only_after_an_explicit_confirmation_and_then_start_is_a_new_user(
    post_update, telegram_api, patient_with_history
):
    post_update(message_update(PATIENT_ID, "/mydata"))
    menu = telegram_api.last("sendMessage")
    assert button(menu, "🗑 Delete my data")["callback_data"] == callbacks.my_data_erase_ask.new()

    post_update(callback_update(PATIENT_ID, callbacks.my_data_erase_ask.new()))
    asked = telegram_api.last("editMessageText")
    assert "This cannot be undone" in asked.params["text"]
    assert db.session.get(User, PATIENT_ID) is not None  # nothing erased by asking
    post_update(callback_update(PATIENT_ID, callbacks.my_data_erase_no.new()))
    assert telegram_api.last("editMessageText").params["text"] == "Nothing was deleted."
    db.session.expire_all()
    assert db.session.get(User, PATIENT_ID) is not None

    redis_client.delete(users.SENDER_HINT_KEY.format(PATIENT_ID))  # the webhook reads and writes their row now
    post_update(callback_update(PATIENT_ID, button(asked, "Yes, delete my data")["callback_data"]))

    told = telegram_api.last("editMessageText").params["text"]
    assert told.startswith("Your data has been deleted.") and "What we kept, and why" in told
    db.session.expire_all()
    assert db.session.get(User, PATIENT_ID) is None
    assert redis_client.get(users.SENDER_HINT_KEY.format(PATIENT_ID)) is None  # not noted as known again
    post_update(message_update(PATIENT_ID, "/start"))
    db.session.expire_all()
    fresh = db.session.get(User, PATIENT_ID)
    assert fresh is not None and fresh.language is None
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == PATIENT_ID)) == 0


# --- helpers ------------------------------------------------------------------------------------------------------


@pytest.fixture
def make_staff_group(app_context, make_staff, make_user):
    def make(clinic_id: int) -> None:
        member = make_staff("admin", clinics=[db.session.get(Clinic, clinic_id)], user=make_user(telegram_id=42))
        staff_groups.set_group(member, -100500)
        db.session.commit()

    return make


def _rows_mentioning(needles: tuple[str, ...]) -> list[str]:
    """Every row of every table whose text holds one of these (a table's whole row, as PostgreSQL prints it)."""
    found = []
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f'SELECT t::text FROM "{table.name}" t')).scalars()
        found += [f"{table.name}: {row}" for row in rows if any(needle in row for needle in needles)]
    return found


def _snapshot() -> list[str]:
    return sorted(row for table in db.metadata.sorted_tables
                  for row in db.session.execute(text(f'SELECT t::text FROM "{table.name}" t')).scalars())


def _insert_past_bookings(telegram_id: int, doctor, count: int) -> None:
    """`count` visits that took place, a year back, an hour apart (one statement)."""
    first = clock.now() - timedelta(days=365)
    patient_id = db.session.scalar(
        pg_insert(Patient).values(user_id=telegram_id, first_name="Taras", last_name="Shevchenko", phone="+380501234567")
        .on_conflict_do_update(index_elements=[Patient.user_id], set_={"user_id": telegram_id}).returning(Patient.id)
    )
    db.session.execute(insert(Booking), [
        {"patient_id": patient_id, "user_id": telegram_id, "clinic_id": doctor.clinic_id, "doctor_id": doctor.id,
         "starts_at": first + timedelta(hours=number), "ends_at": first + timedelta(hours=number, minutes=30),
         "status": "fulfilled", "patient_first_name": "Taras", "patient_last_name": "Shevchenko",
         "patient_phone": "+380501234567", "ical_uid": f"{telegram_id}-{number}@medsync"}
        for number in range(count)
    ])
    db.session.commit()

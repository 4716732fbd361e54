"""POST /api/{doctors|diagnostics}/book_slot: verified Telegram user, real availability, nothing written on refusal."""
from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, Clinic, DiagnosticType, OutboxMessage, User
from tests.api.conftest import book_slot_body, first_doctor, local_slot, utc_text
from tests.conftest import BOT_TOKEN
from tests.support.initdata import sign_init_data

PATIENT_ID = 700_000_001


def written_rows() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Booking, OutboxMessage, User))


def test_booking_a_doctor_returns_success_and_the_booking_id(client, seeded, init_data):
    doctor = first_doctor()
    starts_at = local_slot(doctor.clinic, days_ahead=2, hour=10)
    response = client.post("/api/doctors/book_slot", json=book_slot_body(doctor, starts_at, init_data(PATIENT_ID)))

    assert response.status_code == 200
    body = response.get_json()
    assert body == {"status": "success", "booking_id": body["booking_id"]} and isinstance(body["booking_id"], int)
    booking = db.session.get(Booking, body["booking_id"])
    assert booking.user_id == PATIENT_ID and booking.doctor_id == doctor.id
    assert booking.starts_at == starts_at and booking.patient_phone == "+380501234567"
    assert booking.patient_message == "First visit"


def test_a_booking_queues_its_confirmation_and_reminders(client, seeded, init_data):
    doctor = first_doctor()
    starts_at = local_slot(doctor.clinic, days_ahead=2, hour=10)
    booking_id = client.post(
        "/api/doctors/book_slot", json=book_slot_body(doctor, starts_at, init_data(PATIENT_ID))
    ).get_json()["booking_id"]

    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booking_id)).all()
    assert {(message.kind, message.chat_id) for message in messages} == {
        ("confirmation", PATIENT_ID), ("reminder", PATIENT_ID)
    }
    assert sorted(message.due_at for message in messages if message.kind == "reminder") == [
        starts_at - timedelta(hours=24), starts_at - timedelta(hours=2)
    ]


def test_a_first_time_user_is_created_from_the_verified_init_data(client, seeded, init_data):
    doctor = first_doctor()
    signed = init_data(PATIENT_ID, first_name="Lesia", last_name="Ukrainka", username="lesia", language_code="en")
    client.post("/api/doctors/book_slot", json=book_slot_body(doctor, local_slot(doctor.clinic), signed))
    user = db.session.get(User, PATIENT_ID)
    assert (user.first_name, user.last_name, user.username, user.language_code) == ("Lesia", "Ukrainka", "lesia", "en")


def test_a_returning_users_profile_is_refreshed_by_their_next_booking(client, seeded, init_data):
    doctor = first_doctor()
    first = init_data(PATIENT_ID, first_name="Lesia", last_name="Kosach", username="lesia", language_code="uk")
    later = init_data(PATIENT_ID, first_name="Lesia", last_name="Ukrainka", username="ukrainka", language_code="en")
    for signed, hour in ((first, 10), (later, 11)):
        body = book_slot_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=hour), signed)
        assert client.post("/api/doctors/book_slot", json=body).status_code == 200
    db.session.expire_all()
    user = db.session.get(User, PATIENT_ID)
    assert (user.first_name, user.last_name, user.username, user.language_code) == ("Lesia", "Ukrainka", "ukrainka", "en")


def test_the_booking_shows_in_my_bookings_for_that_user_only(client, seeded, init_data, tma_headers):
    doctor = first_doctor()
    booking_id = client.post(
        "/api/doctors/book_slot", json=book_slot_body(doctor, local_slot(doctor.clinic), init_data(PATIENT_ID))
    ).get_json()["booking_id"]

    mine = client.get("/api/v1/me/bookings", headers=tma_headers(PATIENT_ID)).get_json()
    theirs = client.get("/api/v1/me/bookings", headers=tma_headers(PATIENT_ID + 1)).get_json()
    assert [item["id"] for item in mine["items"]] == [booking_id]
    assert theirs["items"] == [] and theirs["pagination"]["total"] == 0


def test_init_data_in_the_authorization_header_is_accepted_too(client, seeded, tma_headers):
    doctor = first_doctor()
    response = client.post("/api/doctors/book_slot", headers=tma_headers(PATIENT_ID),
                           json=book_slot_body(doctor, local_slot(doctor.clinic), None))
    assert response.status_code == 200
    assert db.session.get(Booking, response.get_json()["booking_id"]).user_id == PATIENT_ID


def test_the_body_cannot_choose_the_user(client, seeded, init_data):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic), init_data(PATIENT_ID), user_id=1, telegram_id=2)
    booking_id = client.post("/api/doctors/book_slot", json=body).get_json()["booking_id"]
    assert db.session.get(Booking, booking_id).user_id == PATIENT_ID


def _forged(init_data) -> str:
    return init_data(PATIENT_ID).replace("Taras", "Petro")


def _wrong_bot(_init_data) -> str:
    return sign_init_data("999:OTHER-bot", {"id": PATIENT_ID, "first_name": "Taras"},
                          auth_date=int(clock.now().timestamp()))


def _expired(_init_data) -> str:
    return sign_init_data(BOT_TOKEN, {"id": PATIENT_ID, "first_name": "Taras"},
                          auth_date=int((clock.now() - timedelta(days=2)).timestamp()))


@pytest.mark.parametrize("make_init_data", [_forged, _wrong_bot, _expired, lambda _: None, lambda _: "garbage"],
                         ids=["forged", "wrong-bot", "expired", "missing", "malformed"])
def test_bad_init_data_is_401_and_writes_nothing(client, seeded, init_data, make_init_data):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic), make_init_data(init_data))
    response = client.post("/api/doctors/book_slot", json=body)
    assert response.status_code == 401
    assert response.get_json()["code"] == 401
    assert written_rows() == (0, 0, 0)


def test_without_a_bot_token_init_data_cannot_be_verified(app, client, seeded, init_data, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], BOT_TOKEN=""))
    doctor = first_doctor()
    response = client.post("/api/doctors/book_slot",
                           json=book_slot_body(doctor, local_slot(doctor.clinic), init_data(PATIENT_ID)))
    assert response.status_code == 401
    assert "BOT_TOKEN" in response.get_json()["message"]
    assert written_rows() == (0, 0, 0)


def test_a_taken_slot_is_409(client, seeded, init_data):
    doctor = first_doctor()
    starts_at = local_slot(doctor.clinic)
    assert client.post("/api/doctors/book_slot",
                       json=book_slot_body(doctor, starts_at, init_data(PATIENT_ID))).status_code == 200
    response = client.post("/api/doctors/book_slot", json=book_slot_body(doctor, starts_at, init_data(PATIENT_ID + 1)))
    assert response.status_code == 409
    assert response.get_json()["message"] == "This time has just been taken. Please choose another slot."


@pytest.mark.parametrize("when, message", [
    (lambda clinic: local_slot(clinic, hour=22), "The clinic does not take bookings at this time"),
    (lambda clinic: local_slot(clinic, hour=7), "The clinic does not take bookings at this time"),
    (lambda clinic: clock.now() - timedelta(days=1), "This time is in the past."),
    (lambda clinic: local_slot(clinic, days_ahead=90), "Bookings can be made at most"),
], ids=["after-hours", "before-opening", "past", "beyond-horizon"])
def test_a_time_the_clinic_does_not_offer_is_409_with_a_clear_message(client, seeded, init_data, when, message):
    doctor = first_doctor()
    body = book_slot_body(doctor, when(doctor.clinic), init_data(PATIENT_ID))
    response = client.post("/api/doctors/book_slot", json=body)
    assert response.status_code == 409
    assert response.get_json()["message"].startswith(message)
    assert written_rows()[:2] == (0, 0)


def test_a_time_in_the_clinics_break_is_409(client, seeded, init_data, make_doctor):
    # The factory clinic lunches 13:00–14:00.
    doctor = make_doctor()
    response = client.post("/api/doctors/book_slot",
                           json=book_slot_body(doctor, local_slot(doctor.clinic, hour=13), init_data(PATIENT_ID)))
    assert response.status_code == 409
    assert "does not take bookings at this time" in response.get_json()["message"]


def test_a_doctor_at_a_clinic_where_they_do_not_work_is_422(client, seeded, init_data):
    doctor = first_doctor()
    other_clinic = db.session.scalar(select(Clinic.id).where(Clinic.id != doctor.clinic_id))
    body = book_slot_body(doctor, local_slot(doctor.clinic), init_data(PATIENT_ID), location_id=other_clinic)
    response = client.post("/api/doctors/book_slot", json=body)
    assert response.status_code == 422
    assert "clinic_id" in response.get_json()["errors"]
    assert written_rows()[:2] == (0, 0)


@pytest.mark.parametrize("change, field", [
    ({"user_phone": None}, "user_phone"),
    ({"doctor_id": "abc"}, "doctor_id"),
    ({"user_name": "x" * 101}, "user_name"),
    ({"user_email": "not-an-email"}, "user_email"),
    ({"booking_date_time": "2026-12-03T09:00:00"}, "booking_date_time"),
    ({"booking_date_time": "next tuesday"}, "booking_date_time"),
    ({"user_message": "nul\x00byte"}, "user_message"),
], ids=["missing", "wrong-type", "too-long", "bad-email", "no-offset", "unparseable", "nul"])
def test_invalid_fields_are_422_with_field_errors(client, seeded, init_data, change, field):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic), init_data(PATIENT_ID))
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post("/api/doctors/book_slot", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert written_rows()[:2] == (0, 0)


@pytest.mark.parametrize("data, content_type, status", [
    ("{not json", "application/json", 400),
    ("", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ('"text"', "application/json", 400),
    ("doctor_id=1", "application/x-www-form-urlencoded", 415),
    ("hello", "text/plain", 415),
], ids=["malformed", "empty", "array", "string", "form", "text"])
def test_bodies_that_are_not_json_objects_are_refused(client, seeded, data, content_type, status):
    response = client.post("/api/doctors/book_slot", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["code"] == status
    assert written_rows() == (0, 0, 0)


def test_booking_a_diagnostic(client, seeded, init_data):
    diagnostic = db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)).first()
    clinic = diagnostic.clinics[0]
    body = {
        "diagnostic_id": diagnostic.id, "location_id": clinic.id,
        "booking_date_time": utc_text(local_slot(clinic, hour=11)), "user_name": "Taras",
        "user_surname": "Shevchenko", "user_phone": "+380501234567", "user_email": "",
        "userInitData": init_data(PATIENT_ID),
    }
    response = client.post("/api/diagnostics/book_slot", json=body)
    assert response.status_code == 200
    booking = db.session.get(Booking, response.get_json()["booking_id"])
    assert booking.diagnostic_id == diagnostic.id and booking.clinic_id == clinic.id and booking.patient_email is None


def test_twenty_patients_racing_for_one_slot_over_http_get_one_booking(app, seeded, init_data):
    doctor = first_doctor()
    starts_at = local_slot(doctor.clinic, days_ahead=3, hour=11)
    bodies = [book_slot_body(doctor, starts_at, init_data(PATIENT_ID + index)) for index in range(20)]
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def attempt(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        statuses[index] = client.post("/api/doctors/book_slot", json=bodies[index]).status_code

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [409] * 19
    assert db.session.scalar(text("SELECT count(*) FROM bookings")) == 1

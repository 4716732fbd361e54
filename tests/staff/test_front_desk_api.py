"""The front desk's API (issue 19): booking callers with or without Telegram, finding patients, undoing a mark, notes."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, BookingEvent, BookingStatus, MessageKind, OutboxMessage, Patient
from medsync.services import bookings
from tests.conftest import next_local_slot
from tests.staff.conftest import CALLER


def messages_of(booking_id: int) -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.booking_id == booking_id)))


# --- booking a caller --------------------------------------------------------------------------------


def test_a_caller_without_telegram_is_booked_by_phone_and_sent_nothing(desk):
    response = desk()

    assert response.status_code == 201, response.json
    booking = response.json
    assert booking["status"] == "booked"
    assert booking["patient"]["has_telegram"] is False
    assert booking["patient"]["phone"] == "+380671234567"
    assert booking["patient"]["first_name"] == "Olha"
    assert messages_of(booking["id"]) == []
    patient = db.session.get(Patient, booking["patient"]["id"])
    assert (patient.phone, patient.user_id) == ("+380671234567", None)
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.booking_id == booking["id"]))
    assert (event.actor, event.actor_id, event.action) == ("staff", "staff-token:1", "booked")


def test_one_caller_booked_twice_by_phone_is_one_patient(desk):
    first = desk(hour=10).json
    second = desk({**CALLER, "phone": "+38 (067) 123-45-67"}, hour=15).json

    assert first["patient"]["id"] == second["patient"]["id"]
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 1


def test_a_found_patient_is_booked_by_their_id(desk):
    patient_id = desk(hour=10).json["patient"]["id"]

    response = desk({"id": patient_id}, hour=15)

    assert response.status_code == 201
    assert response.json["patient"]["id"] == patient_id
    assert response.json["patient"]["last_name"] == "Kobylianska"


def test_a_caller_whose_phone_has_telegram_gets_the_booking_in_the_chat(desk, make_user, make_booking):
    user = make_user()
    make_booking(user=user, doctor=desk.doctor, starts_at=next_local_slot(desk.doctor.clinic, days_ahead=2))
    own = db.session.scalar(select(Patient).where(Patient.user_id == user.telegram_id))
    assert own.phone == "+380501234567"  # the details given at their own booking, read in the clinic's country

    response = desk({"first_name": "Taras", "last_name": "Shevchenko", "phone": "050 123 45 67"})

    assert response.json["patient"] == {**response.json["patient"], "id": own.id, "has_telegram": True}
    assert MessageKind.CONFIRMATION.value in messages_of(response.json["id"])


@pytest.mark.parametrize("phone", ["12345", "+999 123 4567", "000 000 0000"])
def test_a_phone_that_is_no_number_of_the_clinics_country_is_422_naming_it(desk, phone):
    response = desk({**CALLER, "phone": phone})

    assert response.status_code == 422
    assert list(response.json["errors"]["patient"]) == ["phone"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


@pytest.mark.parametrize("patient, field", [
    ({"first_name": "Olha", "phone": "067 123 45 67"}, "last_name"),
    ({"first_name": "Olha", "last_name": "K"}, "phone"),
    ({"id": "one"}, "id"),
    ({**CALLER, "email": "not an address"}, "email"),
])
def test_missing_or_malformed_caller_fields_are_422_naming_them(desk, patient, field):
    response = desk(patient)

    assert response.status_code == 422
    assert field in response.json["errors"]["patient"]


def test_a_taken_slot_is_409_and_the_caller_is_not_booked_twice(desk, make_booking):
    make_booking(doctor=desk.doctor, starts_at=next_local_slot(desk.doctor.clinic))

    response = desk()

    assert response.status_code == 409
    assert "taken" in response.json["message"]


def test_a_time_the_doctor_does_not_work_is_409(desk):
    response = desk(hour=13)  # lunch

    assert response.status_code == 409


def test_a_caller_cannot_hold_two_visits_at_once(desk, make_doctor):
    desk()
    colleague = make_doctor(clinic=desk.doctor.clinic)

    response = desk(doctor_id=colleague.id)

    assert response.status_code == 409
    assert response.json["message"] == "You already have a booking at this time."


def test_another_clinics_booking_or_patient_does_not_exist_for_a_clinics_token(desk, only_clinics, make_doctor):
    patient_id = desk().json["patient"]["id"]
    elsewhere = make_doctor()
    only_clinics(elsewhere.clinic_id)

    assert desk(doctor_id=elsewhere.id, clinic_id=elsewhere.clinic_id, patient={"id": patient_id}).status_code == 404
    assert desk().status_code == 404  # the desk's own clinic is not this token's


def test_an_unknown_patient_id_is_404(desk):
    assert desk({"id": 12345}).status_code == 404


# --- finding a patient -------------------------------------------------------------------------------


@pytest.fixture
def callers(desk):
    desk(CALLER, hour=10)
    desk({"first_name": "Ivan", "last_name": "Franko", "phone": "+380 93 765 43 21"}, hour=11)
    desk({"first_name": "Lesya", "last_name": "Ukrainka", "phone": "+48 601 234 567"}, hour=12)


def find(client, staff_headers, query):
    return client.get("/api/v1/staff/patients", query_string={"q": query}, headers=staff_headers)


@pytest.mark.parametrize("query, found", [
    ("567", ["Kobylianska", "Ukrainka"]),  # three digits of a phone
    ("765 43", ["Franko"]),  # written as it is spoken
    ("KOBYL", ["Kobylianska"]),
    ("lesya ukr", ["Ukrainka"]),
    ("ivan 4321", ["Franko"]),
    ("nobody", []),
    ("%%%", []),  # a wildcard is a character like any other
    ("_a_", []),
])
def test_a_patient_is_found_by_part_of_their_name_or_phone(client, staff_headers, callers, query, found):
    response = find(client, staff_headers, query)

    assert response.status_code == 200
    assert [item["last_name"] for item in response.json["items"]] == found
    assert response.json["pagination"]["total"] == len(found)


def test_a_found_patient_shows_their_upcoming_visits_and_whether_they_have_telegram(client, staff_headers, desk):
    booked = desk().json

    item = find(client, staff_headers, "kobyl").json["items"][0]

    assert item["has_telegram"] is False
    assert item["phone"] == "+380671234567"
    assert [visit["id"] for visit in item["upcoming"]] == [booked["id"]]
    assert item["upcoming"][0]["starts_at"] == booked["starts_at"]


def test_a_found_patient_shows_their_last_visit_and_no_cancelled_one(client, staff_headers, desk, frozen_now):
    came = desk(hour=10).json
    called_off = desk(hour=12).json
    set_status(client, staff_headers, called_off["id"], "cancelled")
    frozen_now(datetime.fromisoformat(called_off["starts_at"]) + timedelta(days=1))

    item = find(client, staff_headers, "kobyl").json["items"][0]

    assert item["upcoming"] == []
    assert item["last_visit"]["id"] == came["id"]
    assert item["last_visit"]["starts_at"] == came["starts_at"]  # in the clinic's time, as the booking's
    assert item["last_visit"]["service_name"] == desk.doctor.full_name


def test_finding_more_patients_with_more_visits_runs_no_more_statements(client, staff_headers, desk, count_queries):
    desk(CALLER, hour=10)
    with count_queries() as one_found:
        assert len(find(client, staff_headers, "kobyl").json["items"]) == 1
    for hour, phone in ((11, "+380671111111"), (12, "+380672222222"), (14, "+380673333333")):
        assert desk({**CALLER, "phone": phone}, hour=hour).status_code == 201
        assert desk({**CALLER, "phone": phone}, hour=hour, days_ahead=2).status_code == 201

    with count_queries() as four_found:
        found = find(client, staff_headers, "kobyl").json["items"]

    with count_queries() as none_found:
        assert find(client, staff_headers, "nobody").json["pagination"]["total"] == 0

    assert [len(item["upcoming"]) for item in found] == [1, 2, 2, 2]
    # The token with its clinics, the search; then the audit of who was read: their clinics (a token of every
    # clinic), the entries. Nobody found reads nobody.
    assert len(four_found) == len(one_found) == 4
    assert len(none_found) == 2


@pytest.mark.parametrize("query", ["", "ab", "  a  "])
def test_a_search_shorter_than_three_characters_is_422(client, staff_headers, app_context, query):
    response = find(client, staff_headers, query)

    assert response.status_code == 422
    assert "q" in response.json["errors"]


def test_a_clinics_token_finds_only_patients_of_its_clinics(client, staff_headers, callers, only_clinics, make_clinic):
    only_clinics(make_clinic().id)

    assert find(client, staff_headers, "kobyl").json["items"] == []


# --- status: undoing a mark --------------------------------------------------------------------------


def set_status(client, staff_headers, booking_id, status, reason=None):
    body = {"status": status} if reason is None else {"status": status, "reason": reason}
    return client.post(f"/api/v1/staff/bookings/{booking_id}/status", json=body, headers=staff_headers)


@pytest.fixture
def visit_today(desk, frozen_now):
    """A caller booked for 10:00 today; it is 10:30."""
    booking = desk(days_ahead=0).json
    frozen_now(next_local_slot(desk.doctor.clinic, days_ahead=0, hour=10) + timedelta(minutes=30))
    return booking


def test_a_late_patient_marked_no_show_is_marked_arrived_after_all(client, staff_headers, visit_today):
    assert set_status(client, staff_headers, visit_today["id"], "noshow").status_code == 200

    response = set_status(client, staff_headers, visit_today["id"], "arrived", "Came 30 minutes late")

    assert response.status_code == 200, response.json
    assert response.json["status"] == "arrived"
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.action == "undone"))
    assert (event.actor, event.actor_id) == ("staff", "staff-token:1")
    assert event.details == {"from": "noshow", "to": "arrived", "reason": "Came 30 minutes late"}


@pytest.mark.parametrize("first, back", [("arrived", "booked"), ("noshow", "booked")])
def test_a_mark_is_taken_back_to_booked_on_the_visits_day(client, staff_headers, visit_today, first, back):
    set_status(client, staff_headers, visit_today["id"], first)

    response = set_status(client, staff_headers, visit_today["id"], back, "Marked by mistake")

    assert response.status_code == 200
    assert response.json["status"] == back


def test_taking_a_mark_back_needs_a_reason(client, staff_headers, visit_today):
    set_status(client, staff_headers, visit_today["id"], "noshow")

    response = set_status(client, staff_headers, visit_today["id"], "booked")

    assert response.status_code == 422
    assert "reason" in response.json["errors"]


def test_a_mark_is_not_taken_back_after_the_visits_day(client, staff_headers, visit_today, frozen_now, desk):
    set_status(client, staff_headers, visit_today["id"], "noshow")
    frozen_now(next_local_slot(desk.doctor.clinic, days_ahead=0, hour=10) + timedelta(days=1))

    response = set_status(client, staff_headers, visit_today["id"], "arrived", "Came yesterday after all")

    assert response.status_code == 409
    assert db.session.get(Booking, visit_today["id"]).status == "noshow"


@pytest.mark.parametrize("first, back", [("arrived", "noshow"), ("cancelled", "booked")])
def test_other_moves_backwards_stay_refused(client, staff_headers, visit_today, first, back):
    set_status(client, staff_headers, visit_today["id"], first, "Patient asked")

    assert set_status(client, staff_headers, visit_today["id"], back, "Why not").status_code == 409


def test_a_missed_visit_whose_time_was_booked_again_cannot_take_it_back(client, staff_headers, visit_today, desk,
                                                                        make_patient):
    set_status(client, staff_headers, visit_today["id"], "noshow")
    walk_in = make_patient()
    bookings.book(user_id=None, patient_id=walk_in.id, clinic_id=desk.doctor.clinic_id, doctor_id=desk.doctor.id,
                  starts_at=next_local_slot(desk.doctor.clinic, days_ahead=0, hour=10),
                  patient=bookings.PatientDetails(walk_in.first_name, walk_in.last_name, walk_in.phone),
                  now=clock.now() - timedelta(hours=2))  # booked into the freed time before it began
    db.session.commit()

    response = set_status(client, staff_headers, visit_today["id"], "arrived", "Came late")

    assert response.status_code == 409
    assert db.session.get(Booking, visit_today["id"]).status == "noshow"


def test_the_nightly_marking_leaves_a_visit_whose_mark_was_taken_back(client, staff_headers, visit_today, frozen_now):
    set_status(client, staff_headers, visit_today["id"], "arrived")
    set_status(client, staff_headers, visit_today["id"], "booked", "Left before the doctor saw them; coming back")

    missed = bookings.mark_missed(clock.now() + timedelta(days=1))
    db.session.commit()

    assert visit_today["id"] not in missed
    assert db.session.get(Booking, visit_today["id"]).status == "booked"


def test_another_clinics_visit_cannot_be_marked_by_a_clinics_token(client, staff_headers, visit_today, only_clinics,
                                                                      make_clinic):
    only_clinics(make_clinic().id)

    assert set_status(client, staff_headers, visit_today["id"], "arrived").status_code == 404


# --- notes, the day's list ---------------------------------------------------------------------------


def write_note(client, staff_headers, booking_id, note):
    return client.patch(f"/api/v1/staff/bookings/{booking_id}", json={"note": note}, headers=staff_headers)


def test_a_note_is_kept_on_the_visit_and_shown_on_the_days_list_never_logged(client, staff_headers, desk, caplog):
    booking = desk(days_ahead=0, hour=15).json
    secret = "Allergic to penicillin; bring the old X-ray"

    with caplog.at_level(logging.DEBUG):
        response = write_note(client, staff_headers, booking["id"], secret)
        listed = client.get("/api/v1/staff/bookings", headers=staff_headers).json["items"]

    assert response.status_code == 200 and response.json["note"] == secret
    assert [(item["id"], item["note"]) for item in listed] == [(booking["id"], secret)]
    assert secret not in caplog.text
    assert messages_of(booking["id"]) == []
    assert secret not in str(db.session.scalars(select(BookingEvent.details)).all())


def test_an_empty_note_removes_it(client, staff_headers, desk):
    booking = desk().json
    write_note(client, staff_headers, booking["id"], "Call back")

    assert write_note(client, staff_headers, booking["id"], "  ").json["note"] is None


@pytest.mark.parametrize("body", [{"note": "x" * 2001}, {}, {"note": 5}])
def test_a_note_over_2000_characters_or_missing_is_422(client, staff_headers, desk, body):
    booking = desk().json

    response = client.patch(f"/api/v1/staff/bookings/{booking['id']}", json=body, headers=staff_headers)

    assert response.status_code == 422
    assert "note" in response.json["errors"]


def test_a_note_on_another_clinics_visit_is_404(client, staff_headers, desk, only_clinics, make_clinic):
    booking = desk().json
    only_clinics(make_clinic().id)

    assert write_note(client, staff_headers, booking["id"], "x").status_code == 404
    assert write_note(client, staff_headers, 999_999, "x").status_code == 404


def test_the_days_list_says_who_confirmed_and_who_has_telegram(client, staff_headers, desk, make_user, make_booking):
    by_phone = desk(days_ahead=0, hour=15).json
    user = make_user()
    in_chat = make_booking(user=user, doctor=desk.doctor, starts_at=next_local_slot(desk.doctor.clinic, days_ahead=0,
                                                                                     hour=16))
    bookings.confirm_attendance(in_chat.id, user_id=user.telegram_id)
    db.session.commit()

    items = client.get("/api/v1/staff/bookings", headers=staff_headers).json["items"]

    assert [(item["id"], item["confirmed"], item["patient"]["has_telegram"]) for item in items] == [
        (by_phone["id"], False, False), (in_chat.id, True, True)]


# --- moving and cancelling ---------------------------------------------------------------------------


def test_the_desk_moves_a_visit_and_the_patient_reads_why(client, staff_headers, desk, make_user, make_booking):
    user = make_user()
    booking = make_booking(user=user, doctor=desk.doctor, starts_at=next_local_slot(desk.doctor.clinic, hour=10))
    new_time = next_local_slot(desk.doctor.clinic, hour=15)

    response = client.post(f"/api/v1/staff/bookings/{booking.id}/reschedule", headers=staff_headers,
                           json={"starts_at": new_time.isoformat(), "reason": "The doctor is in surgery"})

    assert response.status_code == 200, response.json
    moved = db.session.get(Booking, response.json["id"])
    assert (moved.rescheduled_from_id, moved.user_id, moved.patient_id) == (booking.id, user.telegram_id,
                                                                            booking.patient_id)
    old = db.session.get(Booking, booking.id)
    assert (old.status, old.cancelled_by, old.cancel_reason) == ("cancelled", "staff", "The doctor is in surgery")
    assert MessageKind.CONFIRMATION.value in messages_of(moved.id)


def test_moving_a_visit_into_a_taken_time_is_409_and_leaves_it(client, staff_headers, desk, make_booking):
    booking = desk().json
    make_booking(doctor=desk.doctor, starts_at=next_local_slot(desk.doctor.clinic, hour=15))

    response = client.post(f"/api/v1/staff/bookings/{booking['id']}/reschedule", headers=staff_headers,
                           json={"starts_at": next_local_slot(desk.doctor.clinic, hour=15).isoformat()})

    assert response.status_code == 409
    assert db.session.get(Booking, booking["id"]).status == BookingStatus.BOOKED.value


def test_cancelling_a_phone_booking_writes_no_message(client, staff_headers, desk):
    booking = desk().json

    response = set_status(client, staff_headers, booking["id"], "cancelled", "Patient called to cancel")

    assert response.status_code == 200 and response.json["cancel_reason"] == "Patient called to cancel"
    assert messages_of(booking["id"]) == []

"""/api/v1 for the patient: create (idempotent), list, detail, cancel, reschedule, calendar, results — own only."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from medsync.extensions import db
from medsync.models import Booking, OutboxMessage
from medsync.services import results
from tests.api.conftest import first_doctor, local_slot, v1_booking_body
from tests.conftest import PDF

PATIENT_ID = 700_000_001
STRANGER_ID = 700_000_999


def booking_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


@pytest.fixture
def booked(client, seeded, tma_headers) -> dict:
    """A booking of PATIENT_ID, two days ahead, made through the API."""
    doctor = first_doctor()
    response = client.post("/api/v1/bookings", headers=tma_headers(PATIENT_ID),
                           json=v1_booking_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=10)))
    assert response.status_code == 201
    return response.get_json()


def test_create_answers_201_with_the_booking_in_clinic_time(client, seeded, tma_headers):
    doctor = first_doctor()
    starts_at = local_slot(doctor.clinic, days_ahead=2, hour=10)
    response = client.post("/api/v1/bookings", headers=tma_headers(PATIENT_ID),
                           json=v1_booking_body(doctor, starts_at))
    booking = response.get_json()
    assert response.status_code == 201
    assert booking["status"] == "booked" and booking["doctor"] == {"id": doctor.id, "full_name": doctor.full_name}
    assert booking["starts_at"] == starts_at.isoformat() and booking["diagnostic"] is None
    assert booking["patient"]["phone"] == "+380501234567"
    assert db.session.get(Booking, booking["id"]).user_id == PATIENT_ID


def test_the_same_idempotency_key_returns_the_first_booking_and_creates_nothing(client, seeded, tma_headers):
    doctor = first_doctor()
    headers = {**tma_headers(PATIENT_ID), "Idempotency-Key": "tap-1"}
    first = client.post("/api/v1/bookings", headers=headers,
                        json=v1_booking_body(doctor, local_slot(doctor.clinic, hour=10)))
    repeat = client.post("/api/v1/bookings", headers=headers,
                         json=v1_booking_body(doctor, local_slot(doctor.clinic, hour=10)))
    reused = client.post("/api/v1/bookings", headers=headers,
                         json=v1_booking_body(doctor, local_slot(doctor.clinic, hour=11)))
    assert first.status_code == repeat.status_code == 201
    assert repeat.get_json()["id"] == first.get_json()["id"]
    assert reused.status_code == 422 and "Idempotency-Key" in reused.get_json()["errors"]
    assert booking_count() == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "confirmation")) == 1


def test_create_without_init_data_is_401_before_any_validation(client, seeded):
    response = client.post("/api/v1/bookings", json={"nonsense": True})
    assert response.status_code == 401
    assert booking_count() == 0


@pytest.mark.parametrize("change, field", [
    ({"doctor_id": None}, "doctor_id"),
    ({"diagnostic_id": 1}, "doctor_id"),
    ({"starts_at": "2026-12-03T10:00:00"}, "starts_at"),
    ({"clinic_id": "1"}, "clinic_id"),
    ({"patient": {"first_name": "T"}}, "patient"),
    ({"surprise": 1}, "surprise"),
], ids=["neither", "both", "no-offset", "string-id", "patient-incomplete", "unknown-field"])
def test_invalid_create_bodies_are_422_with_field_errors(client, seeded, tma_headers, change, field):
    doctor = first_doctor()
    body = v1_booking_body(doctor, local_slot(doctor.clinic))
    body.update(change)
    response = client.post("/api/v1/bookings", headers=tma_headers(PATIENT_ID), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert booking_count() == 0


def test_a_non_json_create_is_415(client, seeded, tma_headers):
    response = client.post("/api/v1/bookings", headers=tma_headers(PATIENT_ID), data="x=1",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_my_bookings_split_upcoming_and_past(client, booked, tma_headers):
    headers = tma_headers(PATIENT_ID)
    client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=headers, json={"reason": "Feeling better"})
    upcoming = client.get("/api/v1/me/bookings?when=upcoming", headers=headers).get_json()
    past = client.get("/api/v1/me/bookings?when=past", headers=headers).get_json()
    assert upcoming["items"] == []
    assert [item["id"] for item in past["items"]] == [booked["id"]]
    assert client.get("/api/v1/me/bookings?when=someday", headers=headers).status_code == 422


def test_someone_elses_booking_does_not_exist_for_them(client, booked, tma_headers):
    stranger = tma_headers(STRANGER_ID)
    path = f"/api/v1/bookings/{booked['id']}"
    assert client.get(path, headers=stranger).status_code == 404
    assert client.get(f"{path}/calendar.ics", headers=stranger).status_code == 404
    assert client.post(f"{path}/cancel", headers=stranger, json={}).status_code == 404
    later = local_slot(db.session.get(Booking, booked["id"]).clinic, days_ahead=3, hour=12)
    assert client.post(f"{path}/reschedule", headers=stranger, json={"starts_at": later.isoformat()}).status_code == 404
    assert db.session.get(Booking, booked["id"]).status == "booked"
    assert client.get(path, headers=tma_headers(PATIENT_ID)).get_json()["id"] == booked["id"]


def test_cancel_with_or_without_a_reason(client, booked, tma_headers):
    response = client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=tma_headers(PATIENT_ID))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled" and response.get_json()["cancelled_by"] == "patient"
    again = client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=tma_headers(PATIENT_ID), json={})
    assert again.status_code == 409 and again.get_json()["message"] == "This booking is already cancelled."


def test_cancel_inside_the_cutoff_is_409(client, booked, tma_headers, frozen_now):
    starts_at = db.session.get(Booking, booked["id"]).starts_at
    frozen_now(starts_at - timedelta(hours=1))
    response = client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=tma_headers(PATIENT_ID), json={})
    assert response.status_code == 409
    assert "too late to cancel" in response.get_json()["message"]
    assert db.session.get(Booking, booked["id"]).status == "booked"


def test_a_booking_says_whether_it_can_still_be_cancelled_or_moved(client, booked, tma_headers, frozen_now):
    assert (booked["can_cancel"], booked["can_move"]) == (True, True)
    frozen_now(datetime.fromisoformat(booked["starts_at"]) - timedelta(hours=1))  # inside the cutoff
    path, headers = f"/api/v1/bookings/{booked['id']}", tma_headers(PATIENT_ID)

    inside = client.get(path, headers=headers).get_json()
    listed = client.get("/api/v1/me/bookings", headers=headers).get_json()["items"]

    assert (inside["can_cancel"], inside["can_move"]) == (False, False)
    assert [(item["id"], item["can_cancel"], item["can_move"]) for item in listed] == [(booked["id"], False, False)]


def test_a_booking_says_what_its_patient_may_do_with_it_now(client, booked, tma_headers, frozen_now):
    path, starts_at = f"/api/v1/bookings/{booked['id']}", datetime.fromisoformat(booked["starts_at"])
    assert (booked["actions"], booked["too_late_to_change"]) == (["cancel", "move", "calendar"], False)

    frozen_now(starts_at - timedelta(hours=1))  # inside the cutoff
    inside = client.get(path, headers=tma_headers(PATIENT_ID)).get_json()
    frozen_now(starts_at - timedelta(days=1))
    cancelled = client.post(f"{path}/cancel", headers=tma_headers(PATIENT_ID), json={}).get_json()

    assert (inside["actions"], inside["too_late_to_change"]) == (["calendar"], True)
    assert (cancelled["actions"], cancelled["too_late_to_change"]) == ([], False)


def test_reschedule_moves_the_visit_and_the_calendar_event(client, booked, tma_headers):
    headers = tma_headers(PATIENT_ID)
    old = db.session.get(Booking, booked["id"])
    later = local_slot(old.clinic, days_ahead=3, hour=12)
    response = client.post(f"/api/v1/bookings/{booked['id']}/reschedule", headers=headers,
                           json={"starts_at": later.isoformat()})
    moved = response.get_json()
    assert response.status_code == 200
    assert moved["starts_at"] == later.isoformat() and moved["rescheduled_from_id"] == booked["id"]
    assert client.get(f"/api/v1/bookings/{booked['id']}", headers=headers).get_json()["status"] == "cancelled"
    first = Calendar.from_ical(client.get(f"/api/v1/bookings/{booked['id']}/calendar.ics", headers=headers).data)
    second = Calendar.from_ical(client.get(f"/api/v1/bookings/{moved['id']}/calendar.ics", headers=headers).data)
    (old_event,), (new_event,) = first.walk("VEVENT"), second.walk("VEVENT")
    assert str(old_event["UID"]) == str(new_event["UID"])
    assert int(new_event["SEQUENCE"]) == int(old_event["SEQUENCE"]) + 1


def test_a_moved_booking_is_listed_once_as_its_new_time_not_as_a_cancelled_visit(client, booked, tma_headers):
    headers = tma_headers(PATIENT_ID)
    later = local_slot(db.session.get(Booking, booked["id"]).clinic, days_ahead=3, hour=12)
    moved = client.post(f"/api/v1/bookings/{booked['id']}/reschedule", headers=headers,
                        json={"starts_at": later.isoformat()}).get_json()

    lists = {when: client.get(f"/api/v1/me/bookings?when={when}", headers=headers).get_json()
             for when in ("upcoming", "past", "all")}

    assert [item["id"] for item in lists["upcoming"]["items"]] == [moved["id"]]
    assert lists["past"]["items"] == [] and lists["past"]["pagination"]["total"] == 0
    assert [item["id"] for item in lists["all"]["items"]] == [moved["id"]]


def test_a_cancelled_booking_stays_in_past_after_another_booking_is_moved(client, booked, tma_headers):
    headers = tma_headers(PATIENT_ID)
    doctor = first_doctor()
    other = client.post("/api/v1/bookings", headers=headers,
                        json=v1_booking_body(doctor, local_slot(doctor.clinic, days_ahead=4, hour=10))).get_json()
    client.post(f"/api/v1/bookings/{other['id']}/cancel", headers=headers, json={})
    client.post(f"/api/v1/bookings/{booked['id']}/reschedule", headers=headers,
                json={"starts_at": local_slot(doctor.clinic, days_ahead=3, hour=12).isoformat()})

    past = client.get("/api/v1/me/bookings?when=past", headers=headers).get_json()

    assert [(item["id"], item["status"]) for item in past["items"]] == [(other["id"], "cancelled")]


def test_reschedule_to_an_unavailable_time_is_409_and_keeps_the_booking(client, booked, tma_headers):
    old = db.session.get(Booking, booked["id"])
    response = client.post(f"/api/v1/bookings/{booked['id']}/reschedule", headers=tma_headers(PATIENT_ID),
                           json={"starts_at": local_slot(old.clinic, hour=23).isoformat()})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Booking, booked["id"]).status == "booked"


def test_calendar_export_is_an_ics_attachment_of_the_visit(client, booked, tma_headers):
    response = client.get(f"/api/v1/bookings/{booked['id']}/calendar.ics", headers=tma_headers(PATIENT_ID))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="medsync-booking-{booked["id"]}.ics"'
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    booking = db.session.get(Booking, booked["id"])
    assert event.decoded("DTSTART") == booking.starts_at
    assert booking.clinic.name in str(event["LOCATION"])


def _after_the_visit(booked: dict) -> datetime:
    """The clock as a result is stored for this booking: once its visit is over."""
    return datetime.fromisoformat(booked["ends_at"])


def test_results_are_listed_and_downloaded_by_their_owner_only(client, booked, tma_headers):
    result = results.store_result(booked["id"], content=PDF, file_name="../blood test.pdf", title="Blood test",
                                  now=_after_the_visit(booked))
    db.session.commit()
    mine = client.get("/api/v1/me/results", headers=tma_headers(PATIENT_ID)).get_json()
    assert [(item["id"], item["title"]) for item in mine["items"]] == [(result.id, "Blood test")]
    assert client.get("/api/v1/me/results", headers=tma_headers(STRANGER_ID)).get_json()["items"] == []

    download = client.get(f"/api/v1/results/{result.id}/file", headers=tma_headers(PATIENT_ID))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == PDF
    assert download.headers["Content-Disposition"] == 'attachment; filename="blood test.pdf"'
    assert client.get(f"/api/v1/results/{result.id}/file", headers=tma_headers(STRANGER_ID)).status_code == 404
    assert client.get(f"/api/v1/results/{result.id}/file").status_code == 401


def test_a_result_whose_file_is_gone_is_404(client, booked, tma_headers):
    result = results.store_result(booked["id"], content=PDF, file_name="x.pdf", now=_after_the_visit(booked))
    db.session.commit()
    results.file_path(result).unlink()
    response = client.get(f"/api/v1/results/{result.id}/file", headers=tma_headers(PATIENT_ID))
    assert response.status_code == 404 and response.get_json()["code"] == 404


def test_a_result_is_sent_to_the_owners_chat_again_on_request_and_only_theirs(client, booked, tma_headers):
    result = results.store_result(booked["id"], content=PDF, file_name="x.pdf", now=_after_the_visit(booked))
    db.session.commit()

    first = client.post(f"/api/v1/results/{result.id}/send", headers=tma_headers(PATIENT_ID))
    second = client.post(f"/api/v1/results/{result.id}/send", headers=tma_headers(PATIENT_ID))
    stranger = client.post(f"/api/v1/results/{result.id}/send", headers=tma_headers(STRANGER_ID))
    anonymous = client.post(f"/api/v1/results/{result.id}/send")

    assert first.status_code == second.status_code == 202
    assert first.get_json() == {"result_id": result.id, "status": "queued"}
    assert stranger.status_code == 404 and anonymous.status_code == 401
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "result").order_by(OutboxMessage.id)).all()
    assert len(rows) == 3  # the upload's own delivery and the two requested ones
    assert {row.chat_id for row in rows} == {PATIENT_ID} and {row.result_id for row in rows} == {result.id}
    assert len({row.dedupe_key for row in rows}) == 3

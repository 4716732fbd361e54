"""The staff API: token auth, the day's list, forward-only status, result upload, reminder runs, failed deliveries."""
from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, BookingEvent, MessageKind, OutboxMessage, Result, StaffToken
from medsync.services import clinic_day, result_files, staff_tokens
from tests.conftest import next_local_slot
from tests.conftest import PDF, RESULTS_KEY


# --- authentication ---------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-token", "Token abc", "tma abc"])
def test_staff_routes_refuse_requests_without_a_valid_token(client, app_context, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/api/v1/staff/bookings", headers=headers)

    assert response.status_code == 401
    assert response.json["code"] == 401 and response.json["status"] == "Unauthorized"


def test_a_revoked_token_is_refused(client, staff_token, staff_headers):
    staff_tokens.revoke("Reception desk")
    db.session.commit()

    response = client.get("/api/v1/staff/bookings", headers=staff_headers)

    assert response.status_code == 401


def test_a_valid_token_is_accepted_and_its_use_noted(client, staff_token, staff_headers):
    response = client.get("/api/v1/staff/bookings", headers=staff_headers)

    assert response.status_code == 200
    db.session.expire_all()
    token = db.session.scalar(select(StaffToken))
    assert token.last_used_at is not None


# --- the day's list ---------------------------------------------------------------------------------


def test_the_days_list_holds_that_clinic_days_bookings_in_clinic_time(
    client, staff_headers, frozen_now, make_doctor, make_booking
):
    doctor = make_doctor()
    other_clinic_doctor = make_doctor()
    today_local = clock.now().astimezone(doctor.clinic.zone).date()
    at_ten = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(10), doctor.clinic.zone))
    at_eleven = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(11), doctor.clinic.zone))
    make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=1))
    make_booking(doctor=other_clinic_doctor)

    response = client.get(f"/api/v1/staff/bookings?date={today_local}&clinic_id={doctor.clinic_id}",
                          headers=staff_headers)

    assert response.status_code == 200
    listed = response.json["items"]
    assert [row["id"] for row in listed] == [at_ten.id, at_eleven.id]
    assert listed[0]["starts_at"] == f"{today_local}T10:00:00+02:00"
    assert listed[0]["patient"]["last_name"] == "Shevchenko"
    assert listed[0]["status"] == "booked"


def test_the_days_list_defaults_to_today_and_filters_by_status(client, staff_headers, frozen_now, make_doctor,
                                                               make_booking):
    doctor = make_doctor()
    today_local = clock.now().astimezone(doctor.clinic.zone).date()
    kept = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(10), doctor.clinic.zone))
    cancelled = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(11), doctor.clinic.zone))
    client.post(f"/api/v1/staff/bookings/{cancelled.id}/status", json={"status": "cancelled"}, headers=staff_headers)

    everything = client.get("/api/v1/staff/bookings", headers=staff_headers)
    booked = client.get("/api/v1/staff/bookings?status=booked", headers=staff_headers)
    blank_filters = client.get("/api/v1/staff/bookings?date=&clinic_id=&status=", headers=staff_headers)

    assert [row["id"] for row in everything.json["items"]] == [kept.id, cancelled.id]
    assert blank_filters.status_code == 200 and blank_filters.json == everything.json  # empty = no filter
    assert [row["id"] for row in booked.json["items"]] == [kept.id]


def test_the_days_list_comes_in_pages(client, staff_headers, frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    today_local = clock.now().astimezone(doctor.clinic.zone).date()
    visits = [make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(hour), doctor.clinic.zone))
              for hour in (10, 11, 12)]

    response = client.get("/api/v1/staff/bookings?page=2&per_page=2", headers=staff_headers)

    assert response.status_code == 200
    assert [row["id"] for row in response.json["items"]] == [visits[2].id]
    assert response.json["pagination"] == {"page": 2, "per_page": 2, "total": 3, "pages": 2}


def test_a_day_list_within_some_clinics_holds_only_theirs(app_context, frozen_now, make_doctor, make_booking):
    ours, theirs = make_doctor(), make_doctor()
    today_local = clock.now().astimezone(ours.clinic.zone).date()
    visit = make_booking(doctor=ours, starts_at=datetime.combine(today_local, time(10), ours.clinic.zone))
    make_booking(doctor=theirs, starts_at=datetime.combine(today_local, time(10), theirs.clinic.zone))

    everything_ours = clinic_day.bookings_page(within={ours.clinic_id})
    asked_for_theirs = clinic_day.bookings_page(within={ours.clinic_id}, clinic_id=theirs.clinic_id)

    assert [booking.id for booking in everything_ours.items] == [visit.id]
    assert (asked_for_theirs.items, asked_for_theirs.total) == ([], 0)


def test_without_a_date_each_clinic_lists_its_own_today(client, staff_headers, frozen_now, make_clinic, make_doctor,
                                                         make_booking):
    kyiv = make_doctor(clinic=make_clinic(timezone_name="Europe/Kyiv"))
    almaty = make_doctor(clinic=make_clinic(timezone_name="Asia/Almaty"))
    frozen_now(datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc))
    on = {(doctor, day): make_booking(doctor=doctor, starts_at=datetime(2026, 12, day, 10, tzinfo=doctor.clinic.zone))
          for doctor in (kyiv, almaty) for day in (1, 2)}
    frozen_now(datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc))  # 22:00 on the 1st in Kyiv, 01:00 on the 2nd in Almaty

    response = client.get("/api/v1/staff/bookings", headers=staff_headers)

    assert [row["id"] for row in response.json["items"]] == [on[kyiv, 1].id, on[almaty, 2].id]


def test_the_days_list_rejects_a_malformed_date(client, staff_headers):
    response = client.get("/api/v1/staff/bookings?date=yesterday", headers=staff_headers)

    assert response.status_code == 422
    assert "date" in response.json["errors"]


# --- status changes ---------------------------------------------------------------------------------


def test_staff_move_a_booking_forward_and_the_move_is_audited(client, staff_headers, make_booking, frozen_now):
    booking = make_booking()
    frozen_now(booking.starts_at - timedelta(minutes=10))  # the patient is at the desk

    arrived = client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "arrived"},
                          headers=staff_headers)
    fulfilled = client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "fulfilled"},
                            headers=staff_headers)

    assert (arrived.status_code, arrived.json["status"]) == (200, "arrived")
    assert (fulfilled.status_code, fulfilled.json["status"]) == (200, "fulfilled")
    events = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                                .order_by(BookingEvent.id)).all()
    token_id = db.session.scalar(select(StaffToken.id).where(StaffToken.name == "Reception desk"))
    assert [(event.action, event.actor, event.actor_id) for event in events[-2:]] == [
        ("arrived", "staff", f"staff-token:{token_id}"), ("fulfilled", "staff", f"staff-token:{token_id}"),
    ]


def test_the_audit_trail_tells_two_staff_tokens_of_the_same_name_apart(client, make_booking, frozen_now):
    _, first = staff_tokens.issue("Front desk")
    second_row, second = staff_tokens.issue("Front desk")
    db.session.commit()
    booking = make_booking()
    frozen_now(booking.starts_at - timedelta(minutes=10))

    client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "arrived"},
                headers={"Authorization": f"Bearer {second}"})

    event = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                               .order_by(BookingEvent.id.desc())).first()
    assert (event.action, event.actor_id) == ("arrived", f"staff-token:{second_row.id}")


def test_a_backward_status_change_is_a_conflict_and_changes_nothing(client, staff_headers, make_booking, frozen_now):
    booking = make_booking()
    frozen_now(booking.starts_at + timedelta(minutes=30))
    client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "arrived"}, headers=staff_headers)

    response = client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "noshow"},
                           headers=staff_headers)

    assert response.status_code == 409
    assert response.json["message"] == "This visit is marked as arrived, so it cannot be marked as missed."
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "arrived"


@pytest.mark.parametrize("body", [{"status": "rescheduled"}, {"status": "lost"}, {}])
def test_an_unknown_target_status_is_invalid(client, staff_headers, make_booking, body):
    booking = make_booking()

    response = client.post(f"/api/v1/staff/bookings/{booking.id}/status", json=body, headers=staff_headers)

    assert response.status_code == 422
    assert "status" in response.json["errors"]


@pytest.mark.parametrize(("reason", "message"), [
    ("No\x00show", "Must not contain NUL characters."), ("Ill \ud83d", "Must be valid Unicode text."),
])
def test_a_reason_postgresql_cannot_store_is_invalid_and_changes_nothing(
    client, staff_headers, make_booking, reason, message
):
    booking = make_booking()

    response = client.post(f"/api/v1/staff/bookings/{booking.id}/status",
                           json={"status": "cancelled", "reason": reason}, headers=staff_headers)

    assert response.status_code == 422
    assert response.json["errors"] == {"reason": [message]}
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "booked"


def test_a_status_change_of_an_unknown_booking_is_not_found(client, staff_headers, app_context):
    response = client.post("/api/v1/staff/bookings/999/status", json={"status": "arrived"}, headers=staff_headers)

    assert response.status_code == 404


# --- result upload ----------------------------------------------------------------------------------


def test_a_pdf_result_is_stored_with_its_hash_and_queued_for_the_patient(upload, make_visit, results_dir):
    booking = make_visit()

    response = upload(booking.id, PDF, "mri-scan.pdf")

    assert response.status_code == 201
    assert response.json["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert response.json["file_name"] == "mri-scan.pdf"
    result = db.session.get(Result, response.json["id"])
    on_disk = (results_dir / result.storage_path).read_bytes()
    assert on_disk != PDF and b"%PDF" not in on_disk  # not readable on disk without the key
    assert result_files.unseal(result_files.Keys((RESULTS_KEY,)), on_disk) == PDF
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.RESULT.value))
    assert (message.result_id, message.chat_id, message.status) == (result.id, booking.user_id, "pending")


def test_eight_identical_uploads_at_once_store_one_result_and_answer_it_to_each(
    app, make_visit, staff_headers
):
    url = f"/api/v1/staff/bookings/{make_visit().id}/results"
    barrier = threading.Barrier(8)
    answers: list[tuple[int, int | None]] = [(0, None)] * 8

    def double_click(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(url, headers=staff_headers,
                               data={"file": (io.BytesIO(PDF), "mri.pdf")}, content_type="multipart/form-data")
        answers[index] = (response.status_code, (response.get_json() or {}).get("id"))

    threads = [threading.Thread(target=double_click, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    [result_id] = db.session.scalars(select(Result.id)).all()
    assert answers == [(201, result_id)] * 8
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == MessageKind.RESULT.value)) == 1


def test_a_result_for_a_visit_that_has_not_taken_place_yet_is_a_conflict_and_nothing_is_stored(
    upload, make_booking, results_dir, frozen_now
):
    booking = make_booking()  # tomorrow, Wednesday 2 December, at 10:00
    files_before = set(results_dir.rglob("*"))

    response = upload(booking.id, PDF)

    assert response.status_code == 409
    assert response.json == {"code": 409, "status": "Conflict", "errors": {}, "message": (
        f"Visit #{booking.id} has not taken place yet (it is on Wed, Dec 2 at 10:00): a result can be attached once "
        "it has begun.")}
    assert db.session.scalar(select(Result)) is None and set(results_dir.rglob("*")) == files_before


def test_a_result_for_a_cancelled_visit_is_a_conflict_and_nothing_is_stored(
    client, upload, staff_headers, make_booking, results_dir, frozen_now
):
    booking = make_booking()
    client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "cancelled"}, headers=staff_headers)
    frozen_now(booking.starts_at + timedelta(hours=1))

    response = upload(booking.id, PDF)

    assert response.status_code == 409
    assert response.json["message"] == f"Visit #{booking.id} was cancelled: a result cannot be attached to it."
    assert db.session.scalar(select(Result)) is None
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.RESULT.value)) is None


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(upload, make_booking, results_dir):
    booking = make_booking()
    files_before = set(results_dir.rglob("*"))

    response = upload(booking.id, b"MZ\x90\x00 not a pdf at all", "result.pdf")

    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["Not a PDF document."]}
    assert db.session.scalar(select(Result)) is None
    assert set(results_dir.rglob("*")) == files_before


def test_a_pdf_over_the_size_cap_is_refused(app, upload, make_booking, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS", replace(app.config["SETTINGS"], RESULT_MAX_BYTES=len(PDF) - 1))
    booking = make_booking()

    response = upload(booking.id, PDF)

    assert response.status_code == 422
    assert "file" in response.json["errors"]
    assert db.session.scalar(select(Result)) is None


def test_an_upload_without_a_file_is_invalid(client, staff_headers, make_booking):
    booking = make_booking()

    response = client.post(f"/api/v1/staff/bookings/{booking.id}/results", headers=staff_headers, data={},
                           content_type="multipart/form-data")

    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_an_upload_for_an_unknown_booking_is_not_found(upload, app_context):
    assert upload(12345).status_code == 404


# --- reminder runs ----------------------------------------------------------------------------------


def _reminder_keys() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("%:reminder:manual:%"))
        .order_by(OutboxMessage.id)
    ))


def test_a_reminder_run_queues_todays_upcoming_bookings_once_per_day(
    client, staff_headers, frozen_now, make_doctor, make_booking
):
    doctor = make_doctor()
    today_local = clock.now().astimezone(doctor.clinic.zone).date()
    first = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(10), doctor.clinic.zone))
    second = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(11), doctor.clinic.zone))
    cancelled = make_booking(doctor=doctor, starts_at=datetime.combine(today_local, time(12), doctor.clinic.zone))
    client.post(f"/api/v1/staff/bookings/{cancelled.id}/status", json={"status": "cancelled"}, headers=staff_headers)
    make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=1))

    response = client.post("/api/v1/staff/reminders/run", json={}, headers=staff_headers)
    again = client.post("/api/v1/staff/reminders/run", json={}, headers=staff_headers)

    assert (response.status_code, response.json) == (202, {"queued": 2})
    assert (again.status_code, again.json) == (202, {"queued": 0})
    assert _reminder_keys() == [f"booking:{first.id}:reminder:manual:{today_local}",
                                f"booking:{second.id}:reminder:manual:{today_local}"]


def test_a_reminder_run_for_chosen_bookings_and_a_later_day(client, staff_headers, frozen_now, make_doctor,
                                                            make_booking):
    doctor = make_doctor()
    tomorrow = make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=1))
    day_after = make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=2))

    by_id = client.post("/api/v1/staff/reminders/run", json={"booking_ids": [tomorrow.id]}, headers=staff_headers)
    by_day = client.post("/api/v1/staff/reminders/run", headers=staff_headers,
                         json={"date": day_after.local_starts_at().date().isoformat(), "clinic_id": doctor.clinic_id})

    assert (by_id.status_code, by_id.json) == (202, {"queued": 1})
    assert (by_day.status_code, by_day.json) == (202, {"queued": 1})
    run_day = clock.now().astimezone(doctor.clinic.zone).date()
    assert _reminder_keys() == [f"booking:{tomorrow.id}:reminder:manual:{run_day}",
                                f"booking:{day_after.id}:reminder:manual:{run_day}"]


@pytest.mark.parametrize("body", [{"date": "soon"}, {"booking_ids": []}, {"booking_ids": ["x"]}, {"clinic_id": 0}])
def test_a_malformed_reminder_run_is_invalid_and_queues_nothing(client, staff_headers, make_booking, body):
    make_booking()

    response = client.post("/api/v1/staff/reminders/run", json=body, headers=staff_headers)

    assert response.status_code == 422
    assert _reminder_keys() == []


# --- failed deliveries ------------------------------------------------------------------------------


def test_failed_deliveries_show_who_did_not_get_what(client, staff_headers, make_booking):
    delivered = make_booking()
    blocked = make_booking()
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.booking_id == blocked.id,
                                    OutboxMessage.kind == MessageKind.CONFIRMATION.value)
        .values(status="failed", attempts=1, last_error="403: Forbidden: bot was blocked by the user")
    )
    db.session.commit()

    response = client.get("/api/v1/staff/deliveries/failed", headers=staff_headers)

    assert response.status_code == 200
    assert response.json["pagination"]["total"] == 1
    item = response.json["items"][0]
    assert (item["booking_id"], item["kind"], item["chat_id"]) == (blocked.id, "confirmation", blocked.user_id)
    assert item["last_error"].startswith("403")
    assert item["patient_name"] == "Taras Shevchenko"
    assert delivered.id not in [row["booking_id"] for row in response.json["items"]]


def test_the_staff_routes_are_in_the_openapi_document(client, app_context):
    spec = client.get("/api/v1/openapi.json").json

    assert "/api/v1/staff/reminders/run" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/staff/deliveries/failed"]["get"]["security"] == [{"bearer": []}, {"tma": []}]


def test_a_future_visit_cannot_be_marked_arrived_or_noshow(client, staff_headers, make_booking, frozen_now):
    booking = make_booking()  # tomorrow

    arrived = client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "arrived"},
                          headers=staff_headers)
    noshow = client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "noshow"},
                         headers=staff_headers)

    assert (arrived.status_code, noshow.status_code) == (409, 409)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "booked"

"""A patient's details at the front desk (issue 19): GET /api/v1/staff/patients/{id}, their visits ahead and behind at
the caller's clinics, the read audited."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import AuditEntry, StaffRole
from tests.staff.conftest import CALLER


def details(client, staff_headers, patient_id, **query):
    return client.get(f"/api/v1/staff/patients/{patient_id}", query_string=query, headers=staff_headers)


def reads() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.read")))


def test_a_patients_details_show_their_visits_ahead_and_behind_with_their_state(client, staff_headers, desk,
                                                                                 frozen_now):
    came = desk(hour=10).json
    called_off = desk(hour=11).json
    client.post(f"/api/v1/staff/bookings/{called_off['id']}/status", json={"status": "cancelled"},
                headers=staff_headers)
    ahead = desk(hour=10, days_ahead=5).json
    frozen_now(datetime.fromisoformat(called_off["starts_at"]) + timedelta(hours=1))

    response = details(client, staff_headers, came["patient"]["id"])

    assert response.status_code == 200, response.json
    record = response.json
    assert (record["first_name"], record["phone"], record["has_telegram"]) == ("Olha", "+380671234567", False)
    assert [(visit["id"], visit["status"]) for visit in record["upcoming"]] == [(ahead["id"], "booked")]
    assert [(visit["id"], visit["status"]) for visit in record["past"]] == [(called_off["id"], "cancelled"),
                                                                           (came["id"], "booked")]
    assert record["past"][1]["starts_at"] == came["starts_at"]  # in the clinic's time
    assert record["past"][1]["service_name"] == desk.doctor.full_name
    assert (record["more_upcoming"], record["more_past"]) == (False, False)


def test_reading_a_patients_details_is_audited_naming_the_visits_it_showed(client, staff_headers, desk, caplog):
    booked = desk().json

    details(client, staff_headers, booked["patient"]["id"])

    entry, = reads()
    assert (entry.object_type, entry.object_id, entry.clinic_id) == ("patient", booked["patient"]["id"],
                                                                      desk.doctor.clinic_id)
    assert entry.after == {"booking_ids": [booked["id"]]}
    assert entry.actor_id.startswith("staff-token:")
    assert "Kobylianska" not in str(entry.after) and "Kobylianska" not in caplog.text


def test_the_visits_shown_are_capped_and_say_there_are_more(client, staff_headers, desk):
    first = desk(hour=10).json
    desk(hour=11)

    record = details(client, staff_headers, first["patient"]["id"], visits=1).json

    assert [visit["id"] for visit in record["upcoming"]] == [first["id"]]
    assert record["more_upcoming"] is True


def test_another_clinics_patient_does_not_exist_for_a_clinics_token_and_leaves_no_read(
    client, staff_headers, desk, only_clinics, make_clinic
):
    patient_id = desk().json["patient"]["id"]
    only_clinics(make_clinic().id)

    response = details(client, staff_headers, patient_id)

    assert response.status_code == 404
    assert response.json["code"] == 404 and "Kobylianska" not in response.get_data(as_text=True)
    assert reads() == []


def test_a_clinics_token_sees_only_its_clinics_visits_of_a_patient(client, staff_headers, desk, make_doctor,
                                                                   only_clinics):
    here = desk().json
    elsewhere = make_doctor()
    assert desk(CALLER, hour=15, doctor_id=elsewhere.id, clinic_id=elsewhere.clinic_id).status_code == 201
    only_clinics(desk.doctor.clinic_id)

    record = details(client, staff_headers, here["patient"]["id"]).json

    assert [visit["id"] for visit in record["upcoming"]] == [here["id"]]


@pytest.mark.parametrize("patient_id", [987654, 2**31])
def test_an_unknown_patient_is_404(client, staff_headers, app_context, patient_id):
    assert details(client, staff_headers, patient_id).status_code == 404


@pytest.mark.parametrize("visits", [0, 51, "many"])
def test_a_visits_count_out_of_range_is_422_and_nothing_is_read(client, staff_headers, desk, visits):
    patient_id = desk().json["patient"]["id"]

    response = details(client, staff_headers, patient_id, visits=visits)

    assert response.status_code == 422
    assert "visits" in response.json["errors"]
    assert reads() == []


def test_a_doctor_may_not_open_patients_details(client, staff_headers, desk, make_staff, tma_headers):
    patient_id = desk().json["patient"]["id"]
    doctor = make_staff(StaffRole.DOCTOR.value, doctor=desk.doctor)

    assert details(client, tma_headers(doctor.telegram_id), patient_id).status_code == 403

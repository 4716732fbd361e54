"""The front desk's call list (issue 19): GET /api/v1/staff/clinics/{id}/to-call, the patients to phone with why — a
visit the clinic cancelled that no message reached, a reminder due of a patient without Telegram."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import AuditEntry, StaffRole
from medsync.services import schedules

IVAN = {"first_name": "Ivan", "last_name": "Franko", "phone": "+380 93 765 43 21"}


def to_call(client, staff_headers, clinic_id, **query):
    return client.get(f"/api/v1/staff/clinics/{clinic_id}/to-call", query_string=query, headers=staff_headers)


def test_a_patient_without_telegram_is_listed_once_their_reminder_is_due(client, staff_headers, desk, frozen_now,
                                                                          make_booking):
    booked = desk(hour=10).json
    later = desk(IVAN, hour=10, days_ahead=3).json
    make_booking(doctor=desk.doctor, starts_at=datetime.fromisoformat(booked["starts_at"]) + timedelta(hours=2))
    clinic_id = desk.doctor.clinic_id
    assert to_call(client, staff_headers, clinic_id).json == []  # more than a day ahead: not yet

    frozen_now(datetime.fromisoformat(booked["starts_at"]) - timedelta(hours=23))
    listed = to_call(client, staff_headers, clinic_id)

    assert listed.status_code == 200
    assert [(row["booking_id"], row["reason"], row["patient_phone"], row["starts_at"]) for row in listed.json] == [
        (booked["id"], "reminder_due", "+380671234567", booked["starts_at"])]  # not Ivan's (later), nor the chat's
    assert later["id"] not in {row["booking_id"] for row in listed.json}


def test_a_visit_the_clinic_cancelled_is_listed_with_its_reason_beside_reminders_due(client, staff_headers, desk,
                                                                                      frozen_now):
    cancelled = desk(hour=10, days_ahead=3).json
    schedules.add_absence(desk.doctor.id, datetime.fromisoformat(cancelled["starts_at"]).date(),
                          datetime.fromisoformat(cancelled["starts_at"]).date(), reason="Illness", actor_id="staff:1")
    db.session.commit()
    due = desk(IVAN, hour=10).json
    frozen_now(datetime.fromisoformat(due["starts_at"]) - timedelta(hours=2))

    listed = to_call(client, staff_headers, desk.doctor.clinic_id).json

    assert [(row["booking_id"], row["reason"], row["cancel_reason"]) for row in listed] == [
        (due["id"], "reminder_due", None), (cancelled["id"], "cancelled_by_clinic", "Illness")]


def test_the_admin_path_answers_the_same_list(client, staff_headers, desk, frozen_now, only_clinics):
    due = desk(hour=10).json
    frozen_now(datetime.fromisoformat(due["starts_at"]) - timedelta(hours=1))
    only_clinics(desk.doctor.clinic_id)

    staff = to_call(client, staff_headers, desk.doctor.clinic_id)
    admin = client.get(f"/api/v1/admin/clinics/{desk.doctor.clinic_id}/to-call", headers=staff_headers)

    assert [row["reason"] for row in staff.json] == ["reminder_due"]
    assert admin.status_code == 200 and admin.json == staff.json
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patients.read")).all()) == 2


def test_reading_the_call_list_is_audited_with_its_visits(client, staff_headers, desk, frozen_now):
    due = desk(hour=10).json
    frozen_now(datetime.fromisoformat(due["starts_at"]) - timedelta(hours=1))

    to_call(client, staff_headers, desk.doctor.clinic_id)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patients.read"))
    assert (entry.clinic_id, entry.after) == (desk.doctor.clinic_id, {"list": "to call", "day": None,
                                                                      "booking_ids": [due["id"]]})


def test_another_clinics_call_list_does_not_exist_for_a_clinics_token(client, staff_headers, desk, only_clinics,
                                                                      make_clinic):
    desk(hour=10)
    only_clinics(make_clinic().id)

    assert to_call(client, staff_headers, desk.doctor.clinic_id).status_code == 404
    assert to_call(client, staff_headers, 2**31).status_code == 404


@pytest.mark.parametrize("days", [0, 367, "soon"])
def test_days_out_of_range_is_422(client, staff_headers, desk, days):
    response = to_call(client, staff_headers, desk.doctor.clinic_id, days=days)

    assert response.status_code == 422 and "days" in response.json["errors"]


def test_a_doctor_may_not_read_the_call_list(client, desk, make_staff, tma_headers):
    doctor = make_staff(StaffRole.DOCTOR.value, doctor=desk.doctor)

    assert to_call(client, tma_headers(doctor.telegram_id), desk.doctor.clinic_id).status_code == 403

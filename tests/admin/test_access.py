"""Who may do what: staff tokens with a role and clinics, staff members by initData, the admin API's gate."""
from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlalchemy import select

from medsync import clock
from medsync.api import access
from medsync.errors import Forbidden, NotFound
from medsync.extensions import db
from medsync.models import BookingEvent, StaffRole, StaffToken
from tests.conftest import next_local_slot


def todays(doctor, hour: int) -> datetime:
    return datetime.combine(clock.now().astimezone(doctor.clinic.zone).date(), time(hour), doctor.clinic.zone)


# --- staff tokens with a role and clinics ---------------------------------------------------------------


def test_a_token_with_clinics_lists_only_their_days_bookings(client, frozen_now, token_headers, make_doctor,
                                                             make_booking):
    ours, theirs = make_doctor(), make_doctor()
    mine = make_booking(doctor=ours, starts_at=todays(ours, 10))
    make_booking(doctor=theirs, starts_at=todays(theirs, 10))

    everything = client.get("/api/v1/staff/bookings", headers=token_headers("reception", ours.clinic))
    asked_for_theirs = client.get(f"/api/v1/staff/bookings?clinic_id={theirs.clinic_id}",
                                  headers=token_headers("reception", ours.clinic))

    assert [row["id"] for row in everything.json["items"]] == [mine.id]
    assert asked_for_theirs.json["items"] == []


def test_a_token_without_a_role_still_acts_for_every_clinic(client, frozen_now, token_headers, make_doctor,
                                                            make_booking):
    first, second = make_doctor(), make_doctor()
    made = [make_booking(doctor=doctor, starts_at=todays(doctor, 10)) for doctor in (first, second)]

    response = client.get("/api/v1/staff/bookings", headers=token_headers())

    assert [row["id"] for row in response.json["items"]] == [booking.id for booking in made]


def test_another_clinics_booking_does_not_exist_for_a_token(client, frozen_now, token_headers, make_doctor,
                                                            make_booking):
    ours, theirs = make_doctor(), make_doctor()
    foreign = make_booking(doctor=theirs, starts_at=todays(theirs, 11))

    response = client.post(f"/api/v1/staff/bookings/{foreign.id}/status", json={"status": "arrived"},
                           headers=token_headers("admin", ours.clinic))

    assert response.status_code == 404
    assert db.session.scalars(select(BookingEvent.action).where(BookingEvent.booking_id == foreign.id)).all() == [
        "booked"]


def test_a_token_signs_what_it_does_with_its_id(client, frozen_now, token_headers, make_doctor, make_booking):
    doctor = make_doctor()
    visit = make_booking(doctor=doctor, starts_at=todays(doctor, 11))
    headers = token_headers("reception", doctor.clinic)
    token_id = db.session.scalar(select(StaffToken.id))

    response = client.post(f"/api/v1/staff/bookings/{visit.id}/status", json={"status": "arrived"}, headers=headers)

    assert response.status_code == 200
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.action == "arrived"))
    assert event.actor_id == f"staff-token:{token_id}"


def test_a_reminder_run_for_another_clinic_is_not_found(client, frozen_now, token_headers, make_doctor):
    ours, theirs = make_doctor(), make_doctor()

    response = client.post("/api/v1/staff/reminders/run", json={"clinic_id": theirs.clinic_id},
                           headers=token_headers("reception", ours.clinic))

    assert response.status_code == 404


def test_a_reminder_run_of_named_bookings_reminds_only_the_tokens_clinics(client, frozen_now, token_headers,
                                                                         make_doctor, make_booking):
    ours, theirs = make_doctor(), make_doctor()
    mine = make_booking(doctor=ours, starts_at=next_local_slot(ours.clinic))
    foreign = make_booking(doctor=theirs, starts_at=next_local_slot(theirs.clinic))

    response = client.post("/api/v1/staff/reminders/run", json={"booking_ids": [mine.id, foreign.id]},
                           headers=token_headers("reception", ours.clinic))

    assert response.status_code == 202
    assert response.json == {"queued": 1}


# --- staff members by their Telegram initData ---------------------------------------------------------


def test_a_staff_member_uses_the_staff_api_with_their_initdata(client, frozen_now, make_staff, member_headers,
                                                               make_doctor, make_booking):
    doctor, other = make_doctor(), make_doctor()
    member = make_staff("reception", clinics=[doctor.clinic])
    visit = make_booking(doctor=doctor, starts_at=todays(doctor, 10))
    make_booking(doctor=other, starts_at=todays(other, 10))

    response = client.get("/api/v1/staff/bookings", headers=member_headers(member))

    assert response.status_code == 200
    assert [row["id"] for row in response.json["items"]] == [visit.id]


def test_a_doctor_sees_only_their_own_visits(client, frozen_now, make_staff, member_headers, make_doctor,
                                             make_booking):
    doctor = make_doctor()
    colleague = make_doctor(clinic=doctor.clinic)
    own = make_booking(doctor=doctor, starts_at=todays(doctor, 10))
    theirs = make_booking(doctor=colleague, starts_at=todays(colleague, 11))
    member = make_staff("doctor", doctor=doctor)

    listed = client.get("/api/v1/staff/bookings", headers=member_headers(member))
    marked = client.post(f"/api/v1/staff/bookings/{theirs.id}/status", json={"status": "arrived"},
                         headers=member_headers(member))

    assert [row["id"] for row in listed.json["items"]] == [own.id]
    assert marked.status_code == 404


def test_a_doctor_may_not_start_a_reminder_run(client, make_staff, member_headers, make_doctor):
    member = make_staff("doctor", doctor=make_doctor())

    response = client.post("/api/v1/staff/reminders/run", json={}, headers=member_headers(member))

    assert response.status_code == 403
    assert response.json["message"] == "Only reception or a clinic admin may do this."


def test_a_patients_initdata_is_not_a_staff_members(client, app_context, tma_headers):
    response = client.get("/api/v1/staff/bookings", headers=tma_headers(700_000_123))

    assert response.status_code == 403
    assert response.json["message"] == "This Telegram account is not an active clinic staff member."


def test_a_revoked_member_is_refused(client, make_staff, member_headers):
    from medsync.services import staff_accounts

    member = make_staff("admin")
    staff_accounts.revoke(member.id)
    db.session.commit()

    response = client.get("/api/v1/staff/bookings", headers=member_headers(member))

    assert response.status_code == 403


def test_the_refusal_is_in_the_members_language(client, make_staff, tma_headers, make_doctor):
    member = make_staff("doctor", doctor=make_doctor())

    response = client.post("/api/v1/staff/reminders/run", json={},
                           headers=tma_headers(member.telegram_id, language_code="uk"))

    assert response.status_code == 403
    assert response.json["message"] != "Only reception or a clinic admin may do this."


# --- the admin API's gate ------------------------------------------------------------------------------


def test_the_admin_api_needs_credentials(client, app_context):
    response = client.get("/api/v1/admin/audit")

    assert response.status_code == 401


def test_a_token_without_a_role_may_not_administer(client, token_headers):
    response = client.get("/api/v1/admin/audit", headers=token_headers())

    assert response.status_code == 403
    assert "--role" in response.json["message"]


@pytest.mark.parametrize("role", ["reception", "doctor"])
def test_only_admins_read_the_audit_trail(client, make_staff, member_headers, make_doctor, role):
    doctor = make_doctor()
    member = make_staff(role, clinics=None if role == "doctor" else [doctor.clinic],
                        doctor=doctor if role == "doctor" else None)

    response = client.get("/api/v1/admin/audit", headers=member_headers(member))

    assert response.status_code == 403
    assert response.json["message"] == "Only a clinic admin may do this."


# --- the helper every admin view asks: another clinic's object is not found, a role that may not change it 403 -


def test_another_clinics_object_is_not_found_before_a_role_is_asked(app, make_staff, member_headers, make_clinic):
    ours, theirs = make_clinic(), make_clinic()
    reception = make_staff("reception", clinics=[ours])

    with app.test_request_context(headers=member_headers(reception)):
        with pytest.raises(NotFound):
            access.require_clinic(theirs.id, to_change=StaffRole.ADMIN)
        with pytest.raises(Forbidden):
            access.require_clinic(ours.id, to_change=StaffRole.ADMIN)
        assert access.require_clinic(ours.id).actor_id == reception.actor_id
        assert access.require_clinic([theirs.id, ours.id]).actor_id == reception.actor_id


def test_an_admin_may_change_their_clinics_objects(app, make_staff, member_headers, make_clinic):
    clinic = make_clinic()
    admin = make_staff("admin", clinics=[clinic])

    with app.test_request_context(headers=member_headers(admin)):
        principal = access.require_clinic(clinic.id, to_change=StaffRole.ADMIN)

    assert principal.role is StaffRole.ADMIN and principal.clinic_ids == {clinic.id}

"""The schedule calls of the admin API (API.md "Administration"): hours, overrides, absences, closures, a test's
hours; dry runs; bad values named field by field with nothing written; other clinics not found; audited."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from medsync.extensions import db
from medsync.models import AuditEntry, Booking, Clinic, DoctorAbsence, MessageKind, OutboxMessage, Rota, User

KYIV = ZoneInfo("Europe/Kyiv")
# The frozen clock: Tuesday 1 December 2026; clinics open Mon-Sat 09-18 with lunch 13-14.
MONDAY, WEDNESDAY, THURSDAY = date(2026, 12, 7), date(2026, 12, 2), date(2026, 12, 3)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), KYIV)


@pytest.fixture
def admin(make_doctor, token_headers):
    """A doctor and the headers of an admin token of their clinic."""
    doctor = make_doctor()
    return doctor, token_headers("admin", doctor.clinic)


def test_an_admin_sets_mon_wed_hours_and_free_slots_follow_at_once(client, frozen_now, admin):
    doctor, headers = admin
    body = {"weekly": [{"weekday": 1, "starts": "09:00", "ends": "12:00"},
                       {"weekday": 3, "starts": "14:00", "ends": "16:00"}]}
    response = client.put(f"/api/v1/admin/doctors/{doctor.id}/hours", json=body, headers=headers)

    assert response.status_code == 200
    assert response.json == {"rotas": [{"id": 1, "valid_from": "2026-12-01", "weekly": [
        {"weekday": 1, "starts": "09:00", "ends": "12:00"}, {"weekday": 3, "starts": "14:00", "ends": "16:00"}]}],
        "affected": [], "visits": []}
    slots = client.get(f"/api/v1/doctors/{doctor.id}/slots?from={MONDAY}&to=2026-12-13").json
    assert [slot["starts_at"] for slot in slots] == [
        "2026-12-07T09:00:00+02:00", "2026-12-07T10:00:00+02:00", "2026-12-07T11:00:00+02:00",
        "2026-12-09T14:00:00+02:00", "2026-12-09T15:00:00+02:00"]
    assert client.get(f"/api/v1/admin/doctors/{doctor.id}/hours", headers=headers).json["rotas"] == \
        response.json["rotas"]


@pytest.mark.parametrize(("interval", "field", "message"), [
    ({"weekday": 1, "starts": "13:00", "ends": "09:00"}, "ends", "Must be after the start."),
    ({"weekday": 9, "starts": "09:00", "ends": "13:00"}, "weekday", None),
    ({"weekday": 1, "starts": "09:30", "ends": "13:00"}, "starts", "Must be on the 60-minute grid (e.g. 09:00)."),
    ({"weekday": 1, "starts": "9 am", "ends": "13:00"}, "starts", "Not a valid time."),
])
def test_bad_hours_are_422_naming_the_field_and_nothing_is_written(client, frozen_now, admin, interval, field,
                                                                   message):
    doctor, headers = admin
    response = client.put(f"/api/v1/admin/doctors/{doctor.id}/hours", json={"weekly": [interval]}, headers=headers)

    assert response.status_code == 422
    named = response.json["errors"]["weekly"]["0"]
    assert list(named) == [field] and (message is None or named[field] == [message])
    assert db.session.scalar(select(func.count()).select_from(Rota)) == 0


def test_overlapping_intervals_are_422_naming_the_later_one(client, frozen_now, admin):
    doctor, headers = admin
    body = {"weekly": [{"weekday": 2, "starts": "09:00", "ends": "13:00"},
                       {"weekday": 2, "starts": "12:00", "ends": "15:00"}]}
    response = client.put(f"/api/v1/admin/doctors/{doctor.id}/hours", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json["errors"] == {"weekly": {"1": {"starts": ["Overlaps another interval of the same day."]}}}


def test_an_absence_dry_run_then_confirmed(client, frozen_now, admin, make_booking):
    doctor, headers = admin
    visit = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    body = {"first_day": "2026-12-03", "last_day": "2026-12-04", "reason": "Illness", "dry_run": True}

    dry = client.post(f"/api/v1/admin/doctors/{doctor.id}/absences", json=body, headers=headers)
    assert (dry.status_code, dry.json) == (200, {"id": None, "affected": [visit.id], "visits": [{
        "booking_id": visit.id, "starts_at": "2026-12-03T10:00:00+02:00", "doctor_id": doctor.id,
        "diagnostic_id": None, "patient_name": "Taras Shevchenko", "messaged": True}]})
    assert db.session.scalar(select(func.count()).select_from(DoctorAbsence)) == 0

    done = client.post(f"/api/v1/admin/doctors/{doctor.id}/absences", json={**body, "dry_run": False},
                       headers=headers)
    assert done.status_code == 201 and done.json["affected"] == [visit.id]
    db.session.expire_all()
    assert db.session.get(Booking, visit.id).status == "cancelled"
    listed = client.get(f"/api/v1/admin/doctors/{doctor.id}/absences", headers=headers).json
    assert listed == [{"id": done.json["id"], "first_day": "2026-12-03", "last_day": "2026-12-04", "reason": "Illness"}]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "doctor.absence.create")).one()
    assert (entry.actor_id.startswith("staff-token:"), entry.object_type, entry.object_id, entry.clinic_id) == (
        True, "doctor", doctor.id, doctor.clinic_id)
    assert entry.after["cancelled_bookings"] == [visit.id] and entry.after["reason"] == "Illness"

    removed = client.delete(f"/api/v1/admin/doctors/{doctor.id}/absences/{done.json['id']}", headers=headers)
    assert removed.status_code == 204
    assert client.get(f"/api/v1/admin/doctors/{doctor.id}/absences", headers=headers).json == []


def test_an_absence_whose_last_day_precedes_its_first_is_422(client, frozen_now, admin):
    doctor, headers = admin
    response = client.post(f"/api/v1/admin/doctors/{doctor.id}/absences",
                           json={"first_day": "2026-12-04", "last_day": "2026-12-03", "reason": None},
                           headers=headers)
    assert response.status_code == 422 and list(response.json["errors"]) == ["last_day"]


def test_a_day_off_override_and_its_removal(client, frozen_now, admin, make_booking):
    doctor, headers = admin
    visit = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    made = client.post(f"/api/v1/admin/doctors/{doctor.id}/overrides", json={"day": "2026-12-03", "hours": []},
                       headers=headers)
    assert made.status_code == 201 and made.json["affected"] == [visit.id]
    later = client.post(f"/api/v1/admin/doctors/{doctor.id}/overrides",
                        json={"day": "2026-12-04", "hours": [{"starts": "15:00", "ends": "17:00"}]}, headers=headers)
    assert client.get(f"/api/v1/admin/doctors/{doctor.id}/overrides", headers=headers).json == [
        {"id": made.json["id"], "day": "2026-12-03", "hours": [], "reason": None},
        {"id": later.json["id"], "day": "2026-12-04", "hours": [{"starts": "15:00", "ends": "17:00"}], "reason": None},
    ]
    assert client.delete(f"/api/v1/admin/doctors/{doctor.id}/overrides/{made.json['id']}",
                         headers=headers).status_code == 204
    slots = client.get(f"/api/v1/doctors/{doctor.id}/slots?from=2026-12-03&to=2026-12-04").json
    assert len([slot for slot in slots if slot["starts_at"].startswith("2026-12-03")]) == 8
    assert [slot["starts_at"] for slot in slots if slot["starts_at"].startswith("2026-12-04")] == [
        "2026-12-04T15:00:00+02:00", "2026-12-04T16:00:00+02:00"]


def test_a_closure_for_the_whole_clinic(client, frozen_now, admin, make_doctor, make_booking):
    doctor, headers = admin
    colleague = make_doctor(clinic=doctor.clinic)
    visits = [make_booking(doctor=doctor, starts_at=at(THURSDAY, 10)),
              make_booking(doctor=colleague, starts_at=at(THURSDAY, 11))]
    dry = client.post(f"/api/v1/admin/clinics/{doctor.clinic_id}/closures",
                      json={"day": "2026-12-03", "reason": "Public holiday", "dry_run": True}, headers=headers)
    assert (dry.status_code, dry.json["affected"]) == (200, [visit.id for visit in visits])
    done = client.post(f"/api/v1/admin/clinics/{doctor.clinic_id}/closures",
                       json={"day": "2026-12-03", "reason": "Public holiday"}, headers=headers)
    assert done.status_code == 201
    assert client.get(f"/api/v1/clinics/{doctor.clinic_id}").json["closures"] == [
        {"first_day": "2026-12-03", "last_day": "2026-12-03", "reason": "Public holiday"}]


def test_a_tests_hours_and_duration_at_a_clinic(client, frozen_now, admin, make_diagnostic):
    doctor, headers = admin
    mri = make_diagnostic(clinics=[doctor.clinic], duration_minutes=60)
    path = f"/api/v1/admin/clinics/{doctor.clinic_id}/diagnostics/{mri.id}/hours"
    response = client.put(path, json={"weekly": [{"weekday": 1, "starts": "10:00", "ends": "11:00"}],
                                      "duration_minutes": 30}, headers=headers)
    assert response.status_code == 200 and response.json["duration_minutes"] == 30
    slots = client.get(f"/api/v1/diagnostics/{mri.id}/slots?clinic_id={doctor.clinic_id}&from={MONDAY}&to={MONDAY}")
    assert [(slot["starts_at"], slot["ends_at"]) for slot in slots.json] == [
        ("2026-12-07T10:00:00+02:00", "2026-12-07T10:30:00+02:00"),
        ("2026-12-07T10:30:00+02:00", "2026-12-07T11:00:00+02:00")]


def test_another_clinics_doctor_is_not_found_and_reception_may_not_change_hours(client, frozen_now, admin,
                                                                              make_doctor, token_headers):
    doctor, headers = admin
    foreign = make_doctor()
    body = {"weekly": [{"weekday": 1, "starts": "09:00", "ends": "12:00"}]}
    assert client.put(f"/api/v1/admin/doctors/{foreign.id}/hours", json=body, headers=headers).status_code == 404
    assert client.post(f"/api/v1/admin/clinics/{foreign.clinic_id}/closures", json={"day": "2026-12-03"},
                       headers=headers).status_code == 404
    reception = token_headers("reception", doctor.clinic)
    refused = client.put(f"/api/v1/admin/doctors/{doctor.id}/hours", json=body, headers=reception)
    assert refused.status_code == 403 and refused.json["message"] == "Only a clinic admin may do this."
    assert client.get(f"/api/v1/admin/doctors/{doctor.id}/hours", headers=reception).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Rota)) == 0


def test_the_front_desk_reads_the_patients_to_call(client, frozen_now, admin, make_booking, make_user,
                                                   token_headers):
    doctor, headers = admin
    blocked = make_user()
    visit = make_booking(doctor=doctor, user=blocked, starts_at=at(THURSDAY, 10))
    db.session.get(User, blocked.telegram_id).reachable = False
    db.session.commit()
    client.post(f"/api/v1/admin/doctors/{doctor.id}/absences",
                json={"first_day": "2026-12-03", "last_day": "2026-12-03", "reason": "Illness"}, headers=headers)

    listed = client.get(f"/api/v1/admin/clinics/{doctor.clinic_id}/to-call",
                        headers=token_headers("reception", doctor.clinic))
    assert listed.status_code == 200
    assert [(row["booking_id"], row["starts_at"], row["patient_phone"]) for row in listed.json] == [
        (visit.id, "2026-12-03T10:00:00+02:00", "+380501234567")]
    # The names and phones to call were read: audited for the clinic, ids only.
    read = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patients.read"))
    assert (read.clinic_id, read.after) == (doctor.clinic_id,
                                            {"list": "to call", "day": None, "booking_ids": [visit.id]})


# --- a clinic's opening hours: a schedule change too ------------------------------------------------------------

MORNINGS = [{"weekday": weekday, "opens": "09:00", "closes": "13:00"} for weekday in range(1, 7)]


def cancellations() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CANCELLATION.value)
                                   .order_by(OutboxMessage.booking_id)))


def test_narrower_clinic_hours_dry_run_writes_nothing(client, frozen_now, admin, make_booking):
    doctor, headers = admin
    kept, stranded = (make_booking(doctor=doctor, starts_at=at(THURSDAY, 10)),
                      make_booking(doctor=doctor, starts_at=at(THURSDAY, 15)))
    clinic = db.session.get(Clinic, doctor.clinic_id)
    version, schedule_version = clinic.version, clinic.schedule_version

    dry = client.patch(f"/api/v1/admin/clinics/{clinic.id}", json={"hours": MORNINGS, "dry_run": True,
                                                                    "name": "Renamed"}, headers=headers)

    assert dry.status_code == 200 and dry.headers["ETag"] == f'"{version}"'
    assert (dry.json["affected"], dry.json["visits"]) == ([stranded.id], [{
        "booking_id": stranded.id, "starts_at": "2026-12-03T15:00:00+02:00", "doctor_id": doctor.id,
        "diagnostic_id": None, "patient_name": "Taras Shevchenko", "messaged": True}])
    assert dry.json["name"] != "Renamed" and len(dry.json["hours"]) == 6 and dry.json["hours"][0]["closes"] == "18:00"
    db.session.expire_all()
    clinic = db.session.get(Clinic, clinic.id)
    assert (clinic.version, clinic.schedule_version, clinic.name) == (version, schedule_version, dry.json["name"])
    assert [db.session.get(Booking, visit.id).status for visit in (kept, stranded)] == ["booked", "booked"]
    assert cancellations() == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "clinic.update")) == 0


def test_narrower_clinic_hours_cancel_the_visits_they_strand_by_the_clinic(client, frozen_now, admin, make_booking):
    doctor, headers = admin
    kept, stranded = (make_booking(doctor=doctor, starts_at=at(THURSDAY, 10)),
                      make_booking(doctor=doctor, starts_at=at(THURSDAY, 15)))
    schedule_version = db.session.get(Clinic, doctor.clinic_id).schedule_version

    done = client.patch(f"/api/v1/admin/clinics/{doctor.clinic_id}",
                        json={"hours": MORNINGS, "reason": "Winter hours"}, headers=headers)

    assert done.status_code == 200 and done.json["affected"] == [stranded.id]
    assert done.json["visits"][0]["booking_id"] == stranded.id and done.json["hours"][0]["closes"] == "13:00"
    db.session.expire_all()
    assert db.session.get(Clinic, doctor.clinic_id).schedule_version == schedule_version + 1
    cancelled = db.session.get(Booking, stranded.id)
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == ("cancelled", "staff", "Winter hours")
    assert db.session.get(Booking, kept.id).status == "booked"
    [message] = cancellations()
    assert (message.booking_id, message.payload["schedule_change"]) == (
        stranded.id, {"kind": "hours", "clinic_id": doctor.clinic_id})
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "clinic.update")).one()
    assert (entry.object_type, entry.object_id, entry.clinic_id) == ("clinic", doctor.clinic_id, doctor.clinic_id)
    assert entry.after["cancelled_bookings"] == [stranded.id] and entry.after["hours"][0] == "1 09:00-13:00"
    slots = client.get(f"/api/v1/doctors/{doctor.id}/slots?from=2026-12-03&to=2026-12-03").json
    assert [slot["starts_at"] for slot in slots] == [f"2026-12-03T{hour}:00:00+02:00" for hour in ("09", "11", "12")]


def test_clinic_hours_that_strand_nothing_are_saved_as_before(client, frozen_now, admin, make_booking):
    doctor, headers = admin
    visit = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    done = client.patch(f"/api/v1/admin/clinics/{doctor.clinic_id}",
                        json={"hours": [{**day, "closes": "19:00"} for day in MORNINGS]}, headers=headers)
    assert (done.status_code, done.json["affected"], done.json["visits"]) == (200, [], [])
    db.session.expire_all()
    assert db.session.get(Booking, visit.id).status == "booked" and cancellations() == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "clinic.update")).one()
    assert "cancelled_bookings" not in entry.after and entry.after["hours"][0] == "1 09:00-19:00"
    renamed = client.patch(f"/api/v1/admin/clinics/{doctor.clinic_id}", json={"name": "MedSync Centre"},
                           headers=headers)
    assert (renamed.status_code, renamed.json["name"], renamed.json["affected"]) == (200, "MedSync Centre", [])

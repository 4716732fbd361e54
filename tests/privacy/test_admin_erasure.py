"""A patient without Telegram (booked by the front desk) is erased by a clinic admin on request (issue 20):
DELETE /api/v1/admin/patients/{id}, the user's own erasure for that patient's data, previewed with dry_run,
idempotent, audited; admins of the patient's clinics only."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from medsync import clock
from medsync.extensions import db
from medsync.models import AuditEntry, Booking, BookingEvent, OutboxMessage, Patient, Result
from medsync.services import bookings, erasure, front_desk, results
from medsync.services.patients import CallerDetails
from tests.admin.conftest import member_headers, token_headers  # noqa: F401 - fixtures
from tests.conftest import PDF, next_local_slot
from tests.privacy.test_erasure import _rows_mentioning, _snapshot

# What identifies the desk's patient, wherever it might hide: names, phone, e-mail, the desk's note.
PERSONAL = ("Kobylianska", "+380671234567", "olha@example.com", "Call after 5")


@pytest.fixture
def desk_patient(frozen_now, make_doctor, make_visit, results_dir):
    """A patient booked by phone: a visit that took place with its result and a desk note, and a visit ahead."""
    doctor = make_doctor()
    ahead = front_desk.book_for_caller(
        within=None, clinic_id=doctor.clinic_id, doctor_id=doctor.id, actor_id="staff-token:1",
        starts_at=next_local_slot(doctor.clinic, days_ahead=3), caller=CallerDetails(
            "Olha", "Kobylianska", "067 123 45 67", "olha@example.com"))
    db.session.commit()
    past = make_visit(doctor=doctor, patient_id=ahead.patient_id, user=None)
    bookings.set_note(past.id, "Call after 5", actor_id="staff-token:1")
    result = results.store_result(past.id, content=PDF, file_name="blood.pdf", now=past.starts_at)
    db.session.commit()
    return {"doctor": doctor, "patient_id": ahead.patient_id, "ahead": ahead, "past": past, "result": result,
            "file": results.file_path(result)}


def _erase(client, patient_id: int, headers: dict[str, str], *, dry_run: bool = False):
    return client.delete(f"/api/v1/admin/patients/{patient_id}" + ("?dry_run=true" if dry_run else ""),
                         headers=headers)


def test_an_admin_erases_a_patient_without_telegram_leaving_no_personal_field_and_no_file(
    client, desk_patient, make_staff, member_headers
):
    clinic = desk_patient["doctor"].clinic
    admin = make_staff("admin", clinics=[clinic], name="Oksana Admin")

    response = _erase(client, desk_patient["patient_id"], member_headers(admin))

    assert response.status_code == 200, response.json
    assert response.json == {"patient_id": desk_patient["patient_id"], "status": "erased",
                             "cancelled": [desk_patient["ahead"].id], "anonymised": 2, "results_deleted": 1}
    db.session.expire_all()
    assert _rows_mentioning(PERSONAL) == []
    assert not desk_patient["file"].exists()
    assert db.session.scalar(select(func.count()).select_from(Result)) == 0
    ahead = db.session.get(Booking, desk_patient["ahead"].id)
    assert (ahead.status, ahead.cancelled_by, ahead.cancel_reason) == (
        "cancelled", "staff", "The patient's data was erased at their request")
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.booking_id == ahead.id,
                                                         BookingEvent.action == "cancelled"))
    assert event.actor_id == admin.actor_id
    patient = db.session.get(Patient, desk_patient["patient_id"])
    assert (patient.first_name, patient.phone, patient.email) == ("", f"erased:{patient.id}", None)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.erase")).all()
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.clinic_id) == (
        admin.actor_id, "patient", patient.id, clinic.id)
    assert entry.after == {"cancelled": [ahead.id], "anonymised": 2, "results_deleted": 1}


def test_a_dry_run_says_what_the_erasure_would_do_and_writes_nothing(client, desk_patient, make_staff,
                                                                     member_headers):
    admin = make_staff("admin", clinics=[desk_patient["doctor"].clinic])
    before = _snapshot()

    response = _erase(client, desk_patient["patient_id"], member_headers(admin), dry_run=True)

    assert response.status_code == 200
    assert (response.json["status"], response.json["cancelled"], response.json["results_deleted"]) == (
        "would erase", [desk_patient["ahead"].id], 1)
    db.session.expire_all()
    assert _snapshot() == before
    assert desk_patient["file"].exists()


def test_a_second_erasure_finds_nothing_and_changes_nothing(client, desk_patient, make_staff, member_headers):
    headers = member_headers(make_staff("admin", clinics=[desk_patient["doctor"].clinic]))
    _erase(client, desk_patient["patient_id"], headers)
    before = _snapshot()

    again = _erase(client, desk_patient["patient_id"], headers)

    assert again.status_code == 200
    assert again.json == {"patient_id": desk_patient["patient_id"], "status": "nothing left", "cancelled": [],
                          "anonymised": 0, "results_deleted": 0}
    db.session.expire_all()
    assert _snapshot() == before


def test_reception_and_doctors_may_not_erase_and_are_told_who_may(client, desk_patient, make_staff, member_headers):
    doctor = desk_patient["doctor"]
    for member in (make_staff("reception", clinics=[doctor.clinic]), make_staff("doctor", doctor=doctor)):
        refused = _erase(client, desk_patient["patient_id"], member_headers(member))

        assert refused.status_code == 403
        assert refused.json["message"] == "Only a clinic admin may do this."
    db.session.expire_all()
    assert db.session.get(Patient, desk_patient["patient_id"]).last_name == "Kobylianska"


def test_another_clinics_patient_does_not_exist_for_an_admin(client, desk_patient, make_clinic, token_headers):
    stranger = token_headers("admin", make_clinic())

    assert _erase(client, desk_patient["patient_id"], stranger).status_code == 404
    assert _erase(client, 2_000_000, stranger).status_code == 404
    db.session.expire_all()
    assert db.session.get(Patient, desk_patient["patient_id"]).last_name == "Kobylianska"
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.erase")).all() == []


def test_a_patient_with_telegram_is_asked_to_erase_their_own_data(client, frozen_now, make_booking, make_staff,
                                                                  member_headers):
    booking = make_booking()
    admin = make_staff("admin", clinics=[booking.clinic])

    refused = _erase(client, booking.patient_id, member_headers(admin))

    assert refused.status_code == 409
    assert "ask them to delete their data themselves" in refused.json["message"]
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).patient_last_name == "Shevchenko"


def test_a_patient_with_visits_at_a_clinic_beyond_the_admins_is_refused(client, desk_patient, make_doctor, make_staff,
                                                                        member_headers):
    elsewhere = make_doctor()
    front_desk.book_for_caller(within=None, clinic_id=elsewhere.clinic_id, doctor_id=elsewhere.id,
                               actor_id="staff-token:1", patient_id=desk_patient["patient_id"],
                               starts_at=next_local_slot(elsewhere.clinic, days_ahead=4))
    db.session.commit()
    admin = make_staff("admin", clinics=[desk_patient["doctor"].clinic])

    refused = _erase(client, desk_patient["patient_id"], member_headers(admin))

    assert refused.status_code == 409 and "clinics you do not administer" in refused.json["message"]
    both = make_staff("admin", clinics=[desk_patient["doctor"].clinic, elsewhere.clinic])
    assert _erase(client, desk_patient["patient_id"], member_headers(both)).json["status"] == "erased"


def test_pending_messages_about_the_patients_bookings_are_dropped(app_context, desk_patient):
    past = desk_patient["past"]
    db.session.add(OutboxMessage(kind="confirmation", booking_id=past.id, chat_id=1, dedupe_key="left-from-before",
                                 due_at=clock.now()))
    db.session.commit()

    erasure.erase_desk_patient(desk_patient["patient_id"], actor_id="staff:1", within=None)
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.booking_id == past.id)) == 0


def test_the_erasure_is_in_the_openapi_document(client, app_context):
    spec = client.get("/api/v1/openapi.json").json

    operation = spec["paths"]["/api/v1/admin/patients/{patient_id}"]["delete"]
    assert {"200", "403", "404", "409"} <= set(operation["responses"])
    assert [parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "query"] == ["dry_run"]

"""The compatible /api catalog routes answer exactly what the existing Mini App front end reads."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from numbers import Number

import pytest
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Clinic, DiagnosticType, Doctor, WorkingHours
from medsync.services import bookings
from tests.api.conftest import first_doctor, local_slot
from tests.conftest import PATIENT

DOCTOR_CARD = {
    "doctor_id", "location_id", "full_name", "specialty_id", "specialty_name", "price", "photo_url",
    "location_name", "location_address", "avg_rating", "reviews",
}


def is_number(value: object) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def assert_error(response, code: int) -> dict:
    body = response.get_json()
    assert response.status_code == code
    assert set(body) == {"code", "status", "message", "errors"} and body["code"] == code
    return body


def test_doctor_list_has_the_front_end_fields_with_numeric_prices_and_ratings(client, seeded):
    response = client.get("/api/doctors/")
    doctors = response.get_json()
    assert response.status_code == 200
    assert len(doctors) == seeded["doctors"]
    for card in doctors:
        assert set(card) == DOCTOR_CARD
        assert all(isinstance(card[key], int) for key in ("doctor_id", "location_id", "specialty_id", "reviews"))
        assert is_number(card["price"]) and is_number(card["avg_rating"])
        assert all(isinstance(card[key], str) for key in ("full_name", "specialty_name", "location_name"))
    stored = db.session.get(Doctor, doctors[0]["doctor_id"])
    assert doctors[0]["price"] == float(stored.price)
    assert doctors[0]["reviews"] == stored.rating_count
    assert doctors[0]["avg_rating"] == pytest.approx(stored.rating_total / stored.rating_count, abs=0.01)


def test_unrated_doctor_has_rating_zero(client, seeded, make_doctor):
    unrated = make_doctor(clinic=db.session.get(Clinic, 1))
    card = next(item for item in client.get("/api/doctors").get_json() if item["doctor_id"] == unrated.id)
    assert card["avg_rating"] == 0 and card["reviews"] == 0


@pytest.mark.parametrize("path", ["/api/doctors", "/api/specialties", "/api/diagnostics", "/api/doctors/1/",
                                  "/api/working_hours/1/", "/api/locations/1/"])
def test_routes_answer_with_and_without_trailing_slash_without_redirect(client, seeded, path):
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    first, second = client.get(path), client.get(other)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()


def test_doctor_profile_adds_experience_certificates_and_services_text(client, seeded):
    doctor = first_doctor()
    profile = client.get(f"/api/doctors/{doctor.id}").get_json()
    assert set(profile) == DOCTOR_CARD | {"experience", "certificates", "services"}
    assert profile["services"] == doctor.services and "\n" in profile["services"]
    assert profile["experience"] == doctor.experience and profile["certificates"] == doctor.certificates


def test_unknown_doctor_is_404_in_the_error_shape(client, seeded):
    body = assert_error(client.get("/api/doctors/9999"), 404)
    assert body["message"] == "Doctor not found."


def test_specialties_are_those_with_doctors_sorted_by_name(client, seeded):
    specialties = client.get("/api/specialties/").get_json()
    doctors = client.get("/api/doctors/").get_json()
    assert all(set(item) == {"specialty_id", "specialty_name"} for item in specialties)
    assert {item["specialty_id"] for item in specialties} == {card["specialty_id"] for card in doctors}
    names = [item["specialty_name"] for item in specialties]
    assert names == sorted(names, key=str.casefold)


def test_diagnostics_have_numeric_prices_and_count_their_clinics(client, seeded):
    diagnostics = client.get("/api/diagnostics/").get_json()
    assert len(diagnostics) == seeded["diagnostics"]
    for item in diagnostics:
        assert set(item) == {"diagnostic_id", "type_name", "description", "price", "photo_url", "clinics_count"}
        assert is_number(item["price"])
        locations = client.get(f"/api/diagnostics/{item['diagnostic_id']}/locations").get_json()
        assert item["clinics_count"] == len(locations)
        assert all(set(place) == {"location_id", "name", "address"} for place in locations)


def test_diagnostic_offered_nowhere_or_unknown_has_no_locations(client, seeded, make_diagnostic):
    nowhere = make_diagnostic(clinics=[])
    assert_error(client.get(f"/api/diagnostics/{nowhere.id}/locations"), 404)
    assert_error(client.get("/api/diagnostics/9999/locations"), 404)


def test_location_by_id_and_unknown_location(client, seeded):
    clinic = db.session.get(Clinic, 1)
    assert client.get("/api/locations/1").get_json() == {
        "location_id": 1, "name": clinic.name, "address": clinic.address,
    }
    assert_error(client.get("/api/locations/9999"), 404)


def test_working_hours_number_weekdays_from_sunday_with_whole_hours(client, seeded):
    rows = client.get("/api/working_hours/1").get_json()
    stored = db.session.scalars(select(WorkingHours).where(WorkingHours.clinic_id == 1)).all()
    assert rows == sorted(
        ({"location_id": 1, "weekday_index": row.weekday % 7, "start_time": row.opens_at.hour,
          "end_time": row.closes_at.hour} for row in stored),
        key=lambda row: row["weekday_index"],
    )
    sunday = next(row for row in stored if row.weekday == 7)
    assert {"location_id": 1, "weekday_index": 0, "start_time": sunday.opens_at.hour,
            "end_time": sunday.closes_at.hour} in rows


def test_working_hours_of_an_unknown_clinic_are_empty(client, seeded):
    response = client.get("/api/working_hours/9999")
    assert response.status_code == 200 and response.get_json() == []


def _book(doctor: Doctor, starts_at: datetime, user) -> int:
    booking = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=starts_at, patient=PATIENT)
    db.session.commit()
    return booking.id


def test_taken_hours_of_a_month_list_active_bookings_with_the_clinic_offset(client, seeded, make_user):
    doctor = first_doctor()
    december = local_slot(doctor.clinic, days_ahead=1, hour=10)
    january = local_slot(doctor.clinic, days_ahead=40, hour=11)
    cancelled = local_slot(doctor.clinic, days_ahead=2, hour=12)
    _book(doctor, december, make_user())
    _book(doctor, january, make_user())
    bookings.cancel_by_staff(_book(doctor, cancelled, make_user()), actor_id="reception")
    db.session.commit()

    path = f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}"
    taken = client.get(f"{path}/11").get_json()
    assert december.isoformat() in taken and cancelled.isoformat() not in taken
    assert december.isoformat().endswith("+02:00") and taken == sorted(taken)
    # January (0) is the next January: 2027, since this one has passed.
    assert january.isoformat() in client.get(f"{path}/0").get_json() and january.year == 2027


def test_a_month_past_the_horizon_is_taken_at_every_offered_hour(client, seeded):
    doctor = first_doctor()
    week = client.get(f"/api/working_hours/{doctor.clinic_id}").get_json()
    june = [date(2027, 6, 1) + timedelta(days=n) for n in range(30)]
    offered = sum(row["end_time"] - row["start_time"] for day in june for row in week
                  if row["weekday_index"] == day.isoweekday() % 7)
    taken = client.get(f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}/5").get_json()
    assert len(taken) == offered > 0
    assert taken[0] == "2027-06-01T08:00:00+03:00"  # a Tuesday, in summer time


@pytest.mark.parametrize("month_index", [12, -1, 99])
def test_month_index_out_of_range_is_422(client, seeded, month_index):
    doctor = first_doctor()
    body = assert_error(client.get(f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}/{month_index}"), 422)
    assert "month_index" in body["errors"]


def test_doctor_slots_at_a_clinic_where_the_doctor_does_not_work_are_404(client, seeded):
    doctor = first_doctor()
    other_clinic = db.session.scalar(select(Clinic.id).where(Clinic.id != doctor.clinic_id))
    assert_error(client.get(f"/api/slots/doctors/{doctor.id}/{other_clinic}/11"), 404)


def test_taken_diagnostic_hours_are_per_clinic(client, seeded, make_user):
    diagnostic = db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)).first()
    clinic, other = diagnostic.clinics[0], diagnostic.clinics[1]
    starts_at = local_slot(clinic, days_ahead=1, hour=10)
    bookings.book(user_id=make_user().telegram_id, clinic_id=clinic.id, diagnostic_id=diagnostic.id,
                  starts_at=starts_at, patient=PATIENT)
    db.session.commit()
    assert starts_at.isoformat() in client.get(f"/api/slots/diagnostics/{diagnostic.id}/{clinic.id}/11").get_json()
    same_hour_elsewhere = local_slot(other, days_ahead=1, hour=10).isoformat()
    assert same_hour_elsewhere not in client.get(f"/api/slots/diagnostics/{diagnostic.id}/{other.id}/11").get_json()
    assert_error(client.get(f"/api/slots/diagnostics/9999/{clinic.id}/11"), 404)

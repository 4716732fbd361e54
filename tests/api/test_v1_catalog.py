"""/api/v1 catalog and free slots: schemas, filters, pagination, constant query counts, a cache never stale."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from medsync.extensions import db
from medsync.models import DiagnosticType, Doctor
from medsync.services import bookings, catalog
from medsync.services.seed import seed_demo_catalog
from tests.api.conftest import first_doctor, local_slot
from tests.conftest import PATIENT

NETWORK_DOCTORS = 1000  # a clinic network's, as issue 21 measured it


def test_clinics_carry_time_zone_hours_with_breaks_and_upcoming_closures(client, seeded):
    clinics = {clinic["id"]: clinic for clinic in client.get("/api/v1/clinics").get_json()}
    assert len(clinics) == seeded["clinics"]
    warsaw = next(clinic for clinic in clinics.values() if clinic["timezone"] == "Europe/Warsaw")
    assert warsaw["closures"][0]["first_day"] == "2026-12-31"
    monday = next(day for day in warsaw["hours"] if day["weekday"] == 1)
    assert monday["opens_at"] == "08:00" and monday["closes_at"] == "20:00"
    kyiv = client.get("/api/v1/clinics/1").get_json()
    assert kyiv == clinics[1]
    assert any(day["weekday"] == 7 for day in kyiv["hours"])


def test_doctors_are_filtered_by_specialty_clinic_and_text(client, seeded):
    doctor = first_doctor()
    by_specialty = client.get(f"/api/v1/doctors?specialty_id={doctor.specialty_id}&per_page=100").get_json()
    assert by_specialty["items"] and all(item["specialty"]["id"] == doctor.specialty_id for item in by_specialty["items"])
    by_clinic = client.get(f"/api/v1/doctors?clinic_id={doctor.clinic_id}&per_page=100").get_json()
    assert doctor.id in [item["id"] for item in by_clinic["items"]]
    assert all(item["clinic"]["id"] == doctor.clinic_id for item in by_clinic["items"])
    surname = doctor.full_name.split()[-1].upper()
    assert [item["id"] for item in client.get(f"/api/v1/doctors?q={surname}").get_json()["items"]] == [doctor.id]
    service = doctor.services.splitlines()[0].lower()
    assert doctor.id in [item["id"] for item in client.get(f"/api/v1/doctors?q={service}").get_json()["items"]]
    assert isinstance(by_clinic["items"][0]["price"], float)


def test_an_empty_query_parameter_means_no_filter(client, seeded):
    everyone = client.get("/api/v1/doctors?per_page=100").get_json()
    doctor = first_doctor()
    day = local_slot(doctor.clinic, days_ahead=1).date().isoformat()

    blank_filters = client.get("/api/v1/doctors?specialty_id=&clinic_id=&q=&page=&per_page=100")
    blank_range = client.get(f"/api/v1/doctors/{doctor.id}/slots?from=&to={day}")

    assert blank_filters.status_code == 200 and blank_filters.get_json() == everyone
    assert blank_range.status_code == 200 and blank_range.get_json()  # from today to `day`
    assert client.get("/api/v1/doctors?clinic_id=abc").status_code == 422


def test_doctors_are_paginated(client, seeded):
    first = client.get("/api/v1/doctors?per_page=5").get_json()
    last = client.get("/api/v1/doctors?per_page=5&page=4").get_json()
    assert first["pagination"] == {"page": 1, "per_page": 5, "total": seeded["doctors"], "pages": 4}
    assert len(first["items"]) == 5 and len(last["items"]) == seeded["doctors"] - 15
    assert client.get("/api/v1/doctors?per_page=101").status_code == 422


def test_a_networks_thousand_doctors_come_in_pages_and_all_at_once_only_on_the_compatible_list(client, seeded):
    db.session.execute(text("""
        INSERT INTO doctors (slug, clinic_id, specialty_id, full_name, price, appointment_minutes)
        SELECT 'network-' || n, (SELECT min(id) FROM clinics), (SELECT min(id) FROM specialties),
               'Dr. Network ' || n, 500, 30
        FROM generate_series(1, :count) n
    """), {"count": NETWORK_DOCTORS - seeded["doctors"]})
    catalog.catalog_changed()
    db.session.commit()

    paged = client.get("/api/v1/doctors").get_json()
    compatible = client.get("/api/doctors/").get_json()

    assert len(paged["items"]) == 20
    assert paged["pagination"] == {"page": 1, "per_page": 20, "total": NETWORK_DOCTORS, "pages": 50}
    assert len(compatible) == NETWORK_DOCTORS


def test_doctor_detail_lists_services(client, seeded):
    doctor = first_doctor()
    detail = client.get(f"/api/v1/doctors/{doctor.id}").get_json()
    assert detail["services"] == [line for line in doctor.services.splitlines() if line]
    assert client.get("/api/v1/doctors/9999").status_code == 404


def test_diagnostics_and_where_they_are_offered(client, seeded):
    diagnostic = db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)).first()
    listed = client.get("/api/v1/diagnostics").get_json()
    assert len(listed) == seeded["diagnostics"]
    detail = client.get(f"/api/v1/diagnostics/{diagnostic.id}").get_json()
    clinics = client.get(f"/api/v1/diagnostics/{diagnostic.id}/clinics").get_json()
    assert detail["clinics_count"] == len(clinics) == len(diagnostic.clinics)


def test_free_doctor_slots_skip_booked_ones_and_carry_the_clinic_offset(client, seeded, make_user):
    doctor = first_doctor()
    taken = local_slot(doctor.clinic, days_ahead=1, hour=10)
    bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                  starts_at=taken, patient=PATIENT)
    db.session.commit()
    day = taken.date().isoformat()
    slots = client.get(f"/api/v1/doctors/{doctor.id}/slots?from={day}&to={day}").get_json()
    starts = [slot["starts_at"] for slot in slots]
    assert starts and taken.isoformat() not in starts
    assert (taken + timedelta(hours=1)).isoformat() in starts
    assert all(start.endswith("+02:00") for start in starts)


def test_slot_ranges_are_capped_at_31_days(client, seeded):
    doctor = first_doctor()
    start = date(2026, 12, 2)
    ok = client.get(f"/api/v1/doctors/{doctor.id}/slots?from={start}&to={start + timedelta(days=30)}")
    too_long = client.get(f"/api/v1/doctors/{doctor.id}/slots?from={start}&to={start + timedelta(days=31)}")
    backwards = client.get(f"/api/v1/doctors/{doctor.id}/slots?from={start}&to={start - timedelta(days=1)}")
    assert ok.status_code == 200
    assert too_long.status_code == 422 and "to" in too_long.get_json()["errors"]
    assert backwards.status_code == 422


def test_diagnostic_slots_need_a_clinic_that_offers_it(client, seeded, make_clinic):
    diagnostic = db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)).first()
    offered = client.get(f"/api/v1/diagnostics/{diagnostic.id}/slots?clinic_id={diagnostic.clinics[0].id}")
    elsewhere = client.get(f"/api/v1/diagnostics/{diagnostic.id}/slots?clinic_id={make_clinic().id}")
    assert offered.status_code == 200 and offered.get_json()
    assert elsewhere.status_code == 422
    assert client.get(f"/api/v1/diagnostics/{diagnostic.id}/slots").status_code == 422


CATALOG_PATHS = ["/api/doctors/", "/api/doctors/1", "/api/specialties/", "/api/diagnostics/",
                 "/api/working_hours/1", "/api/v1/doctors?q=a", "/api/v1/clinics", "/api/v1/diagnostics"]


@pytest.mark.parametrize("path", CATALOG_PATHS)
def test_catalog_reads_make_the_same_number_of_queries_for_3_or_30_doctors(client, frozen_now, count_queries,
                                                                          make_clinic, make_doctor, path):
    clinic = make_clinic()
    for _ in range(3):
        make_doctor(clinic=clinic)
    with count_queries() as few:
        assert client.get(path).status_code == 200
    for _ in range(27):  # catalog writes: the next read reloads the snapshot
        make_doctor(clinic=clinic, specialty_name="Neurologist")
    with count_queries() as many:
        assert client.get(path).status_code == 200
    assert len(few) == len(many) <= 10  # a query per kind of row; rotas and day overrides are the last two
    with count_queries() as cached:
        client.get(path)
    assert len(cached) == 0


def _book_days(doctor: Doctor, days: range, make_user) -> None:
    for days_ahead in days:
        bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                      starts_at=local_slot(doctor.clinic, days_ahead=days_ahead, hour=10), patient=PATIENT)
    db.session.commit()


def test_slot_reads_make_the_same_number_of_queries_whatever_the_bookings(client, seeded, count_queries, make_user):
    doctor = first_doctor()
    day = local_slot(doctor.clinic, days_ahead=1).date()
    paths = [f"/api/v1/doctors/{doctor.id}/slots?from={day}&to={day + timedelta(days=13)}",
             f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}/11"]

    def queries_per_path() -> list[int]:
        counts = []
        for path in paths:
            client.get(path)  # the catalog snapshot is loaded once per process, not per request
            with count_queries() as queries:
                assert client.get(path).status_code == 200
            counts.append(len(queries))
        return counts

    _book_days(doctor, range(1, 2), make_user)
    few = queries_per_path()
    _book_days(doctor, range(2, 14), make_user)
    assert queries_per_path() == few


def test_a_catalog_change_is_visible_on_the_next_read(client, seeded):
    doctor = first_doctor()
    assert client.get(f"/api/doctors/{doctor.id}").get_json()["price"] == float(doctor.price)
    doctor.price = 999.5
    db.session.commit()
    assert client.get(f"/api/doctors/{doctor.id}").get_json()["price"] == 999.5
    assert client.get(f"/api/v1/doctors/{doctor.id}").get_json()["price"] == 999.5


def test_reseeding_refreshes_the_cached_catalog(client, seeded):
    doctor = first_doctor()
    client.get("/api/doctors/")
    doctor.full_name = "Renamed"
    db.session.commit()
    client.get("/api/doctors/")
    seed_demo_catalog()  # restores the demo name
    db.session.commit()
    names = {card["doctor_id"]: card["full_name"] for card in client.get("/api/doctors/").get_json()}
    assert names[doctor.id] != "Renamed"


def test_a_signed_in_patient_is_not_offered_times_they_already_hold_elsewhere(
    client, seeded, make_user, tma_headers
):
    doctor = first_doctor()
    other = db.session.scalars(
        select(Doctor).where(Doctor.clinic_id != doctor.clinic_id).order_by(Doctor.id)
    ).first()
    patient = make_user(telegram_id=700_000_001)
    visit = local_slot(doctor.clinic, days_ahead=1, hour=9)
    bookings.book(user_id=patient.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                  starts_at=visit, patient=PATIENT)
    db.session.commit()
    day = visit.astimezone(other.clinic.zone).date().isoformat()
    path = f"/api/v1/doctors/{other.id}/slots?from={day}&to={day}"

    public = client.get(path)
    own = client.get(path, headers=tma_headers(patient.telegram_id))
    stranger = client.get(path, headers=tma_headers(700_000_999))

    instant = visit.astimezone(other.clinic.zone).isoformat()
    assert instant in [slot["starts_at"] for slot in public.get_json()]
    assert instant not in [slot["starts_at"] for slot in own.get_json()]
    assert instant in [slot["starts_at"] for slot in stranger.get_json()]
    assert len(own.get_json()) == len(public.get_json()) - 1
    assert public.headers["Cache-Control"] == "public, no-cache"
    assert own.headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in public.headers["Vary"]


def test_slots_with_a_bad_tma_header_are_refused_not_served_as_public(client, seeded):
    doctor = first_doctor()
    response = client.get(f"/api/v1/doctors/{doctor.id}/slots", headers={"Authorization": "tma forged"})
    assert response.status_code == 401
    assert response.get_json()["message"]

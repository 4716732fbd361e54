"""One check that a clinic offers what is asked there (`catalog.offer_at`), and one answer for it: 404 for a doctor or
test that does not exist, 422 naming `clinic_id` for one asked at a clinic that does not offer it; 404 only where the
clinic is part of the URL (the compatible month lists, the Mini App's booking page)."""
from __future__ import annotations

import pytest

from medsync.errors import NotFound, NotOffered
from medsync.services import catalog
from tests.api.conftest import local_slot, v1_booking_body


@pytest.fixture
def elsewhere(make_clinic, make_doctor, make_diagnostic):
    """A doctor and a test at one clinic, and another clinic offering neither."""
    home, other = make_clinic(), make_clinic()
    return make_doctor(clinic=home), make_diagnostic(clinics=[home]), home, other


def test_the_check_knows_what_each_clinic_offers(elsewhere):
    doctor, test, home, other = elsewhere

    assert catalog.offer_at(home.id, doctor_id=doctor.id).clinic.id == home.id
    assert catalog.offer_at(home.id, diagnostic_id=test.id).minutes == test.duration_minutes
    for service in ({"doctor_id": doctor.id}, {"diagnostic_id": test.id}):
        with pytest.raises(NotOffered) as refused:
            catalog.offer_at(other.id, **service)
        assert (refused.value.http_status, list(refused.value.errors)) == (422, ["clinic_id"])
    for service in ({"doctor_id": 999_999}, {"diagnostic_id": 999_999}):
        with pytest.raises(NotFound):
            catalog.offer_at(home.id, **service)


def test_every_surface_answers_a_clinic_that_does_not_offer_it_as_the_check_decides(
    client, elsewhere, tma_headers
):
    doctor, test, home, other = elsewhere
    diagnostic_body = {**v1_booking_body(doctor, local_slot(home, days_ahead=2)), "doctor_id": None,
                       "diagnostic_id": test.id, "clinic_id": other.id}

    fields = [
        client.post("/api/v1/bookings", headers=tma_headers(), json=v1_booking_body(
            doctor, local_slot(home, days_ahead=2), clinic_id=other.id)),
        client.post("/api/v1/bookings", headers=tma_headers(), json=diagnostic_body),
        client.get(f"/api/v1/diagnostics/{test.id}/slots?clinic_id={other.id}"),
    ]
    paths = [
        client.get(f"/api/slots/doctors/{doctor.id}/{other.id}/0"),
        client.get(f"/api/slots/diagnostics/{test.id}/{other.id}/0"),
        client.get(f"/app/diagnostics/{test.id}/clinics/{other.id}/book"),
    ]

    assert [(answer.status_code, list(answer.get_json()["errors"])) for answer in fields] == [(422, ["clinic_id"])] * 3
    assert [answer.status_code for answer in paths] == [404] * 3

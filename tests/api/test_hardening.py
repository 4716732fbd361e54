"""Hostile or sloppy input is refused with a clear 4xx and changes nothing."""
from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app
from sqlalchemy import func, select

from medsync.extensions import db
from medsync.models import Booking
from tests.api.conftest import book_slot_body, first_doctor, local_slot


def booking_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


@pytest.mark.parametrize("overrides", [
    {"doctor_id": 1.5}, {"doctor_id": True}, {"location_id": "1a"}, {"user_phone": "call me maybe"},
    {"user_email": "not-an-address"},
])
def test_compat_booking_refuses_sloppy_fields(client, seeded, init_data, overrides):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic), init_data(), **overrides)

    response = client.post("/api/doctors/book_slot", json=body)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(overrides)
    assert booking_count() == 0


def test_compat_booking_takes_ids_as_digit_strings_and_an_empty_email(client, seeded, init_data):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic), init_data(), doctor_id=str(doctor.id), user_email="")

    response = client.post("/api/doctors/book_slot", json=body)

    assert response.status_code == 200
    assert db.session.get(Booking, response.get_json()["booking_id"]).patient_email is None


def test_an_oversized_body_is_413_before_anything_reads_it(client, seeded):
    response = client.post("/api/doctors/book_slot", data=b"{" + b" " * 70_000 + b"}",
                           content_type="application/json")

    assert response.status_code == 413
    assert response.get_json()["code"] == 413


@pytest.mark.parametrize("path", ["/api/doctors/book_slot", "/api/v1/bookings"])
def test_an_oversized_chunked_body_is_413_like_a_sized_one(app, seeded, tma_headers, path):
    environ = EnvironBuilder(path=path, method="POST", content_type="application/json",
                             headers=tma_headers()).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    # As gunicorn hands over a chunked upload: no length, a stream the server ends.
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True,
                    "wsgi.input": io.BytesIO(b"{" + b" " * 5_000_000 + b"}")})

    body, status, _ = run_wsgi_app(app, environ, buffered=True)

    assert status.startswith("413")
    assert json.loads(b"".join(body))["code"] == 413


@pytest.mark.parametrize("path", ["/api/v1/staff/reminders/run", "/api/v1/staff/bookings/1/status"])
def test_staff_writes_need_a_json_object(client, seeded, staff_headers, path):
    plain = client.post(path, data="status=arrived", content_type="text/plain", headers=staff_headers)
    broken = client.post(path, data="{", content_type="application/json", headers=staff_headers)

    assert (plain.status_code, broken.status_code) == (415, 400)
    assert plain.get_json()["status"] == "Unsupported Media Type"


def test_a_signed_update_the_library_cannot_parse_is_acknowledged(client, telegram_api):
    from tests.conftest import WEBHOOK_SECRET

    response = client.post("/telegram/webhook", json={"update_id": 5, "message": {"text": "no chat, no date"}},
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    assert response.status_code == 200
    assert telegram_api.calls() == []


def test_staff_token_names_cannot_be_mistaken_for_ids(app):
    runner = app.test_cli_runner()

    digits = runner.invoke(args=["medsync", "create-staff-token", "42"])
    blank = runner.invoke(args=["medsync", "create-staff-token", "  "])

    assert digits.exit_code != 0 and "name" in digits.output
    assert blank.exit_code != 0

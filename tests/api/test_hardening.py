"""Hostile or sloppy input is refused with a clear 4xx and changes nothing."""
from __future__ import annotations

import io
import json

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app
from sqlalchemy import func, select

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, User
from tests.api.conftest import book_slot_body, first_doctor, local_slot, v1_booking_body
from tests.conftest import BOT_TOKEN
from tests.support.initdata import sign_init_data


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


# --- the signed Telegram user: Telegram vouches for it, but not every signed value fits the database ------


def signed_user(**user) -> str:
    """initData for this user, its JSON written as Telegram writes it (\\u escapes for NUL and surrogates)."""
    profile = {"id": 700_000_001, "first_name": "Taras", "last_name": "Shevchenko", "username": "taras",
               "language_code": "uk", **user}
    return sign_init_data(BOT_TOKEN, profile, auth_date=int(clock.now().timestamp()),
                          extra={"user": json.dumps(profile)})


def book_as(client, init_data: str, surface: str):
    doctor = first_doctor()
    starts_at = local_slot(doctor.clinic)
    if surface == "v1":
        return client.post("/api/v1/bookings", json=v1_booking_body(doctor, starts_at),
                           headers={"Authorization": f"tma {init_data}"})
    return client.post("/api/doctors/book_slot", json=book_slot_body(doctor, starts_at, init_data))


@pytest.mark.parametrize("surface", ["v1", "compat"])
@pytest.mark.parametrize("user_id", [0, -1, 2**53, 2**63 - 1, 2**63, 2**64])
def test_a_signed_user_id_telegram_never_gives_is_401_and_writes_nothing(client, seeded, surface, user_id):
    response = book_as(client, signed_user(id=user_id), surface)

    assert response.status_code == 401
    assert response.get_json() == {"code": 401, "status": "Unauthorized", "errors": {},
                                   "message": "The Telegram initData is malformed."}
    assert booking_count() == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("surface", ["v1", "compat"])
def test_a_signed_name_with_nul_or_lone_surrogates_still_books_with_the_name_cleaned(client, seeded, surface):
    init_data = signed_user(first_name="Ta\x00ras", last_name="\ud83dShevchenko", username="taras\x00",
                            language_code="u\udfffk")

    response = book_as(client, init_data, surface)

    assert response.status_code in (200, 201)
    assert booking_count() == 1
    user = db.session.get(User, 700_000_001)
    assert (user.first_name, user.last_name, user.username, user.language_code) == (
        "Taras", "\ufffdShevchenko", "taras", "u\ufffdk")


@pytest.mark.parametrize("path", ["/api/doctors/book_slot", "/api/v1/bookings", "/api/v1/staff/reminders/run"])
@pytest.mark.parametrize(("levels", "message"), [
    (30_000, "The request body is not valid JSON."),  # past the JSON decoder's own recursion limit
    (33, "The request body is nested deeper than 32 levels."),
])
def test_a_body_nested_deeper_than_any_request_is_a_400(client, seeded, tma_headers, staff_headers, path, levels,
                                                        message):
    nested = "[" * (levels - 1) + "]" * (levels - 1)
    headers = staff_headers if "/staff/" in path else tma_headers()

    response = client.post(path, data=f'{{"doctor_id": {nested}}}', content_type="application/json", headers=headers)

    assert (response.status_code, response.get_json()["message"]) == (400, message)
    assert booking_count() == 0

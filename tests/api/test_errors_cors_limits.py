"""The one error shape for routing errors and crashes, CORS for the Mini App's origin, and booking rate limits."""
from __future__ import annotations

import dataclasses

import pytest
from flask import Flask, request
from sqlalchemy import func, select

from medsync import create_app
from medsync.extensions import db
from medsync.models import Booking, User
from medsync.services import bookings
from tests.api.conftest import book_slot_body, first_doctor, local_slot
from tests.conftest import WEBAPP_URL
from tests.support.database import database_url

ERROR_KEYS = {"code", "status", "message", "errors"}


def test_an_unknown_route_is_404_in_the_error_shape(client):
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": response.get_json()["message"],
                                   "errors": {}}


def test_a_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/doctors/")
    assert response.status_code == 405
    assert set(response.get_json()) == ERROR_KEYS and response.get_json()["status"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_a_v1_validation_error_uses_the_same_shape(client, seeded):
    response = client.get("/api/v1/doctors?page=0")
    body = response.get_json()
    assert response.status_code == 422
    assert set(body) == ERROR_KEYS and body["errors"] == {"page": body["errors"]["page"]}


PHONE = "+380" + "501234567"  # built, so the traceback's source lines cannot contain it


def test_an_unexpected_error_is_500_rolled_back_and_tells_nothing(
    app: Flask, client, seeded, init_data, monkeypatch, caplog
):
    def crash_after_writing(**arguments):
        real_book(**arguments)
        db.session.flush()
        raise RuntimeError(f"secret internal detail: Failing row contains (Taras, {PHONE})")

    real_book = bookings.book
    monkeypatch.setattr(bookings, "book", crash_after_writing)
    doctor = first_doctor()
    response = client.post("/api/doctors/book_slot",
                           json=book_slot_body(doctor, local_slot(doctor.clinic), init_data(700_000_001)))
    body = response.get_json()
    assert response.status_code == 500
    assert set(body) == ERROR_KEYS and "secret" not in response.get_data(as_text=True)
    # Logged with its type and stack, but never its text: it may hold a patient's details.
    assert "RuntimeError" in caplog.text and "unhandled error on POST /api/doctors/book_slot" in caplog.text
    assert PHONE not in caplog.text and f"(Taras, {PHONE})" not in caplog.text
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_cors_preflight_allows_the_web_app_origin_only(client):
    allowed = client.options("/api/doctors/book_slot", headers={
        "Origin": WEBAPP_URL, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    })
    foreign = client.options("/api/doctors/book_slot", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
    })
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == WEBAPP_URL
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_cors_headers_on_a_catalog_read(client, seeded):
    response = client.get("/api/doctors/", headers={"Origin": WEBAPP_URL})
    assert response.headers["Access-Control-Allow-Origin"] == WEBAPP_URL


@pytest.fixture
def two_bookings_a_minute(app: Flask, monkeypatch):
    monkeypatch.setitem(app.config, "SETTINGS",
                        dataclasses.replace(app.config["SETTINGS"], BOOKING_RATE_LIMIT="2 per minute"))


def test_booking_writes_are_limited_per_telegram_user(client, seeded, init_data, tma_headers, two_bookings_a_minute):
    doctor = first_doctor()
    statuses = [
        client.post("/api/doctors/book_slot", json=book_slot_body(
            doctor, local_slot(doctor.clinic, days_ahead=day), init_data(700_000_001))).status_code
        for day in (1, 2, 3)
    ]
    other_user = client.post("/api/doctors/book_slot", json=book_slot_body(
        doctor, local_slot(doctor.clinic, days_ahead=4), init_data(700_000_002)))
    v1_for_limited_user = client.get("/api/v1/me/bookings", headers=tma_headers(700_000_001))

    assert statuses == [200, 200, 429]
    assert other_user.status_code == 200
    assert v1_for_limited_user.status_code == 200  # reads are not limited
    limited = client.post("/api/v1/bookings", headers=tma_headers(700_000_001), json={})
    assert limited.status_code == 429
    body = limited.get_json()
    assert set(body) == ERROR_KEYS and body["code"] == 429 and "Too many booking requests" in body["message"]
    assert "Retry-After" in limited.headers
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 3


def test_cors_preflight_of_a_patient_route_needs_no_init_data(client):
    response = client.options("/api/v1/bookings", headers={
        "Origin": WEBAPP_URL, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    })
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == WEBAPP_URL
    assert "idempotency-key" in response.headers["Access-Control-Allow-Headers"].lower()


def test_bookings_go_through_when_the_limiter_cannot_reach_redis(app, client, seeded, init_data, monkeypatch):
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    unreachable = storage_from_string("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setitem(app.extensions, "booking_limiter", MovingWindowRateLimiter(unreachable))
    doctor = first_doctor()

    response = client.post("/api/doctors/book_slot", json=book_slot_body(doctor, local_slot(doctor.clinic), init_data()))

    assert response.status_code == 200


def test_strangers_get_401_not_429_however_often_they_try(client, seeded, two_bookings_a_minute):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic, days_ahead=2), "user=%7B%7D&hash=forged")

    statuses = {client.post("/api/doctors/book_slot", json=body).status_code for _ in range(25)}

    assert statuses == {401}


@pytest.mark.parametrize(("trusted", "expected"), [
    (0, ("127.0.0.1", "http://localhost/")),
    (1, ("203.0.113.7", "https://clinic.example/")),
])
def test_forwarded_headers_count_only_from_trusted_proxies(tmp_path, trusted, expected):
    app = create_app({"DATABASE_URL": database_url("unused"), "RESULTS_DIR": str(tmp_path),
                      "TRUSTED_PROXIES": trusted})
    app.add_url_rule("/whoami", "whoami", lambda: {"address": request.remote_addr, "root": request.url_root})

    response = app.test_client().get("/whoami", headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "clinic.example",
    })

    assert (response.json["address"], response.json["root"]) == expected

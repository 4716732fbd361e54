"""PostgreSQL restarts: an idle pool reconnects by itself; a connection lost in use costs one 503, never a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import text

import medsync
from medsync.extensions import db
from tests.api.conftest import book_slot_body, first_doctor, local_slot


@pytest.fixture
def warm_pool(client, seeded) -> None:
    """The pool holds a connection that has served a request, as on a running server."""
    assert client.get("/api/doctors/").status_code == 200
    db.session.execute(text("SELECT 1"))
    db.session.remove()


def booking_body(init_data, hour: int) -> dict:
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=hour), init_data())
    db.session.remove()
    return body


def test_an_idle_pool_reconnects_after_a_restart_without_an_error(
    client, init_data, warm_pool, monkeypatch, restart_postgresql_sessions
):
    monkeypatch.setattr(medsync, "PING_IDLE_AFTER_SECONDS", 0.0)  # every pooled connection counts as idle
    body = booking_body(init_data, hour=10)
    restart_postgresql_sessions()
    assert client.post("/api/doctors/book_slot", json=body).status_code == 200


def test_a_connection_lost_in_use_answers_503_once_and_the_next_request_reconnects(
    client, init_data, warm_pool, monkeypatch, restart_postgresql_sessions
):
    monkeypatch.setattr(medsync, "PING_IDLE_AFTER_SECONDS", 3600.0)  # in steady use: never pinged
    body = booking_body(init_data, hour=10)
    restart_postgresql_sessions()
    refused = client.post("/api/doctors/book_slot", json=body)
    assert refused.status_code == 503
    assert refused.get_json()["message"] == "The service is briefly unavailable. Please try again."
    assert client.post("/api/doctors/book_slot", json=body).status_code == 200

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


def test_a_prepared_statement_dropped_on_the_server_costs_one_503_on_that_connection_only(client, init_data, warm_pool):
    """Something else sent DEALLOCATE ALL (a proxy's reset, an operator): the booking's prepared statement is
    gone from a connection that had it. That connection is replaced (not the pool), the request answers 503
    like after a restart, and the next booking prepares it afresh."""
    body = booking_body(init_data, hour=10)
    db.engine.dispose()  # from here on one request at a time uses the pool's one connection
    assert client.post("/api/doctors/book_slot", json=body).status_code == 200
    connection = db.session.connection()  # the booking's connection
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    assert "medsync_book_with_profile" in connection.info["medsync_prepared"]
    connection.exec_driver_sql("DEALLOCATE ALL")
    db.session.commit()
    db.session.remove()
    body = booking_body(init_data, hour=11)
    refused = client.post("/api/doctors/book_slot", json=body)
    assert refused.status_code == 503
    assert client.post("/api/doctors/book_slot", json=body).status_code == 200
    assert db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid

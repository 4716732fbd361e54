"""PostgreSQL restarts: an idle pool reconnects by itself; a connection lost in use costs one 503, never a 500; one
lost once the answer is decided does not change it."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import request_finished
from sqlalchemy import text

import medsync
from medsync.extensions import db
from medsync.services import bookings
from tests.api.conftest import book_slot_body, first_doctor, local_slot
from tests.support.database import _admin


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


def in_a_server_thread(call):
    """Run `call` as a server thread does: no application context of the test's around it, so the request pushes
    its own and tears it down (closing its database session) when it ends."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(call).result()


def terminate_this_sessions_connection() -> None:
    pid = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    _admin(f"SELECT pg_terminate_backend({pid})")


def test_a_connection_lost_after_the_response_was_built_still_sends_that_response(app, client, seeded, tma_headers,
                                                                                   caplog):
    headers = tma_headers()
    db.session.remove()

    def lose_the_connection(_sender, response, **_extra) -> None:
        terminate_this_sessions_connection()  # the request's reads are done: only closing the session is left

    with request_finished.connected_to(lose_the_connection, app), caplog.at_level(logging.WARNING):
        response = in_a_server_thread(lambda: client.get("/api/v1/me/bookings", headers=headers))

    assert response.status_code == 200
    assert response.get_json()["items"] == []
    assert "the database session could not be closed (OperationalError)" in caplog.text
    assert in_a_server_thread(lambda: client.get("/api/v1/me/bookings", headers=headers)).status_code == 200


def test_a_connection_lost_before_an_error_is_answered_still_answers_in_the_error_shape(
    app, client, seeded, tma_headers, monkeypatch
):
    headers = tma_headers()
    db.session.remove()
    looked_up = bookings.get_booking

    def look_up_then_lose_the_connection(booking_id: int, *, user_id: int):
        try:
            return looked_up(booking_id, user_id=user_id)
        finally:
            terminate_this_sessions_connection()  # the 404 is decided; rolling back before answering meets a dead line

    monkeypatch.setattr(bookings, "get_booking", look_up_then_lose_the_connection)

    response = in_a_server_thread(lambda: client.get("/api/v1/bookings/5", headers=headers))

    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "status": "Not Found", "message": "Booking not found.", "errors": {}}

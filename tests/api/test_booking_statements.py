"""One booking through the HTTP API is one transaction: a fixed, short list of SQL statements and one commit.

Counted on the engine (every statement sent to PostgreSQL, every COMMIT and SAVEPOINT), with the catalog
snapshot warm as on a running server and a fresh session per request as in production. The lists are
pinned whole: an N+1, a re-SELECT after a flush or an extra round trip changes them and fails here.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event, func, select

from medsync.extensions import db
from medsync.models import Booking, BookingEvent, DiagnosticType, OutboxMessage
from tests.api.conftest import book_slot_body, first_doctor, local_slot, utc_text, v1_booking_body

PATIENT_ID = 700_000_001

# What one new booking sends to PostgreSQL, in order, for either surface.
# One statement, prepared once per connection: the patient's user row created or refreshed from initData, the
# booking unless the doctor is away that day (ON CONFLICT DO NOTHING: the exclusion constraints decide, no
# SAVEPOINT), its audit event, the confirmation and both reminders.
ONE_BOOKING = ["EXECUTE medsync_book_with_profile"]


@dataclass
class Traffic:
    statements: list[str] = field(default_factory=list)
    commits: int = 0
    savepoints: int = 0

    @property
    def shapes(self) -> list[str]:
        """Each statement as its verb and first table ("INSERT bookings", "SELECT doctor_absences"), or as the
        prepared statement it executes ("EXECUTE medsync_book")."""
        return [_shape(statement) for statement in self.statements]


def _shape(statement: str) -> str:
    verb, rest = statement.split(None, 1)
    if verb.upper() == "EXECUTE":  # a prepared statement, by name
        return "EXECUTE " + re.match(r"\w+", rest).group(0)
    table = re.search(r"\b(?:INTO|FROM|UPDATE)\s+(\w+)", statement)
    return f"{verb.upper()} {table.group(1) if table else '?'}"


@pytest.fixture
def traffic(app, seeded, client) -> Callable[[], Iterator[Traffic]]:
    """`with traffic() as seen:` records what one request sends to PostgreSQL."""
    client.get("/api/doctors/")  # the catalog snapshot is loaded once per process, not per booking

    @contextmanager
    def recording() -> Iterator[Traffic]:
        seen = Traffic()

        def statement(_conn, _cursor, sql, *_args) -> None:
            if not sql.startswith("PREPARE "):  # once per connection (tests/services/test_prepared.py)
                seen.statements.append(sql)

        def commit(_conn) -> None:
            seen.commits += 1

        def savepoint(_conn, _name) -> None:
            seen.savepoints += 1

        db.session.remove()  # the request gets a fresh session, as in production (no identity-map hits)
        listeners = [("before_cursor_execute", statement), ("commit", commit), ("savepoint", savepoint)]
        for name, listener in listeners:
            event.listen(db.engine, name, listener)
        try:
            yield seen
        finally:
            for name, listener in listeners:
                event.remove(db.engine, name, listener)
            db.session.remove()

    return recording


def written(booking_id: int) -> tuple[int, int]:
    """(audit events, outbox rows) of a booking."""
    events = db.session.scalar(select(func.count()).where(BookingEvent.booking_id == booking_id))
    messages = db.session.scalar(select(func.count()).where(OutboxMessage.booking_id == booking_id))
    return events, messages


@pytest.mark.parametrize("idempotency_key", [None, "tap-1"], ids=["plain", "idempotency-key"])
def test_a_v1_booking_is_one_statement_and_one_commit(client, traffic, tma_headers, idempotency_key):
    doctor = first_doctor()
    body = v1_booking_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=10))
    headers = tma_headers(PATIENT_ID) | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
    with traffic() as seen:
        response = client.post("/api/v1/bookings", headers=headers, json=body)
    assert response.status_code == 201
    assert (seen.shapes, seen.commits, seen.savepoints) == (ONE_BOOKING, 1, 0)
    assert written(response.get_json()["id"]) == (1, 3)


def test_a_repeated_idempotency_key_is_two_statements_and_answers_the_first_booking(client, traffic, tma_headers):
    doctor = first_doctor()
    body = v1_booking_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=10))
    headers = tma_headers(PATIENT_ID) | {"Idempotency-Key": "tap-1"}
    first = client.post("/api/v1/bookings", headers=headers, json=body)
    with traffic() as seen:
        repeat = client.post("/api/v1/bookings", headers=headers, json=body)
    assert repeat.status_code == 201 and repeat.get_json() == first.get_json()
    # The booking is refused (the key's unique index, or the slot held by the first booking); then the
    # key's booking is the answer.
    assert (seen.shapes, seen.commits, seen.savepoints) == ([*ONE_BOOKING, "SELECT bookings"], 1, 0)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_compatible_doctor_booking_is_one_statement_and_one_commit(client, traffic, init_data):
    doctor = first_doctor()
    body = book_slot_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=11), init_data(PATIENT_ID))
    with traffic() as seen:
        response = client.post("/api/doctors/book_slot", json=body)
    assert response.status_code == 200
    assert (seen.shapes, seen.commits, seen.savepoints) == (ONE_BOOKING, 1, 0)
    assert written(response.get_json()["booking_id"]) == (1, 3)


def test_a_compatible_diagnostic_booking_is_one_statement_and_one_commit(client, traffic, init_data):
    diagnostic = db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)).first()
    clinic = diagnostic.clinics[0]
    body = {
        "diagnostic_id": diagnostic.id, "location_id": clinic.id,
        "booking_date_time": utc_text(local_slot(clinic, days_ahead=2, hour=11)), "user_name": "Taras",
        "user_surname": "Shevchenko", "user_phone": "+380501234567", "user_email": "",
        "userInitData": init_data(PATIENT_ID),
    }
    with traffic() as seen:
        response = client.post("/api/diagnostics/book_slot", json=body)
    assert response.status_code == 200
    assert (seen.shapes, seen.commits, seen.savepoints) == (ONE_BOOKING, 1, 0)
    assert written(response.get_json()["booking_id"]) == (1, 3)


def test_the_statement_count_does_not_grow_with_the_bookings_already_made(client, traffic, init_data):
    doctor = first_doctor()
    for hour in (9, 10, 11, 12):
        body = book_slot_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=hour), init_data(PATIENT_ID + hour))
        assert client.post("/api/doctors/book_slot", json=body).status_code == 200
    body = book_slot_body(doctor, local_slot(doctor.clinic, days_ahead=2, hour=15), init_data(PATIENT_ID))
    with traffic() as seen:
        response = client.post("/api/doctors/book_slot", json=body)
    assert response.status_code == 200
    assert (seen.shapes, seen.commits, seen.savepoints) == (ONE_BOOKING, 1, 0)

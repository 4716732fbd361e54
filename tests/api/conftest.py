"""Fixtures for the Web App API tests: the seeded demo catalog, query counting, booking bodies."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from medsync import clock
from medsync.extensions import db
from medsync.models import Clinic, Doctor
from medsync.services.seed import seed_demo_catalog


@pytest.fixture
def seeded(app_context: None, frozen_now: Callable[[datetime], None]) -> dict[str, int]:
    """The demo catalog, committed, with the clock frozen on Tuesday 2026-12-01 06:00 UTC."""
    counts = seed_demo_catalog()
    db.session.commit()
    return counts


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """`with count_queries() as queries: ...` then `len(queries)` is the number of SQL statements run."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


def first_doctor() -> Doctor:
    return db.session.scalars(select(Doctor).order_by(Doctor.id)).first()


def local_slot(clinic: Clinic, *, days_ahead: int = 1, hour: int = 10) -> datetime:
    """`hour`:00 clinic time on the first open day at least `days_ahead` days from now."""
    day = clock.now().astimezone(clinic.zone).date() + timedelta(days=days_ahead)
    open_days = {hours.weekday for hours in clinic.hours}
    while day.isoweekday() not in open_days:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), clinic.zone)


def utc_text(moment: datetime) -> str:
    """How the front end sends a time: UTC with milliseconds and Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def book_slot_body(doctor: Doctor, starts_at: datetime, init_data: str | None, **overrides: Any) -> dict[str, Any]:
    """The compatible front end's booking body."""
    body: dict[str, Any] = {
        "doctor_id": doctor.id, "location_id": doctor.clinic_id, "booking_date_time": utc_text(starts_at),
        "user_name": "Taras", "user_surname": "Shevchenko", "user_phone": "+380501234567",
        "user_email": "taras@example.com", "user_message": "First visit", "userInitData": init_data,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def v1_booking_body(doctor: Doctor, starts_at: datetime, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "doctor_id": doctor.id, "clinic_id": doctor.clinic_id, "starts_at": starts_at.isoformat(),
        "patient": {"first_name": "Taras", "last_name": "Shevchenko", "phone": "+380501234567",
                    "email": "taras@example.com"},
    }
    body.update(overrides)
    return body

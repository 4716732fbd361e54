"""The Web App API's scenarios: catalog and slot reads, and bookings of a new free slot by a new user each time.

Everything goes through HTTP (the catalog, the free slots, the bookings), so the bench keeps working
whatever the services do inside.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.server import BOT_TOKEN
from tests.support.initdata import sign_init_data

BOOKING_PATH = "/api/doctors/book_slot"
BOOKING_USER_BASE_ID = 920_000_000
HORIZON_WINDOWS = 2  # free slots are asked for 31 days at a time: two windows cover the 60-day horizon


@dataclass(frozen=True)
class Read:
    name: str
    path: str


def reads(today: date) -> list[Read]:
    """The GET scenarios of issue 10, in the order they run (before anything is booked by the bench)."""
    return [
        Read("GET /api/doctors/", "/api/doctors/"),
        Read("GET /api/slots/doctors/1/1/<month> (booked times)", f"/api/slots/doctors/1/1/{today.month - 1}"),
        Read("GET /api/v1/doctors/1/slots (31 days)", month_of_slots(today)),
    ]


def month_of_slots(today: date) -> str:
    """31 days of doctor 1's free slots: public, or for a signed-in patient without their own busy times."""
    return f"/api/v1/doctors/1/slots?from={today}&to={today + timedelta(days=30)}"


def write_credentials(user_ids: range, path: Path) -> Path:
    """One `Authorization: tma <initData>` value per line, signed for each Telegram user (a Mini App session each)."""
    with path.open("w") as lines:
        for user_id in user_ids:
            lines.write(f"tma {sign_init_data(BOT_TOKEN, {'id': user_id, 'first_name': 'Bench'})}\n")
    return path


def free_doctor_slots(base: str, today: date) -> list[tuple[dict[str, Any], str]]:
    """Every free slot of every doctor over the booking horizon, as (doctor, starts_at)."""
    doctors = requests.get(f"{base}/api/doctors/", timeout=30).json()
    slots = []
    for window in range(HORIZON_WINDOWS):
        first = today + timedelta(days=31 * window)
        for doctor in doctors:
            answer = requests.get(f"{base}/api/v1/doctors/{doctor['doctor_id']}/slots",
                                  params={"from": first, "to": first + timedelta(days=30)}, timeout=30)
            slots += [(doctor, slot["starts_at"]) for slot in answer.json()] if answer.ok else []
    return slots


def booking_body(doctor: dict[str, Any], starts_at: str, user_id: int) -> dict[str, Any]:
    """The original front end's book_slot body, signed for Telegram user `user_id`."""
    return {
        "doctor_id": doctor["doctor_id"], "location_id": doctor["location_id"], "booking_date_time": starts_at,
        "user_name": "Bench", "user_surname": f"User{user_id}", "user_phone": "+380500000000",
        "user_email": "bench@example.com",
        "userInitData": sign_init_data(BOT_TOKEN, {"id": user_id, "first_name": "Bench"}),
    }


def write_booking_bodies(base: str, today: date, wanted: int, path: Path) -> int:
    """One body per line for distinct free slots across all doctors, in a shuffled (seeded) order, each for a
    new user; returns how many were written."""
    slots = free_doctor_slots(base, today)
    random.Random(10).shuffle(slots)
    with path.open("w") as bodies:
        for number, (doctor, starts_at) in enumerate(slots[:wanted]):
            bodies.write(json.dumps(booking_body(doctor, starts_at, BOOKING_USER_BASE_ID + number)) + "\n")
    return min(wanted, len(slots))

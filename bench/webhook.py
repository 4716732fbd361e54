"""The Telegram webhook's scenarios: /start from returning users, and "My bookings" page turns.

Real Update JSON with unique update ids is posted by wrk (one body per update, never repeated) to the
gunicorn under test, whose replies go to the fake Bot API. Patients with 12 upcoming bookings each are
booked through the HTTP API first, so the bench depends on no service's signature.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests

from bench.api import BOOKING_PATH, booking_body, free_doctor_slots
from bench.server import WEBHOOK_SECRET

PATH = "/telegram/webhook"
HEADERS = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
PATIENT_BASE_ID = 900_000_000
RETURNING_USER_BASE_ID = 910_000_000
RETURNING_USERS = 1000
BOOKINGS_PER_PATIENT = 12


@dataclass(frozen=True)
class Scenario:
    name: str
    update: Callable[[int, int], dict[str, Any]]  # (update id, sequence number) -> Update


def book_patients(base: str, today: date, patients: int) -> None:
    """Each patient books 12 free slots of one doctor through POST /api/doctors/book_slot."""
    by_doctor: dict[int, list[tuple[dict[str, Any], str]]] = {}
    for doctor, starts_at in free_doctor_slots(base, today):
        by_doctor.setdefault(doctor["doctor_id"], []).append((doctor, starts_at))
    doctors = sorted(by_doctor)
    bodies = []
    for number in range(patients):
        free = by_doctor[doctors[number % len(doctors)]]
        for _ in range(BOOKINGS_PER_PATIENT):
            doctor, starts_at = free.pop(0)
            bodies.append(booking_body(doctor, starts_at, PATIENT_BASE_ID + number))

    def book(body: dict[str, Any]) -> int:
        return requests.post(f"{base}{BOOKING_PATH}", json=body, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        refused = [status for status in pool.map(book, bodies) if status != 200]
    if refused:
        raise RuntimeError(f"booking the webhook's patients: {len(refused)} of {len(bodies)} refused ({refused[0]})")


def scenarios(patients: int) -> list[Scenario]:
    return [Scenario("webhook /start", _start_update),
            Scenario("webhook page turn", _page_turn_update(PATIENT_BASE_ID, patients, "upcoming", pages=3))]


def past_page(first_id: int, patients: int) -> Scenario:
    """"My bookings", past, page 1, from `patients` users with ids from `first_id` on (the scale bench's
    generated patients, who have a history)."""
    return Scenario("webhook my bookings, past (page 1)", _page_turn_update(first_id, patients, "past", pages=1))


def write_updates(scenario: Scenario, count: int, path: Path) -> None:
    """`count` updates of the scenario, one JSON per line, with update ids no earlier run used."""
    first_id = time.time_ns() // 1000
    with path.open("w") as updates:
        for sequence in range(count):
            updates.write(json.dumps(scenario.update(first_id + sequence, sequence)) + "\n")


def warm_up(base: str, scenario: Scenario, count: int = 40) -> None:
    """A few updates one by one: the bot's handlers and each worker's connections are ready before wrk starts."""
    first_id = time.time_ns() // 1000
    with requests.Session() as session:
        for sequence in range(count):
            session.post(f"{base}{PATH}", json=scenario.update(first_id + sequence, sequence), headers=HEADERS,
                         timeout=30)


def _person(telegram_id: int) -> dict[str, Any]:
    return {"id": telegram_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}


def _start_update(update_id: int, sequence: int) -> dict[str, Any]:
    """/start from one of 1000 returning users (each upsert touches one row, rarely the same one at once)."""
    user = _person(RETURNING_USER_BASE_ID + sequence % RETURNING_USERS)
    return {"update_id": update_id, "message": {
        "message_id": sequence + 1, "from": user, "chat": {"id": user["id"], "type": "private"}, "date": 0,
        "text": "/start", "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
    }}


def _page_turn_update(first_id: int, patients: int, when: str, pages: int) -> Callable[[int, int], dict[str, Any]]:
    def update(update_id: int, sequence: int) -> dict[str, Any]:
        """▶ / ◀ on a patient's list (upcoming: 12 bookings each): pages 1 … `pages` in turn."""
        user = _person(first_id + sequence % patients)
        page = sequence // patients % pages + 1
        return {"update_id": update_id, "callback_query": {
            "id": str(sequence), "from": user, "chat_instance": "1", "data": f"bl:{when}:{page}",
            "message": {"message_id": 1, "chat": {"id": user["id"], "type": "private"}, "date": 0, "text": "…"},
        }}

    return update

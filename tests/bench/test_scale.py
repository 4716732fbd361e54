"""The scale bench's network generator (bench/scale.py), at a few thousand bookings on the test database: what it
writes is what the app would have written, and the app reads it."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import text

from bench import scale
from medsync.extensions import db
from medsync.services import catalog, maintenance, seed
from medsync.services.delivery import due_for_delivery
from tests.conftest import FROZEN_NOW

# Two network clinics and eight network doctors beside the demo catalog's four and sixteen.
SMALL = scale.Size(clinics=6, doctors=24, patients=500, bookings=3_000)


@pytest.fixture
def network(app: Flask, frozen_now: Callable, app_context: None) -> Iterator[scale.Generated]:
    """The demo catalog, then a small network generated on it three years up to FROZEN_NOW."""
    seed.seed_demo_catalog()
    db.session.commit()
    generated = scale.generate(db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                               SMALL, now=FROZEN_NOW)
    catalog.bump_version()  # clinics and doctors were written behind the app's back
    yield generated


def count(sql: str, **parameters: object) -> int:
    return db.session.scalar(text(sql), parameters)


def test_the_network_has_the_size_asked_for_and_every_booking_its_event_and_confirmation(network):
    assert network.rows["clinics"] == 6 and network.rows["doctors"] == 24 and network.rows["users"] == 500
    assert 2_700 <= network.rows["bookings"] <= 3_300
    assert 2.5 <= network.rows["booking_events"] / network.rows["bookings"] <= 3.0
    assert 2.9 <= network.rows["outbox_messages"] / network.rows["bookings"] <= 3.2
    booked_events = count("SELECT count(*) FROM booking_events WHERE action = 'booked'")
    confirmations = count("SELECT count(*) FROM outbox_messages WHERE kind = 'confirmation'")
    assert booked_events == confirmations == network.rows["bookings"]


def test_every_story_a_booking_can_have_is_there_and_nothing_due_is_left_unsent(network):
    statuses = set(db.session.scalars(text("SELECT DISTINCT status FROM bookings")))
    assert statuses == {"booked", "arrived", "fulfilled", "noshow", "cancelled"}
    assert count("SELECT count(*) FROM bookings WHERE rescheduled_from_id IS NOT NULL") > 0
    assert count("SELECT count(*) FROM bookings WHERE diagnostic_id IS NOT NULL") > 0
    assert count("SELECT count(*) FROM bookings JOIN doctors ON doctors.id = doctor_id "
                 "WHERE starts_with(doctors.slug, 'network-')") > 0
    assert count("SELECT count(*) FROM bookings WHERE starts_at > :now AND status = 'booked'", now=FROZEN_NOW) > 0
    assert due_for_delivery(now=FROZEN_NOW) == []


def test_a_generated_patient_sees_their_history_in_the_mini_app(network, client, tma_headers):
    patient = count("SELECT user_id FROM bookings WHERE ends_at < :now GROUP BY user_id ORDER BY count(*) DESC, "
                    "user_id LIMIT 1", now=FROZEN_NOW)
    answer = client.get("/api/v1/me/bookings?when=past&per_page=50", headers=tma_headers(patient))
    assert answer.status_code == 200
    shown = [item["id"] for item in answer.get_json()["items"]]
    expected = db.session.scalars(text(
        "SELECT id FROM bookings WHERE user_id = :patient AND NOT (status = 'booked' AND ends_at > :now) "
        "AND NOT EXISTS (SELECT FROM bookings successor WHERE successor.rescheduled_from_id = bookings.id) "
        "ORDER BY starts_at DESC, id DESC"), {"patient": patient, "now": FROZEN_NOW}).all()
    assert len(expected) >= 3 and shown == expected


def test_a_generated_booking_holds_a_slot_of_its_doctors_grid(network, client, staff_headers):
    booking_id, doctor_id, starts_at = db.session.execute(text(
        "SELECT id, doctor_id, starts_at FROM bookings WHERE status = 'booked' AND doctor_id IS NOT NULL "
        "AND starts_at > :soon ORDER BY starts_at LIMIT 1"), {"soon": FROZEN_NOW + timedelta(days=1)}).one()
    day = starts_at.date().isoformat()

    def free_starts() -> set[datetime]:
        slots = client.get(f"/api/v1/doctors/{doctor_id}/slots?from={day}&to={day}").get_json()
        return {datetime.fromisoformat(slot["starts_at"]) for slot in slots}  # aware: compared as instants

    assert starts_at not in free_starts()
    cancelled = client.post(f"/api/v1/staff/bookings/{booking_id}/status", json={"status": "cancelled"},
                            headers=staff_headers)
    assert cancelled.status_code == 200
    assert starts_at in free_starts()


def test_the_next_nights_no_show_marking_takes_the_days_generated_visits_nobody_marked(network):
    next_night = FROZEN_NOW + timedelta(days=1)
    unmarked = "SELECT id FROM bookings WHERE status = 'booked' AND ends_at < :night - interval '2 hours' ORDER BY id"
    overdue = db.session.scalars(text(unmarked), {"night": next_night}).all()
    assert overdue
    assert maintenance.mark_noshows(now=next_night) == overdue
    db.session.commit()
    assert db.session.scalars(text(unmarked), {"night": next_night}).all() == []

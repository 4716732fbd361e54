"""A Mini App session sends one initData with every request: its signature is verified once per process,
but it expires exactly when it would have if verified again, and nothing unverified is ever let through."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import FROZEN_NOW

PATIENT_ID = 700_000_001


def test_a_reused_init_data_keeps_working_until_it_expires(client, seeded, init_data, frozen_now):
    headers = {"Authorization": f"tma {init_data(PATIENT_ID)}"}
    assert client.get("/api/v1/me/bookings", headers=headers).status_code == 200
    frozen_now(FROZEN_NOW + timedelta(hours=23))
    assert client.get("/api/v1/me/bookings", headers=headers).status_code == 200

    frozen_now(FROZEN_NOW + timedelta(hours=24, seconds=1))  # INITDATA_MAX_AGE is 24 hours
    expired = client.get("/api/v1/me/bookings", headers=headers)

    assert expired.status_code == 401 and "expired" in expired.get_json()["message"]


def test_a_verified_init_data_changed_by_one_character_is_refused(client, seeded, init_data):
    signed = init_data(PATIENT_ID)
    assert client.get("/api/v1/me/bookings", headers={"Authorization": f"tma {signed}"}).status_code == 200
    tampered = signed.replace("Taras", "Taras2")

    response = client.get("/api/v1/me/bookings", headers={"Authorization": f"tma {tampered}"})

    assert response.status_code == 401 and "signature" in response.get_json()["message"]

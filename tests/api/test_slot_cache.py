"""Cached free slots and catalog reads are never stale: in this process, in another one, for a patient."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask

from medsync import clock, create_app
from medsync.api import answers
from medsync.extensions import db
from medsync.models import DoctorAbsence
from medsync.services import bookings, changes
from tests.api.conftest import first_doctor, local_slot
from tests.conftest import PATIENT, settings_for_tests


@pytest.fixture
def other_process(app: Flask, tmp_path_factory, telegram_server) -> Iterator[Flask]:
    """A second app on the same database and Redis: what another gunicorn worker (or host) is to this one."""
    other = create_app(settings_for_tests(tmp_path_factory, TELEGRAM_API_URL=telegram_server.url))
    other.config["TESTING"] = True
    celery_app = app.extensions["celery"]  # create_app made the other app's Celery the default
    celery_app.set_default()
    celery_app.set_current()
    yield other
    feed = other.extensions.get("medsync_catalog_feed")
    if feed is not None and feed.pubsub is not None:
        feed.pubsub.close()
    with other.app_context():
        db.engine.dispose()


def month_path(doctor, first_day) -> str:
    return f"/api/v1/doctors/{doctor.id}/slots?from={first_day}&to={first_day + timedelta(days=30)}"


def starts(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [slot["starts_at"] for slot in response.get_json()]


def book(doctor, user, starts_at):
    booking = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=starts_at, patient=PATIENT)
    db.session.commit()
    return booking


def test_a_booked_slot_leaves_the_very_next_answer_and_a_cancelled_one_comes_back(
    client, seeded, make_user, count_queries
):
    doctor = first_doctor()
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    path = month_path(doctor, visit.date() - timedelta(days=2))
    instant = visit.isoformat()
    assert instant in starts(client.get(path))
    with count_queries() as queries:
        assert instant in starts(client.get(path))
    assert queries == []  # served from the cache

    user = make_user()
    booking = book(doctor, user, visit)
    assert instant not in starts(client.get(path))

    bookings.cancel(booking.id, user_id=user.telegram_id)
    db.session.commit()
    assert instant in starts(client.get(path))


def test_the_compat_taken_hours_follow_a_booking_at_once(client, seeded, make_user):
    doctor = first_doctor()
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    path = f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}/{visit.month - 1}"
    assert visit.isoformat() not in client.get(path).get_json()
    book(doctor, make_user(), visit)
    assert visit.isoformat() in client.get(path).get_json()


def test_an_unchanged_answer_is_revalidated_by_its_etag(client, seeded):
    doctor = first_doctor()
    path = month_path(doctor, local_slot(doctor.clinic).date())
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]


def test_a_booking_made_in_one_process_leaves_the_next_answer_of_another(
    client, seeded, make_user, other_process
):
    doctor = first_doctor()
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    path = month_path(doctor, visit.date() - timedelta(days=2))
    other = other_process.test_client()
    assert visit.isoformat() in starts(other.get(path))  # cached there now

    user = make_user()
    booking = book(doctor, user, visit)  # this process writes
    assert visit.isoformat() not in starts(other.get(path))

    bookings.cancel(booking.id, user_id=user.telegram_id)
    db.session.commit()
    assert visit.isoformat() in starts(other.get(path))


def test_a_catalog_change_made_in_one_process_shows_in_the_next_answers_of_another(
    client, seeded, other_process
):
    doctor = first_doctor()
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    path = month_path(doctor, visit.date() - timedelta(days=2))
    other = other_process.test_client()
    assert visit.isoformat() in starts(other.get(path))
    assert other.get("/api/doctors/").status_code == 200  # both cached there now

    db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=visit.date(), last_day=visit.date()))
    doctor.price = 999.5
    db.session.commit()

    assert not [start for start in starts(other.get(path)) if start.startswith(visit.date().isoformat())]
    cards = {card["doctor_id"]: card for card in other.get("/api/doctors/").get_json()}
    assert cards[doctor.id]["price"] == 999.5
    assert other.get(f"/api/v1/doctors/{doctor.id}").get_json()["price"] == 999.5


def test_a_patients_own_booking_elsewhere_leaves_their_next_answer(client, seeded, make_user, tma_headers):
    doctor = first_doctor()
    elsewhere = next(other for other in _doctors() if other.clinic_id != doctor.clinic_id)
    patient = make_user(telegram_id=700_000_001)
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    day = visit.astimezone(elsewhere.clinic.zone).date()
    path = f"/api/v1/doctors/{elsewhere.id}/slots?from={day}&to={day}"
    instant = visit.astimezone(elsewhere.clinic.zone).isoformat()
    assert instant in starts(client.get(path, headers=tma_headers(patient.telegram_id)))

    book(doctor, patient, visit)  # at another clinic, with another doctor

    own = client.get(path, headers=tma_headers(patient.telegram_id))
    assert instant not in starts(own)
    assert own.headers["Cache-Control"] == "private, no-store"
    assert instant in starts(client.get(path))  # the public answer has that time still


def test_a_cached_catalog_read_makes_no_redis_round_trip(client, seeded, app, monkeypatch):
    client.get("/api/doctors/")
    calls = []
    redis = app.extensions["redis"]
    original = redis.execute_command
    monkeypatch.setattr(redis, "execute_command", lambda *args, **options: calls.append(args) or original(*args, **options))
    for path in ("/api/doctors/", "/api/v1/doctors", "/api/diagnostics/"):
        assert client.get(path).status_code == 200
    assert calls == []


def _doctors():
    from sqlalchemy import select

    from medsync.models import Doctor

    return db.session.scalars(select(Doctor).order_by(Doctor.id))


def test_a_booked_diagnostic_slot_leaves_the_next_answer_at_that_clinic_only(client, seeded, make_user):
    from sqlalchemy import select

    from medsync.models import Clinic, ClinicDiagnostic

    offered = db.session.scalars(select(ClinicDiagnostic).order_by(ClinicDiagnostic.diagnostic_id)).first()
    clinic = db.session.get(Clinic, offered.clinic_id)
    visit = local_slot(clinic, days_ahead=3, hour=10)
    day = visit.date()
    path = f"/api/v1/diagnostics/{offered.diagnostic_id}/slots?clinic_id={clinic.id}&from={day}&to={day}"
    assert visit.isoformat() in starts(client.get(path))
    bookings.book(user_id=make_user().telegram_id, clinic_id=clinic.id, diagnostic_id=offered.diagnostic_id,
                  starts_at=visit, patient=PATIENT)
    db.session.commit()
    assert visit.isoformat() not in starts(client.get(path))


def test_a_process_whose_subscription_broke_still_sees_the_next_catalog_change(client, seeded, other_process):
    doctor = first_doctor()
    other = other_process.test_client()
    assert other.get(f"/api/v1/doctors/{doctor.id}").status_code == 200  # subscribed, snapshot cached
    other_process.extensions["medsync_catalog_feed"].pubsub.connection.disconnect()

    doctor.price = 777
    db.session.commit()

    assert other.get(f"/api/v1/doctors/{doctor.id}").get_json()["price"] == 777


def test_a_month_of_free_slots_costs_one_query_once_the_catalog_is_loaded(client, seeded, make_user, count_queries):
    doctor = first_doctor()
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    path = month_path(doctor, visit.date() - timedelta(days=2))
    client.get(path)
    book(doctor, make_user(), visit)  # the cached answer is dead; the catalog snapshot is not
    with count_queries() as queries:
        assert visit.isoformat() not in starts(client.get(path))
    assert len(queries) == 1  # the bookings holding the doctor's time: hours, closures, absences are in the snapshot


def test_without_redis_nothing_is_cached_and_every_answer_is_fresh(client, seeded, make_user, app):
    settings = {**app.config["SETTINGS"].__dict__, "REDIS_URL": "redis://127.0.0.1:1/0"}
    without_redis = create_app(settings)
    try:
        other = without_redis.test_client()
        doctor = first_doctor()
        visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
        path = month_path(doctor, visit.date() - timedelta(days=2))
        assert visit.isoformat() in starts(other.get(path))
        assert other.get("/api/doctors/").status_code == 200

        book(doctor, make_user(), visit)
        doctor.price = 555
        db.session.commit()

        assert visit.isoformat() not in starts(other.get(path))
        assert {card["doctor_id"]: card["price"] for card in other.get("/api/doctors/").get_json()}[doctor.id] == 555
    finally:
        app.extensions["celery"].set_default()
        with without_redis.app_context():
            db.engine.dispose()


def test_an_answer_whose_token_write_was_lost_is_served_for_its_maximum_age_at_most(
    client, seeded, make_user, monkeypatch
):
    doctor = first_doctor()
    visit = local_slot(doctor.clinic, days_ahead=3, hour=10)
    path = month_path(doctor, visit.date() - timedelta(days=2))
    instant = visit.isoformat()
    assert instant in starts(client.get(path))  # cached now
    monkeypatch.setattr(changes, "replace_tokens", lambda client, keys: None)  # Redis lost the write
    book(doctor, make_user(), visit)
    assert instant in starts(client.get(path))  # the tokens never moved: the old answer is still served

    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + answers.MAX_ANSWER_AGE)
    assert instant not in starts(client.get(path))

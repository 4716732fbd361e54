"""Races for one slot end in exactly one booking and SlotTaken for everyone else, enforced by PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from medsync.errors import PatientBusy, SlotTaken
from medsync.extensions import db
from medsync.services import bookings
from tests.conftest import PATIENT

KYIV = ZoneInfo("Europe/Kyiv")
THREADS = 50


def race(app: Flask, attempts: list[dict]) -> list[object]:
    """Run one booking per thread, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[object] = [None] * len(attempts)

    def attempt(index: int, arguments: dict) -> None:
        with app.app_context():
            barrier.wait()
            try:
                booking = bookings.book(patient=PATIENT, **arguments)
                db.session.commit()
                outcomes[index] = booking.id
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_fifty_patients_racing_for_one_slot_get_one_booking(app, frozen_now, make_doctor, make_user):
    doctor = make_doctor()
    users = [make_user() for _ in range(THREADS)]
    starts = datetime(2026, 12, 2, 10, tzinfo=KYIV)
    outcomes = race(app, [
        {"user_id": user.telegram_id, "clinic_id": doctor.clinic_id, "doctor_id": doctor.id, "starts_at": starts}
        for user in users
    ])
    winners = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(winners) == 1
    assert sum(isinstance(outcome, SlotTaken) for outcome in outcomes) == THREADS - 1
    assert db.session.scalar(text("SELECT count(*) FROM bookings")) == 1


def test_overlapping_starts_racing_past_the_availability_check_hit_the_constraint(
    app, frozen_now, make_doctor, make_user, monkeypatch
):
    """Starts 10 minutes apart overlap a 60-minute visit; the exclusion constraint lets one through.

    The grid check is bypassed so that every thread reaches the INSERT with its own start time.
    """
    from medsync.services import availability

    doctor = make_doctor(appointment_minutes=60)
    def any_start(resource, starts_at, *, now=None):
        return availability.Slot(starts_at, starts_at + timedelta(hours=1))

    monkeypatch.setattr(availability, "slot_on_grid", any_start)
    users = [make_user() for _ in range(THREADS)]
    outcomes = race(app, [
        {"user_id": user.telegram_id, "clinic_id": doctor.clinic_id, "doctor_id": doctor.id,
         "starts_at": datetime(2026, 12, 2, 10, tzinfo=KYIV) + timedelta(minutes=10 * (index % 5))}
        for index, user in enumerate(users)
    ])
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, SlotTaken) for outcome in outcomes) == THREADS - 1


def test_a_patient_cannot_hold_two_overlapping_bookings(app, frozen_now, make_doctor, make_user):
    first, second = make_doctor(), make_doctor()
    patient = make_user()
    starts = datetime(2026, 12, 2, 10, tzinfo=KYIV)
    bookings.book(user_id=patient.telegram_id, clinic_id=first.clinic_id, doctor_id=first.id, starts_at=starts,
                  patient=PATIENT)
    db.session.commit()
    with pytest.raises(PatientBusy):
        bookings.book(user_id=patient.telegram_id, clinic_id=second.clinic_id, doctor_id=second.id,
                      starts_at=starts, patient=PATIENT)


def test_postgres_itself_refuses_overlapping_rows_inserted_by_sql(app, frozen_now, make_doctor, make_user,
                                                                  make_patient):
    doctor = make_doctor()
    one, two = make_user(), make_user()
    make_patient(user=one), make_patient(user=two)
    insert = text(
        "INSERT INTO bookings (patient_id, user_id, clinic_id, doctor_id, starts_at, ends_at, status,"
        " patient_first_name, patient_last_name, patient_phone, ical_uid) VALUES"
        " ((SELECT id FROM patients WHERE user_id = :user), :user, :clinic, :doctor, :starts, :ends, 'booked',"
        " 'A', 'B', '+1', :uid)"
    )
    values = {"clinic": doctor.clinic_id, "doctor": doctor.id}
    db.session.execute(insert, {**values, "user": one.telegram_id, "uid": "a",
                                "starts": "2026-12-02 10:00+02", "ends": "2026-12-02 11:00+02"})
    db.session.commit()
    with pytest.raises(IntegrityError, match="ex_bookings_doctor_overlap"):
        db.session.execute(insert, {**values, "user": two.telegram_id, "uid": "b",
                                    "starts": "2026-12-02 10:30+02", "ends": "2026-12-02 11:30+02"})
    db.session.rollback()
    # A cancelled booking does not hold its slot.
    db.session.execute(text("UPDATE bookings SET status = 'cancelled', cancelled_by = 'staff'"))
    db.session.execute(insert, {**values, "user": two.telegram_id, "uid": "b",
                                "starts": "2026-12-02 10:30+02", "ends": "2026-12-02 11:30+02"})
    db.session.commit()


def test_concurrent_repeats_with_one_idempotency_key_make_one_booking(app, frozen_now, make_doctor, make_user):
    doctor = make_doctor()
    patient = make_user()
    arguments = {"user_id": patient.telegram_id, "clinic_id": doctor.clinic_id, "doctor_id": doctor.id,
                 "starts_at": datetime(2026, 12, 2, 10, tzinfo=KYIV), "idempotency_key": "tap-1"}
    outcomes = race(app, [arguments] * 10)
    assert [o for o in outcomes if not isinstance(o, int)] == []
    assert len(set(outcomes)) == 1
    assert db.session.scalar(text("SELECT count(*) FROM bookings")) == 1


@pytest.mark.parametrize(("columns", "constraint"), [
    ({"doctor_id": "own", "diagnostic_id": "offered"}, "ck_bookings_exactly_one_service"),
    ({"doctor_id": None, "diagnostic_id": None}, "ck_bookings_exactly_one_service"),
    ({"doctor_id": "own", "clinic_id": "other"}, "fk_bookings_doctor_at_clinic"),
    ({"diagnostic_id": "offered", "clinic_id": "other"}, "fk_bookings_diagnostic_at_clinic"),
])
def test_postgres_refuses_a_booking_for_the_wrong_service_or_clinic(
    app, frozen_now, make_doctor, make_diagnostic, make_clinic, make_patient, columns, constraint
):
    doctor = make_doctor()
    mri = make_diagnostic(clinics=[doctor.clinic])
    other = make_clinic()
    values = {"doctor_id": None, "diagnostic_id": None, "clinic_id": doctor.clinic_id}
    resolve = {"own": doctor.id, "offered": mri.id, "other": other.id, None: None}
    values.update({name: resolve[value] for name, value in columns.items()})
    statement = text(
        "INSERT INTO bookings (patient_id, clinic_id, doctor_id, diagnostic_id, starts_at, ends_at, status,"
        " patient_first_name, patient_last_name, patient_phone, ical_uid) VALUES (:patient, :clinic_id, :doctor_id,"
        " :diagnostic_id, '2026-12-02 10:00+02', '2026-12-02 11:00+02', 'booked', 'A', 'B', '+1', 'u')"
    )
    with pytest.raises(IntegrityError, match=constraint):
        db.session.execute(statement, {**values, "patient": make_patient().id})


def test_racing_inserts_that_deadlock_in_postgres_end_as_slot_taken(app, frozen_now, make_doctor, make_user):
    """Two sessions each insert a booking and then one overlapping the other's: a real deadlock, one loser."""
    doctor_a, doctor_b = make_doctor(), make_doctor()
    patients = iter([make_user().telegram_id for _ in range(4)])  # created (and committed) up front
    starts = datetime(2026, 12, 2, 10, tzinfo=KYIV)
    first_done, second_done = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def session(name: str, own: object, other: object, mine: threading.Event, theirs: threading.Event) -> None:
        with app.app_context():
            try:
                bookings.book(user_id=next(patients), clinic_id=own.clinic_id, doctor_id=own.id,
                              starts_at=starts, patient=PATIENT)
                mine.set()
                theirs.wait(10)  # both first bookings are in flight, uncommitted
                bookings.book(user_id=next(patients), clinic_id=other.clinic_id, doctor_id=other.id,
                              starts_at=starts, patient=PATIENT)
                db.session.commit()
                outcomes[name] = "committed"
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
                db.session.rollback()
                outcomes[name] = exc
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=session, args=("a", doctor_a, doctor_b, first_done, second_done)),
        threading.Thread(target=session, args=("b", doctor_b, doctor_a, second_done, first_done)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(outcome, SlotTaken) or outcome == "committed" for outcome in outcomes.values()), outcomes
    assert sorted(map(type, outcomes.values()), key=str) == sorted([SlotTaken, str], key=str)

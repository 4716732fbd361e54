"""Retention: nightly, results older than RESULTS_RETENTION are deleted (rows and files), bookings older than
BOOKINGS_RETENTION lose their patient's personal fields, old exports go; in batches; the log says counts only."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, Patient, Result
from medsync.services import bookings, patient_search, patients, results, retention
from tests.conftest import PDF, next_local_slot
from workers.privacy import apply_retention


def _visit_with_result(make_visit, make_doctor, *, content: bytes):
    doctor = make_doctor()
    visit = make_visit(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=1))
    result = results.store_result(visit.id, content=content, file_name="old.pdf", now=visit.starts_at)
    db.session.commit()
    return visit, result


def _age(model, row_id: int, **columns) -> None:
    db.session.execute(update(model).where(model.id == row_id).values(**columns))
    db.session.commit()


def test_old_results_are_deleted_and_old_bookings_anonymised_newer_ones_kept(app, frozen_now, make_visit,
                                                                             make_doctor, caplog):
    old_visit, old_result = _visit_with_result(make_visit, make_doctor, content=PDF + b"old")
    new_visit, new_result = _visit_with_result(make_visit, make_doctor, content=PDF + b"new")
    now = clock.now()
    _age(Result, old_result.id, created_at=now - timedelta(days=5 * 365 + 1))
    _age(Booking, old_visit.id, starts_at=now - timedelta(days=10 * 365 + 2),
         ends_at=now - timedelta(days=10 * 365 + 1))
    old_file, new_file = results.file_path(old_result), results.file_path(new_result)
    old_result_id, new_result_id, old_visit_id, new_visit_id = old_result.id, new_result.id, old_visit.id, new_visit.id

    with caplog.at_level(logging.INFO, logger="workers.privacy"):
        apply_retention()

    db.session.expire_all()
    assert db.session.get(Result, old_result_id) is None and not old_file.exists()
    assert db.session.get(Result, new_result_id) is not None and new_file.exists()
    old, new = db.session.get(Booking, old_visit_id), db.session.get(Booking, new_visit_id)
    assert (old.user_id, old.patient_last_name, old.patient_phone, old.patient_email) == (None, "", "", None)
    assert new.patient_last_name == "Shevchenko" and new.user_id is not None
    assert [record.getMessage() for record in caplog.records if record.name == "workers.privacy"] == [
        "retention: 1 results deleted, 1 bookings anonymised, 0 patients without Telegram anonymised, "
        "0 data exports deleted"]


def test_retention_works_through_a_backlog_in_batches(frozen_now, make_visit, make_doctor):
    visits = [_visit_with_result(make_visit, make_doctor, content=PDF + bytes([number]))[1] for number in range(5)]
    for result in visits:
        _age(Result, result.id, created_at=clock.now() - timedelta(days=6 * 365))

    purged = retention.purge(batch=2)

    assert purged.results == 5
    assert db.session.scalars(select(Result)).all() == []


# --- patients without Telegram ----------------------------------------------------------------------------


def _phone_patient(make_doctor, phone: str, *, years_ago: int, hour: int = 10) -> int:
    """A caller booked by phone whose one visit ended `years_ago` years ago (0: tomorrow's, still ahead)."""
    doctor = make_doctor()
    caller = patients.caller(patients.CallerDetails("Olha", "Kobylianska", phone), region="UA")
    visit = bookings.book(user_id=None, patient_id=caller.id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                          starts_at=next_local_slot(doctor.clinic, hour=hour),
                          patient=bookings.PatientDetails("Olha", "Kobylianska", caller.phone))
    db.session.commit()
    if years_ago:
        long_ago = clock.now() - timedelta(days=365 * years_ago)
        _age(Booking, visit.id, starts_at=long_ago - timedelta(hours=1), ends_at=long_ago)
        _age(Patient, caller.id, created_at=long_ago - timedelta(days=1))
    return caller.id


def test_a_patient_without_telegram_whose_last_visit_is_past_retention_is_anonymised(frozen_now, make_doctor,
                                                                                       make_booking, caplog):
    gone = _phone_patient(make_doctor, "+380671111111", years_ago=11)
    recent = _phone_patient(make_doctor, "+380672222222", years_ago=11, hour=11)
    booked_again = make_booking(patient_id=recent, user=None, patient=bookings.PatientDetails("Olha", "K", "+380672222222"))
    with_telegram = make_booking()  # an old visit of a Telegram user: their patient is theirs to erase
    _age(Booking, with_telegram.id, starts_at=clock.now() - timedelta(days=4016, hours=1),
         ends_at=clock.now() - timedelta(days=4016))

    with caplog.at_level(logging.INFO):
        purged = retention.purge()

    db.session.expire_all()
    assert purged.patients == 1
    emptied = db.session.get(Patient, gone)
    assert (emptied.first_name, emptied.last_name, emptied.email, emptied.phone) == ("", "", None, f"erased:{gone}")
    assert db.session.get(Patient, recent).phone == "+380672222222" and booked_again.patient_id == recent
    assert db.session.get(Patient, with_telegram.patient_id).last_name == "Shevchenko"
    assert patient_search.search("1111", within=None).items == []
    assert "Kobylianska" not in caplog.text and "+38067" not in caplog.text
    assert retention.purge().patients == 0  # nothing left to do: a second night changes nothing


def test_phone_patients_are_anonymised_through_a_backlog_in_batches(frozen_now, make_doctor):
    ids = [_phone_patient(make_doctor, f"+38067{number:07d}", years_ago=12 + number) for number in range(5)]

    purged = retention.purge(batch=2)

    assert purged.patients == 5
    assert db.session.scalars(select(Patient.phone).where(Patient.id.in_(ids)).order_by(Patient.id)).all() == [
        f"erased:{patient_id}" for patient_id in ids]

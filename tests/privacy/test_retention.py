"""Retention: nightly, results older than RESULTS_RETENTION are deleted (rows and files), bookings older than
BOOKINGS_RETENTION lose their patient's personal fields, old exports go; in batches; the log says counts only."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from medsync import clock
from medsync.extensions import db
from medsync.models import Booking, Result
from medsync.services import results, retention
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
        "retention: 1 results deleted, 1 bookings anonymised, 0 data exports deleted"]


def test_retention_works_through_a_backlog_in_batches(frozen_now, make_visit, make_doctor):
    visits = [_visit_with_result(make_visit, make_doctor, content=PDF + bytes([number]))[1] for number in range(5)]
    for result in visits:
        _age(Result, result.id, created_at=clock.now() - timedelta(days=6 * 365))

    purged = retention.purge(batch=2)

    assert purged.results == 5
    assert db.session.scalars(select(Result)).all() == []

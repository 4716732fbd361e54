"""A booking and a schedule change that takes its slot away, on two connections: whichever gets to the clinic's row
first, the other waits for it, and no visit is left on hours that were just removed. The order is made with the
locks themselves (one side holds its transaction open until the other is seen waiting), never with sleeps."""
from __future__ import annotations

import threading
from datetime import time

from flask import Flask
from sqlalchemy import func, select

from medsync.errors import DomainError
from medsync.extensions import db
from medsync.models import Booking, BookingEvent, BookingStatus, OutboxMessage
from medsync.services import bookings, catalog, schedules
from tests.conftest import PATIENT, next_local_slot
from tests.support.locks import wait_until_one_waits_for_a_lock


def in_thread(app: Flask, work) -> tuple[threading.Thread, dict]:
    """Run `work()` on its own connection and commit; its outcome (a value or the exception) in the dict."""
    outcome: dict = {}

    def run() -> None:
        with app.app_context():
            try:
                outcome["value"] = work()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
                db.session.rollback()
                outcome["error"] = exc
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def afternoons_only(doctor) -> list[schedules.WeeklyHours]:
    return [schedules.WeeklyHours(weekday, time(14), time(18)) for weekday in range(1, 7)]


def test_a_booking_checked_on_the_old_hours_waits_for_the_change_and_is_refused(
    app, app_context, frozen_now, make_doctor, make_user,
):
    doctor = make_doctor(appointment_minutes=60)
    user = make_user()
    morning = next_local_slot(doctor.clinic, hour=10)
    catalog.current_catalog()  # the snapshot the booking checks its slot on: the morning is in it

    schedules.replace_hours(doctor.id, afternoons_only(doctor), actor_id="staff:admin")  # flushed, the rows locked
    booking, outcome = in_thread(app, lambda: bookings.book(
        user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id, starts_at=morning,
        patient=PATIENT).id)
    wait_until_one_waits_for_a_lock()
    db.session.commit()
    booking.join(timeout=60)

    assert not booking.is_alive()
    assert isinstance(outcome.get("error"), DomainError) and outcome["error"].http_status == 409, outcome
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_booking_written_first_is_seen_by_the_change_that_waited_and_cancelled(
    app, app_context, frozen_now, make_doctor, make_user,
):
    doctor = make_doctor(appointment_minutes=60)
    user = make_user()
    morning = next_local_slot(doctor.clinic, hour=10)

    booked = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                           starts_at=morning, patient=PATIENT)  # written, not committed: the clinic's row held
    change, outcome = in_thread(app, lambda: schedules.replace_hours(
        doctor.id, afternoons_only(doctor), actor_id="staff:admin").affected)
    wait_until_one_waits_for_a_lock()
    db.session.commit()
    change.join(timeout=60)

    assert not change.is_alive()
    assert outcome.get("value") == [booked.id], outcome
    db.session.expire_all()
    assert db.session.get(Booking, booked.id).status == BookingStatus.CANCELLED.value
    assert db.session.scalar(select(BookingEvent.details).where(
        BookingEvent.booking_id == booked.id, BookingEvent.action == "cancelled"))["schedule_change"]["kind"] == "hours"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.booking_id == booked.id, OutboxMessage.kind == "cancellation")) == 1


"""The nightly no-show marking: visits still booked well past their end become missed, each told and audited."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update

from medsync.extensions import db
from medsync.models import Booking, BookingEvent, OutboxMessage
from medsync.services import maintenance
from tests.support.locks import wait_until_one_waits_for_a_lock
from tests.support.statements import statements_sent

KYIV = ZoneInfo("Europe/Kyiv")
DEC_2_10AM = datetime(2026, 12, 2, 10, tzinfo=KYIV)


def messages(booking_id: int) -> dict[str, tuple[str, str | None]]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booking_id))
    return {row.dedupe_key.split(":", 2)[2]: (row.status, row.last_error) for row in rows}


def test_missed_visits_are_marked_their_unsent_messages_skipped_and_each_audited(frozen_now, make_doctor,
                                                                                  make_booking):
    doctor = make_doctor()
    first = make_booking(doctor=doctor, starts_at=DEC_2_10AM)
    second = make_booking(doctor=doctor, starts_at=DEC_2_10AM + timedelta(hours=1))
    later = make_booking(doctor=doctor, starts_at=DEC_2_10AM + timedelta(days=1))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == f"booking:{first.id}:reminder:24h")
                       .values(status="sent"))
    db.session.commit()
    frozen_now(DEC_2_10AM + timedelta(hours=5))  # both visits ended more than NOSHOW_GRACE ago

    marked = maintenance.mark_noshows()
    db.session.commit()

    assert marked == [first.id, second.id]
    assert [db.session.get(Booking, booking.id).status for booking in (first, second, later)] == [
        "noshow", "noshow", "booked"]
    assert messages(first.id) == {"confirmation": ("skipped", "booking noshow"), "reminder:24h": ("sent", None),
                                  "reminder:2h": ("skipped", "booking noshow")}
    assert {status for status, _ in messages(later.id).values()} == {"pending"}
    events = db.session.execute(select(BookingEvent.booking_id, BookingEvent.actor, BookingEvent.actor_id,
                                       BookingEvent.details).where(BookingEvent.action == "noshow")
                                .order_by(BookingEvent.booking_id)).all()
    assert events == [(first.id, "system", None, {}), (second.id, "system", None, {})]


def test_nothing_is_marked_twice(frozen_now, make_booking):
    make_booking(starts_at=DEC_2_10AM)
    frozen_now(DEC_2_10AM + timedelta(hours=5))
    maintenance.mark_noshows()
    db.session.commit()

    assert maintenance.mark_noshows() == []
    assert db.session.scalar(select(db.func.count()).select_from(BookingEvent)
                             .where(BookingEvent.action == "noshow")) == 1


def test_a_night_of_missed_visits_is_marked_in_three_statements(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    for hour in (9, 10, 11, 12, 14, 15, 16, 17):
        make_booking(doctor=doctor, starts_at=DEC_2_10AM.replace(hour=hour))
    frozen_now(DEC_2_10AM + timedelta(days=1))

    with statements_sent() as statements:
        marked = maintenance.mark_noshows()

    assert len(marked) == 8
    assert [statement.split()[0] for statement, _ in statements] == ["UPDATE", "UPDATE", "INSERT"]


def test_a_visit_the_desk_marks_while_the_night_runs_keeps_the_desks_mark(app, frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_2_10AM)
    frozen_now(DEC_2_10AM + timedelta(hours=5))
    marked: list[int] = []

    def night() -> None:
        with app.app_context():
            marked.extend(maintenance.mark_noshows())
            db.session.commit()
            db.session.remove()

    with db.engine.connect() as desk:
        desk.execute(text("UPDATE bookings SET status = 'arrived' WHERE id = :id"), {"id": booking.id})
        marking = threading.Thread(target=night)
        marking.start()
        wait_until_one_waits_for_a_lock("the night's marking never waited for the desk's change")
        desk.commit()
        marking.join(timeout=30)

    db.session.expire_all()
    assert marked == []
    assert db.session.get(Booking, booking.id).status == "arrived"
    assert db.session.scalar(select(BookingEvent.id).where(BookingEvent.action == "noshow")) is None



"""Schedule changes that take time from booked patients: a dry run names the visits, confirming cancels them by the
clinic (one message each, with ways to book again), in one transaction; bad hours are refused field by field."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from medsync.errors import InvalidRequest
from medsync.extensions import db
from medsync.models import (
    Booking, BookingEvent, ClinicClosure, DayOverride, DoctorAbsence, MessageKind, OutboxMessage, Rota, User,
)
from medsync.services import schedules
from medsync.services.schedules import WeeklyHours

KYIV = ZoneInfo("Europe/Kyiv")
# The frozen clock: Tuesday 1 December 2026, 08:00 in Kyiv; clinics open Mon-Sat 09-18, lunch 13-14.
WEDNESDAY, THURSDAY, FRIDAY = date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)
ADMIN = "staff:1"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), KYIV)


def statuses(*booked: Booking) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Booking, booking.id).status for booking in booked]


def cancellation_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CANCELLATION.value)
                                   .order_by(OutboxMessage.booking_id)))


def test_an_absences_dry_run_names_the_visits_it_takes_and_writes_nothing(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    inside = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    outside = make_booking(doctor=doctor, starts_at=at(FRIDAY, 10))
    colleague = make_booking(doctor=make_doctor(clinic=doctor.clinic), starts_at=at(THURSDAY, 10))

    change = schedules.add_absence(doctor.id, WEDNESDAY, THURSDAY, reason="Illness", actor_id=ADMIN, dry_run=True)
    db.session.commit()

    assert change == schedules.Change(None, [inside.id])
    assert statuses(inside, outside, colleague) == ["booked"] * 3
    assert db.session.scalars(select(DoctorAbsence)).all() == [] and cancellation_messages() == []


def test_confirming_an_absence_cancels_its_visits_by_the_clinic_and_tells_each_patient_once(
    frozen_now, make_doctor, make_booking,
):
    doctor = make_doctor()
    first = make_booking(doctor=doctor, starts_at=at(WEDNESDAY, 10))
    second = make_booking(doctor=doctor, starts_at=at(THURSDAY, 15))
    later = make_booking(doctor=doctor, starts_at=at(FRIDAY, 10))

    change = schedules.add_absence(doctor.id, WEDNESDAY, THURSDAY, reason="Illness", actor_id=ADMIN)
    db.session.commit()

    assert change.affected == [first.id, second.id] and change.id is not None
    assert statuses(first, second, later) == ["cancelled", "cancelled", "booked"]
    cancelled = db.session.get(Booking, first.id)
    assert (cancelled.cancelled_by, cancelled.cancel_reason, cancelled.ical_sequence) == ("staff", "Illness", 1)
    event = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == first.id,
                                                          BookingEvent.action == "cancelled")).one()
    assert (event.actor, event.actor_id) == ("staff", ADMIN)
    assert event.details["schedule_change"]["kind"] == "absence"
    messages = cancellation_messages()
    assert [(message.booking_id, message.chat_id) for message in messages] == [
        (first.id, first.user_id), (second.id, second.user_id)]
    assert messages[0].payload == {"schedule_change": {
        "kind": "absence", "doctor_id": doctor.id, "first_day": "2026-12-02", "last_day": "2026-12-03"}}
    # Recording the same absence again takes nothing more and tells nobody twice.
    assert schedules.add_absence(doctor.id, WEDNESDAY, THURSDAY, reason="Illness", actor_id=ADMIN).affected == []
    db.session.commit()
    assert len(cancellation_messages()) == 2


def test_an_absence_over_200_visits_costs_the_same_statements_as_over_2(frozen_now, make_clinic, make_doctor,
                                                                         make_user, app):
    from medsync.services import bookings
    from tests.conftest import PATIENT

    clinic = make_clinic(weekdays=(1, 2, 3, 4, 5, 6, 7), opens=time(0), closes=time(23), lunch=None)
    few_doctor, many_doctor = make_doctor(clinic=clinic, appointment_minutes=15), make_doctor(clinic=clinic,
                                                                                                appointment_minutes=15)
    users = [make_user() for _ in range(200)]
    for index, user in enumerate(users):
        day = date(2026, 12, 2 + index // 80)
        starts = datetime.combine(day, time(index % 80 // 4, index % 4 * 15), KYIV)
        bookings.book(user_id=user.telegram_id, clinic_id=clinic.id, doctor_id=many_doctor.id, starts_at=starts,
                      patient=PATIENT)
        if index < 2:
            bookings.book(user_id=user.telegram_id, clinic_id=clinic.id, doctor_id=few_doctor.id,
                          starts_at=datetime.combine(day, time(22, index * 15), KYIV), patient=PATIENT)
    db.session.commit()

    def statements_of(doctor) -> tuple[int, int]:
        counted: list[str] = []
        listener = lambda *args: counted.append(args[2])  # noqa: E731 - before_cursor_execute's statement
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            change = schedules.add_absence(doctor.id, date(2026, 12, 2), date(2026, 12, 4), reason="Training",
                                           actor_id=ADMIN)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(change.affected), len(counted)

    few, many = statements_of(few_doctor), statements_of(many_doctor)
    assert few[0] == 2 and many[0] == 200
    assert few[1] == many[1] <= 20  # 17 today: the lock, the write, the schedule read back, the cancellation
    assert len(cancellation_messages()) == 202


def test_a_closure_takes_the_day_from_every_doctor_and_test_of_the_clinic(
    frozen_now, make_clinic, make_doctor, make_diagnostic, make_booking,
):
    clinic = make_clinic()
    doctor, colleague = make_doctor(clinic=clinic), make_doctor(clinic=clinic)
    mri = make_diagnostic(clinics=[clinic], duration_minutes=60)
    elsewhere = make_booking(starts_at=at(THURSDAY, 10))  # another clinic's doctor
    visits = [make_booking(doctor=doctor, starts_at=at(THURSDAY, 10)),
              make_booking(doctor=colleague, starts_at=at(THURSDAY, 11)),
              make_booking(diagnostic_id=mri.id, clinic_id=clinic.id, starts_at=at(THURSDAY, 12))]
    kept = make_booking(doctor=doctor, starts_at=at(FRIDAY, 10))

    change = schedules.add_closure(clinic.id, THURSDAY, reason="Public holiday", actor_id=ADMIN)
    db.session.commit()

    assert change.affected == [visit.id for visit in visits]
    assert statuses(*visits, kept, elsewhere) == ["cancelled"] * 3 + ["booked", "booked"]
    assert db.session.scalars(select(ClinicClosure.last_day)).all() == [THURSDAY]


def test_narrower_hours_cancel_the_visits_outside_them_from_the_day_they_start(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    before = make_booking(doctor=doctor, starts_at=at(WEDNESDAY, 16))
    inside = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    outside = make_booking(doctor=doctor, starts_at=at(THURSDAY, 16))
    weekly = [WeeklyHours(weekday, time(9), time(13)) for weekday in range(1, 6)]

    dry = schedules.replace_hours(doctor.id, weekly, valid_from=THURSDAY, actor_id=ADMIN, dry_run=True)
    assert dry.affected == [outside.id] and db.session.scalars(select(Rota)).all() == []
    change = schedules.replace_hours(doctor.id, weekly, valid_from=THURSDAY, actor_id=ADMIN)
    db.session.commit()

    assert change.affected == [outside.id]
    assert statuses(before, inside, outside) == ["booked", "booked", "cancelled"]
    assert [(rota.valid_from, len(rota.intervals)) for rota in schedules.rotas_of(doctor.id)] == [(THURSDAY, 5)]


def test_new_hours_for_the_same_first_day_replace_the_earlier_ones(frozen_now, make_doctor):
    doctor = make_doctor()
    schedules.replace_hours(doctor.id, [WeeklyHours(1, time(9), time(12))], valid_from=THURSDAY, actor_id=ADMIN)
    schedules.replace_hours(doctor.id, [WeeklyHours(2, time(10), time(12))], valid_from=THURSDAY, actor_id=ADMIN)
    db.session.commit()
    [rota] = schedules.rotas_of(doctor.id)
    assert [(item.weekday, item.starts_at) for item in rota.intervals] == [(2, time(10))]


def test_a_day_off_cancels_that_days_visits_and_removing_it_gives_the_day_back(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    visit = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    change = schedules.add_override(doctor.id, THURSDAY, [], reason="Conference", actor_id=ADMIN)
    db.session.commit()
    assert change.affected == [visit.id]
    override = db.session.get(DayOverride, change.id)
    assert (override.day, override.intervals) == (THURSDAY, [])

    shorter = schedules.add_override(doctor.id, FRIDAY, [(time(9), time(11))], actor_id=ADMIN)
    schedules.remove_override(doctor.id, change.id, actor_id=ADMIN)
    db.session.commit()
    assert [item.day for item in schedules.overrides_of(doctor.id)] == [FRIDAY] and shorter.affected == []


@pytest.mark.parametrize(("weekly", "errors"), [
    ([WeeklyHours(1, time(13), time(9))], {0: {"ends": ["Must be after the start."]}}),
    ([WeeklyHours(1, time(9), time(13)), WeeklyHours(1, time(12), time(15))],
     {1: {"starts": ["Overlaps another interval of the same day."]}}),
    ([WeeklyHours(8, time(9), time(13))], {0: {"weekday": ["Must be an ISO weekday from 1 (Monday) to 7 (Sunday)."]}}),
    ([WeeklyHours(0, time(9), time(13))], {0: {"weekday": ["Must be an ISO weekday from 1 (Monday) to 7 (Sunday)."]}}),
    ([WeeklyHours(2, time(9, 30), time(13))], {0: {"starts": ["Must be on the 60-minute grid (e.g. 09:00)."]}}),
])
def test_bad_hours_are_refused_naming_the_field_and_nothing_is_written(frozen_now, make_doctor, weekly, errors):
    doctor = make_doctor()
    with pytest.raises(InvalidRequest) as refused:
        schedules.replace_hours(doctor.id, weekly, actor_id=ADMIN)
    assert refused.value.errors == {"weekly": errors}
    db.session.rollback()
    assert db.session.scalars(select(Rota)).all() == []


def test_a_30_minute_doctors_hours_may_start_on_the_half_hour(frozen_now, make_doctor):
    doctor = make_doctor(appointment_minutes=30)
    schedules.replace_hours(doctor.id, [WeeklyHours(2, time(9, 30), time(13))], actor_id=ADMIN)
    db.session.commit()
    assert len(schedules.rotas_of(doctor.id)) == 1


def test_an_absence_or_closure_whose_last_day_precedes_its_first_is_refused(frozen_now, make_doctor):
    doctor = make_doctor()
    for write in (lambda: schedules.add_absence(doctor.id, THURSDAY, WEDNESDAY, reason=None, actor_id=ADMIN),
                  lambda: schedules.add_closure(doctor.clinic_id, THURSDAY, WEDNESDAY, reason=None, actor_id=ADMIN)):
        with pytest.raises(InvalidRequest) as refused:
            write()
        assert refused.value.errors == {"last_day": ["Must not be before the first day."]}


def test_the_front_desk_list_holds_the_patients_no_message_reached(frozen_now, make_doctor, make_booking, make_user):
    doctor = make_doctor()
    blocked = make_user()
    reached = make_booking(doctor=doctor, starts_at=at(THURSDAY, 10))
    unreachable = make_booking(doctor=doctor, user=blocked, starts_at=at(THURSDAY, 11))
    db.session.get(User, blocked.telegram_id).reachable = False
    db.session.commit()
    schedules.add_absence(doctor.id, THURSDAY, THURSDAY, reason="Illness", actor_id=ADMIN)
    db.session.commit()

    to_call = schedules.to_call([doctor.clinic_id], since=at(WEDNESDAY, 0))
    assert [visit.booking_id for visit in to_call] == [unreachable.id]
    assert to_call[0].patient_phone == "+380501234567" and to_call[0].cancel_reason == "Illness"
    assert reached.id not in {visit.booking_id for visit in schedules.to_call(None, since=at(WEDNESDAY, 0))}

"""The availability engine: working hours minus breaks, closures, absences, bookings, past and horizon."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from medsync import clock
from medsync.errors import InvalidRequest, SlotTaken, SlotUnavailable
from medsync.extensions import db
from medsync.models import ClinicClosure, DoctorAbsence
from medsync.services import availability, bookings

KYIV = ZoneInfo("Europe/Kyiv")
UTC = timezone.utc


def local_starts(slots, zone=KYIV):
    return [slot.starts_at.astimezone(zone).strftime("%H:%M") for slot in slots]


def free_slots(schedule: availability.Schedule, date_from: date, date_to: date) -> list[availability.Slot]:
    """The free slots as the API answers them: the service's spans, now, in the clinic's zone."""
    free = availability.free_spans(schedule, date_from, date_to, now=clock.now())
    zone = schedule.clinic.zone
    return [availability.Slot(start.astimezone(zone), end.astimezone(zone)) for start, end in free.spans]


def test_a_day_is_working_hours_minus_the_lunch_break(frozen_now, make_doctor):
    doctor = make_doctor()  # Mon-Sat 09-18, lunch 13-14, 60-minute appointments
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 2))
    assert local_starts(slots) == ["09:00", "10:00", "11:00", "12:00", "14:00", "15:00", "16:00", "17:00"]
    assert all(slot.ends_at - slot.starts_at == timedelta(hours=1) for slot in slots)
    assert slots[0].starts_at.utcoffset() == timedelta(hours=2)


def test_slot_length_comes_from_the_doctor(frozen_now, make_doctor):
    doctor = make_doctor(appointment_minutes=30)
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 2))
    assert local_starts(slots)[:3] == ["09:00", "09:30", "10:00"]
    assert len(slots) == 16


def test_closed_weekday_has_no_slots(frozen_now, make_doctor):
    doctor = make_doctor()
    sunday = date(2026, 12, 6)
    assert free_slots(availability.doctor_schedule(doctor.id), sunday, sunday) == []


def test_saturday_is_iso_weekday_6_not_sunday(frozen_now, make_clinic, make_doctor):
    clinic = make_clinic(weekdays=(6,))
    doctor = make_doctor(clinic=clinic)
    schedule = availability.doctor_schedule(doctor.id)
    assert free_slots(schedule, date(2026, 12, 5), date(2026, 12, 5))  # Saturday
    assert free_slots(schedule, date(2026, 12, 6), date(2026, 12, 6)) == []  # Sunday


def test_past_and_minimum_notice_are_excluded(frozen_now, make_doctor):
    frozen_now(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))  # 10:30 in Kyiv; notice 60 min → from 11:30
    doctor = make_doctor()
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 2))
    assert local_starts(slots)[0] == "12:00"


def test_nothing_beyond_the_booking_horizon(frozen_now, make_doctor):
    # Now: 1 December 06:00 UTC; the 60-day horizon ends 30 January 2027 06:00 UTC (08:00 Kyiv), a Saturday.
    doctor = make_doctor()
    schedule = availability.doctor_schedule(doctor.id)
    last_day = free_slots(schedule, date(2027, 1, 29), date(2027, 2, 1))
    assert {slot.starts_at.date() for slot in last_day} == {date(2027, 1, 29)}
    assert free_slots(schedule, date(2027, 2, 1), date(2027, 2, 1)) == []  # an open Monday


def test_clinic_closure_and_doctor_absence_remove_days(frozen_now, make_doctor):
    doctor = make_doctor()
    db.session.add(ClinicClosure(clinic_id=doctor.clinic_id, first_day=date(2026, 12, 2), last_day=date(2026, 12, 2)))
    db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=date(2026, 12, 3), last_day=date(2026, 12, 4)))
    db.session.commit()
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 5))
    assert {slot.starts_at.date() for slot in slots} == {date(2026, 12, 5)}


def test_a_booking_removes_every_slot_it_overlaps(frozen_now, make_doctor, make_booking):
    doctor = make_doctor(appointment_minutes=30)
    make_booking(doctor=doctor, starts_at=datetime(2026, 12, 2, 10, 0, tzinfo=KYIV))
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 2))
    assert "10:00" not in local_starts(slots)
    assert "09:30" in local_starts(slots) and "10:30" in local_starts(slots)


def test_spring_forward_day_keeps_local_hours_with_the_new_offset(frozen_now, make_clinic, make_doctor):
    frozen_now(datetime(2027, 3, 20, 6, tzinfo=UTC))
    clinic = make_clinic(weekdays=(5, 6, 7), opens=time(0), closes=time(6), lunch=None)
    doctor = make_doctor(clinic=clinic)
    schedule = availability.doctor_schedule(doctor.id)
    # Kyiv moves 03:00 → 04:00 on Sunday 28 March 2027: that night has no 03:00.
    slots = free_slots(schedule, date(2027, 3, 28), date(2027, 3, 28))
    assert local_starts(slots) == ["00:00", "01:00", "02:00", "04:00", "05:00"]
    assert slots[0].starts_at.utcoffset() == timedelta(hours=2)
    assert slots[-1].starts_at.utcoffset() == timedelta(hours=3)
    assert slots[2].ends_at.astimezone(UTC) == datetime(2027, 3, 28, 1, tzinfo=UTC)


def test_fall_back_day_offers_each_wall_time_once_with_its_own_offset(frozen_now, make_clinic, make_doctor):
    frozen_now(datetime(2026, 10, 20, 6, tzinfo=UTC))
    clinic = make_clinic(weekdays=(7,), opens=time(0), closes=time(6), lunch=None)
    doctor = make_doctor(clinic=clinic)
    schedule = availability.doctor_schedule(doctor.id)
    # Kyiv moves 04:00 → 03:00 on Sunday 25 October 2026.
    slots = free_slots(schedule, date(2026, 10, 25), date(2026, 10, 25))
    assert local_starts(slots) == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"]
    assert [slot.starts_at.utcoffset() for slot in slots] == [timedelta(hours=3)] * 4 + [timedelta(hours=2)] * 2
    instants = [slot.starts_at.astimezone(UTC) for slot in slots]
    assert len(set(instants)) == len(instants)


def test_same_nine_oclock_across_dst_in_utc(frozen_now, make_doctor):
    frozen_now(datetime(2027, 3, 20, 6, tzinfo=UTC))
    doctor = make_doctor()
    schedule = availability.doctor_schedule(doctor.id)
    before = free_slots(schedule, date(2027, 3, 26), date(2027, 3, 26))[0]
    after = free_slots(schedule, date(2027, 3, 29), date(2027, 3, 29))[0]
    assert before.starts_at.astimezone(UTC).hour == 7 and after.starts_at.astimezone(UTC).hour == 6


def test_clinic_in_a_second_zone_uses_its_own_local_time(frozen_now, make_clinic, make_doctor):
    clinic = make_clinic(timezone_name="Asia/Almaty")
    doctor = make_doctor(clinic=clinic)
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 2))
    first = slots[0].starts_at
    assert first.astimezone(ZoneInfo("Asia/Almaty")).hour == 9
    assert first.astimezone(UTC) == datetime(2026, 12, 2, 4, tzinfo=UTC)


def test_diagnostic_slots_are_per_clinic(frozen_now, make_clinic, make_diagnostic, make_booking, make_user):
    first, second = make_clinic(), make_clinic()
    mri = make_diagnostic(clinics=[first, second], duration_minutes=60)
    from tests.conftest import PATIENT
    starts = datetime(2026, 12, 2, 9, tzinfo=KYIV)
    bookings.book(user_id=make_user().telegram_id, clinic_id=first.id, diagnostic_id=mri.id, starts_at=starts,
                  patient=PATIENT)
    db.session.commit()
    day = date(2026, 12, 2)
    assert "09:00" not in local_starts(free_slots(availability.diagnostic_schedule(mri.id, first.id), day, day))
    assert "09:00" in local_starts(free_slots(availability.diagnostic_schedule(mri.id, second.id), day, day))


def test_slots_restart_after_a_break(frozen_now, make_clinic, make_doctor):
    clinic = make_clinic(lunch=(time(12, 40), time(13, 10)))
    doctor = make_doctor(clinic=clinic, appointment_minutes=45)
    slots = free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 2), date(2026, 12, 2))
    assert local_starts(slots)[:5] == ["09:00", "09:45", "10:30", "11:15", "13:10"]


def test_a_fall_back_hour_slot_can_be_booked_with_a_fixed_offset(frozen_now, make_clinic, make_doctor, make_user):
    from datetime import timezone as tz

    from tests.conftest import PATIENT

    frozen_now(datetime(2026, 10, 20, 6, tzinfo=UTC))
    clinic = make_clinic(weekdays=(7,), opens=time(0), closes=time(6), lunch=None)
    doctor = make_doctor(clinic=clinic)
    # 03:00 in Kyiv happens twice on 25 October 2026; the listed one is the first, at +03:00.
    first_three = datetime(2026, 10, 25, 3, tzinfo=tz(timedelta(hours=3)))
    booking = bookings.book(user_id=make_user().telegram_id, clinic_id=clinic.id, doctor_id=doctor.id,
                            starts_at=first_three, patient=PATIENT)
    assert booking.starts_at.astimezone(UTC) == datetime(2026, 10, 25, 0, tzinfo=UTC)
    # 04:00 on the spring-forward day comes straight after 02:59 (+02:00) and is already +03:00.
    spring = datetime(2027, 3, 28, 4, tzinfo=tz(timedelta(hours=3)))
    frozen_now(datetime(2027, 3, 20, 6, tzinfo=UTC))
    moved = bookings.book(user_id=make_user().telegram_id, clinic_id=clinic.id, doctor_id=doctor.id,
                          starts_at=spring, patient=PATIENT)
    assert moved.ends_at - moved.starts_at == timedelta(hours=1)


def test_check_slot_explains_why_a_time_is_refused(frozen_now, make_doctor, make_booking):
    doctor = make_doctor()
    resource = bookings.resource_of(doctor.clinic_id, doctor.id, None)
    with pytest.raises(SlotUnavailable, match="not take bookings"):
        availability.check_slot(resource, datetime(2026, 12, 2, 13, tzinfo=KYIV))  # lunch
    with pytest.raises(SlotUnavailable, match="not take bookings"):
        availability.check_slot(resource, datetime(2026, 12, 2, 9, 15, tzinfo=KYIV))  # off the grid
    with pytest.raises(SlotUnavailable, match="past"):
        availability.check_slot(resource, datetime(2026, 11, 30, 9, tzinfo=KYIV))
    with pytest.raises(SlotUnavailable, match="at most 60 days"):
        availability.check_slot(resource, datetime(2027, 3, 1, 9, tzinfo=KYIV))
    with pytest.raises(InvalidRequest):
        availability.check_slot(resource, datetime(2026, 12, 2, 9))
    make_booking(doctor=doctor, starts_at=datetime(2026, 12, 2, 9, tzinfo=KYIV))
    with pytest.raises(SlotTaken):
        availability.check_slot(resource, datetime(2026, 12, 2, 9, tzinfo=KYIV))


def test_range_is_capped(frozen_now, make_doctor):
    doctor = make_doctor()
    with pytest.raises(InvalidRequest):
        free_slots(availability.doctor_schedule(doctor.id), date(2026, 12, 1), date(2027, 3, 1))


def test_the_service_and_the_api_cap_a_range_at_the_same_31_days(frozen_now, make_doctor, client):
    doctor = make_doctor()
    schedule = availability.doctor_schedule(doctor.id)
    first = date(2026, 12, 1)

    assert free_slots(schedule, first, first + timedelta(days=30))  # 31 days: fine
    with pytest.raises(InvalidRequest, match="31 days"):
        free_slots(schedule, first, first + timedelta(days=31))
    over = client.get(f"/api/v1/doctors/{doctor.id}/slots?from=2026-12-01&to=2027-01-01")
    assert (over.status_code, over.json["message"]) == (422, "The range is limited to 31 days.")

"""Doctors' and tests' own hours: slots only where the resource works (its rota in force that day, or its day's
override) and the clinic is open; a resource without hours of its own works the clinic's."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from medsync.errors import SlotUnavailable
from medsync.extensions import db
from medsync.models import ClinicClosure, ClinicDiagnostic, DoctorAbsence
from medsync.services import availability, bookings
from tests.conftest import PATIENT
from tests.support.schedules import add_override, add_rota

KYIV = ZoneInfo("Europe/Kyiv")
UTC = timezone.utc
# The frozen clock is Tuesday 1 December 2026; the clinic (make_clinic) is open Mon-Sat 09-18 with lunch 13-14.
MONDAY, TUESDAY, WEDNESDAY = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)


def slots_of(schedule: availability.Schedule, first: date, last: date | None = None) -> dict[date, list[str]]:
    """The free slots by clinic-local day, as "HH:MM" starts."""
    free = availability.free_spans(schedule, first, last or first, now=datetime(2026, 12, 1, 6, tzinfo=UTC))
    zone = schedule.clinic.zone
    days: dict[date, list[str]] = {}
    for start, _ in free.spans:
        local = start.astimezone(zone)
        days.setdefault(local.date(), []).append(local.strftime("%H:%M"))
    return days


def test_a_doctor_with_a_rota_is_offered_only_inside_it_and_the_clinics_hours(frozen_now, make_doctor):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00", "15:00-20:00"], 3: ["12:00-20:00"]})
    week = slots_of(availability.doctor_schedule(doctor.id), MONDAY, MONDAY + timedelta(days=6))
    assert week == {
        MONDAY: ["09:00", "10:00", "11:00", "15:00", "16:00", "17:00"],  # the clinic closes at 18:00
        WEDNESDAY: ["12:00", "14:00", "15:00", "16:00", "17:00"],  # and lunches 13-14
    }


def test_a_doctor_without_a_rota_works_the_clinics_hours(frozen_now, make_doctor):
    doctor = make_doctor()
    other = make_doctor(clinic=doctor.clinic)
    add_rota(doctor_id=other.id, week={1: ["09:00-10:00"]})
    assert slots_of(availability.doctor_schedule(doctor.id), TUESDAY)[TUESDAY] == [
        "09:00", "10:00", "11:00", "12:00", "14:00", "15:00", "16:00", "17:00"]


def test_a_later_rota_takes_over_on_its_first_day(frozen_now, make_doctor):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-11:00"], 2: ["09:00-11:00"]}, valid_from=date(2026, 11, 1))
    add_rota(doctor_id=doctor.id, week={2: ["15:00-17:00"]}, valid_from=TUESDAY)
    days = slots_of(availability.doctor_schedule(doctor.id), MONDAY, TUESDAY)
    assert days == {MONDAY: ["09:00", "10:00"], TUESDAY: ["15:00", "16:00"]}


def test_before_its_first_rota_a_doctor_works_the_clinics_hours(frozen_now, make_doctor):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={3: ["09:00-10:00"]}, valid_from=WEDNESDAY)
    days = slots_of(availability.doctor_schedule(doctor.id), TUESDAY, WEDNESDAY)
    assert len(days[TUESDAY]) == 8 and days[WEDNESDAY] == ["09:00"]


def test_a_day_override_replaces_the_rota_that_day_and_an_empty_one_is_a_day_off(frozen_now, make_doctor):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00"], 2: ["09:00-12:00"], 3: ["09:00-12:00"]})
    add_override(doctor_id=doctor.id, day=MONDAY, texts=["16:00-19:00"])
    add_override(doctor_id=doctor.id, day=TUESDAY, texts=[])
    days = slots_of(availability.doctor_schedule(doctor.id), MONDAY, WEDNESDAY)
    assert days == {MONDAY: ["16:00", "17:00"], WEDNESDAY: ["09:00", "10:00", "11:00"]}


def test_closures_and_absences_win_over_any_rota_or_override(frozen_now, make_doctor):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00"], 2: ["09:00-12:00"]})
    add_override(doctor_id=doctor.id, day=MONDAY, texts=["09:00-10:00"])
    db.session.add(ClinicClosure(clinic_id=doctor.clinic_id, first_day=MONDAY, last_day=MONDAY))
    db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=TUESDAY, last_day=TUESDAY))
    db.session.commit()
    assert slots_of(availability.doctor_schedule(doctor.id), MONDAY, TUESDAY) == {}


def test_booking_a_time_the_doctor_does_not_work_is_refused_like_closed_hours(frozen_now, make_doctor, make_user):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00"]})
    with pytest.raises(SlotUnavailable, match="does not take bookings"):
        bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                      starts_at=datetime.combine(TUESDAY, time(10), KYIV), patient=PATIENT)
    booked = bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                           starts_at=datetime.combine(MONDAY, time(10), KYIV), patient=PATIENT)
    assert booked.id is not None


def test_the_api_refuses_a_time_outside_the_doctors_hours_with_409(client, frozen_now, make_doctor, tma_headers):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00"]})
    body = {"doctor_id": doctor.id, "clinic_id": doctor.clinic_id,
            "starts_at": datetime.combine(MONDAY, time(14), KYIV).isoformat(),
            "patient": {"first_name": "Taras", "last_name": "Shevchenko", "phone": "+380501234567"}}
    refused = client.post("/api/v1/bookings", json=body, headers=tma_headers())
    assert refused.status_code == 409
    assert "does not take bookings" in refused.get_json()["message"]
    body["starts_at"] = datetime.combine(MONDAY, time(11), KYIV).isoformat()
    assert client.post("/api/v1/bookings", json=body, headers=tma_headers()).status_code == 201


def test_the_original_front_ends_taken_hours_list_the_hours_the_doctor_does_not_work(client, frozen_now, make_doctor):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00"]})
    taken = client.get(f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}/11").get_json()  # December
    monday = {instant for instant in taken if instant.startswith(MONDAY.isoformat())}
    assert monday == {f"{MONDAY.isoformat()}T{hour}:00:00+02:00" for hour in (12, 13, 14, 15, 16, 17)}
    assert sum(instant.startswith(TUESDAY.isoformat()) for instant in taken) == 9  # 09-17 (lunch too)


def test_own_hours_keep_their_wall_times_across_a_dst_change(frozen_now, make_clinic, make_doctor):
    frozen_now(datetime(2027, 3, 20, 6, tzinfo=UTC))
    clinic = make_clinic(weekdays=(5, 6, 7), opens=time(0), closes=time(12), lunch=None)
    doctor = make_doctor(clinic=clinic)
    add_rota(doctor_id=doctor.id, week={5: ["02:00-06:00"], 7: ["02:00-06:00"]})
    spring = date(2027, 3, 28)  # Kyiv skips 03:00-04:00 that night
    free = availability.free_spans(availability.doctor_schedule(doctor.id), date(2027, 3, 26), spring,
                                   now=datetime(2027, 3, 20, 6, tzinfo=UTC))
    local = [start.astimezone(KYIV) for start, _ in free.spans]
    assert [(moment.day, moment.strftime("%H:%M%z")) for moment in local] == [
        (26, "02:00+0200"), (26, "03:00+0200"), (26, "04:00+0200"), (26, "05:00+0200"),
        (28, "02:00+0200"), (28, "04:00+0300"), (28, "05:00+0300"),
    ]


def test_a_test_has_its_own_days_hours_and_duration_at_each_clinic(frozen_now, make_clinic, make_diagnostic,
                                                                   make_user):
    first, second = make_clinic(), make_clinic()
    mri = make_diagnostic(clinics=[first, second], duration_minutes=60)
    db.session.get(ClinicDiagnostic, (first.id, mri.id)).duration_minutes = 30
    db.session.commit()
    add_rota(clinic_id=first.id, diagnostic_id=mri.id, week={1: ["10:00-11:00"]})
    here = slots_of(availability.diagnostic_schedule(mri.id, first.id), MONDAY, TUESDAY)
    there = slots_of(availability.diagnostic_schedule(mri.id, second.id), MONDAY, MONDAY)
    assert here == {MONDAY: ["10:00", "10:30"]}
    assert len(there[MONDAY]) == 8
    booked = bookings.book(user_id=make_user().telegram_id, clinic_id=first.id, diagnostic_id=mri.id,
                           starts_at=datetime.combine(MONDAY, time(10, 30), KYIV), patient=PATIENT)
    assert booked.ends_at - booked.starts_at == timedelta(minutes=30)
    with pytest.raises(SlotUnavailable):
        bookings.book(user_id=make_user().telegram_id, clinic_id=first.id, diagnostic_id=mri.id,
                      starts_at=datetime.combine(TUESDAY, time(10), KYIV), patient=PATIENT)


def test_a_rota_written_in_the_open_transaction_is_what_the_booking_check_sees(frozen_now, make_doctor, make_user):
    doctor = make_doctor()
    user = make_user()
    slot = datetime.combine(TUESDAY, time(10), KYIV)
    availability.doctor_schedule(doctor.id)  # the snapshot is loaded
    from medsync.models import Rota, RotaInterval
    db.session.add(Rota(doctor_id=doctor.id, valid_from=date(2026, 1, 1),
                        intervals=[RotaInterval(weekday=1, starts_at=time(9), ends_at=time(12))]))
    db.session.flush()
    with pytest.raises(SlotUnavailable):
        bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id, starts_at=slot,
                      patient=PATIENT)
    db.session.rollback()


def test_free_slots_follow_a_rota_the_moment_it_commits(client, frozen_now, make_doctor):
    doctor = make_doctor()
    path = f"/api/v1/doctors/{doctor.id}/slots?from={MONDAY}&to={TUESDAY}"
    assert len(client.get(path).get_json()) == 16  # cached now
    add_rota(doctor_id=doctor.id, week={1: ["09:00-10:00"]})
    assert [slot["starts_at"] for slot in client.get(path).get_json()] == [f"{MONDAY}T09:00:00+02:00"]


def test_a_month_of_free_slots_from_a_rota_costs_one_query_once_the_catalog_is_loaded(
    client, frozen_now, make_doctor, make_booking, count_queries,
):
    doctor = make_doctor()
    add_rota(doctor_id=doctor.id, week={1: ["09:00-12:00"], 3: ["12:00-18:00"]}, valid_from=date(2026, 11, 1))
    add_rota(doctor_id=doctor.id, week={2: ["09:00-12:00"]}, valid_from=date(2026, 12, 20))
    add_override(doctor_id=doctor.id, day=WEDNESDAY, texts=["15:00-16:00"])
    path = f"/api/v1/doctors/{doctor.id}/slots?from=2026-12-01&to=2026-12-31"
    client.get(path)
    make_booking(doctor=doctor, starts_at=datetime.combine(MONDAY, time(10), KYIV))  # the cached answer is dead
    with count_queries() as queries:
        starts = [slot["starts_at"] for slot in client.get(path).get_json()]
    assert len(queries) == 1
    assert f"{MONDAY}T10:00:00+02:00" not in starts and f"{MONDAY}T11:00:00+02:00" in starts
    assert [start for start in starts if start.startswith(str(WEDNESDAY))] == [f"{WEDNESDAY}T15:00:00+02:00"]
    assert "2026-12-22T09:00:00+02:00" in starts and "2026-12-21T09:00:00+02:00" not in starts

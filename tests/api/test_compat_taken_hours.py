"""GET /api/slots/...: the original front end's month lists exactly the whole hours the server would refuse.

That front end builds one-hour starts from /api/working_hours (start_time up to end_time, every day
of the month) and drops the listed ones by instant; whatever it keeps, the patient may choose. So each
test below asks the server, through `availability.check_slot`, about every whole hour the front end
offers in the month and compares: listed ⇔ refused.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from medsync.errors import SlotTaken, SlotUnavailable
from medsync.extensions import db
from medsync.models import ClinicClosure, Doctor, DoctorAbsence
from medsync.services import availability, bookings
from medsync.services.availability import Resource

KYIV = ZoneInfo("Europe/Kyiv")
UTC = timezone.utc


def kyiv(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=KYIV)


def offered_starts(client, clinic_id: int, first_day: date, zone: ZoneInfo) -> list[datetime]:
    """The front end's hours: each published weekday's whole hours, as wall times that exist (first occurrence)."""
    week = {row["weekday_index"]: range(row["start_time"], row["end_time"])
            for row in client.get(f"/api/working_hours/{clinic_id}").get_json()}
    starts, day = [], first_day
    while day.month == first_day.month:
        for hour in week.get(day.isoweekday() % 7, ()):
            local = datetime.combine(day, time(hour))
            starts_at = local.replace(tzinfo=zone)  # fold=0: a repeated hour's first occurrence
            if starts_at.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local:  # else skipped by DST
                starts.append(starts_at)
        day += timedelta(days=1)
    return starts


def refused(resource: Resource, starts: list[datetime]) -> list[str]:
    answers = []
    for starts_at in starts:
        try:
            availability.check_slot(resource, starts_at)
        except (SlotUnavailable, SlotTaken):
            answers.append(starts_at.isoformat())
    return answers


def listed_exactly_the_refused(client, path: str, resource: Resource, first_day: date) -> set[str]:
    """GET the month at `path`, assert it is exactly the refused offered hours, and return it."""
    clinic = resource.clinic
    listed = client.get(f"{path}/{first_day.month - 1}").get_json()
    assert listed == refused(resource, offered_starts(client, clinic.id, first_day, clinic.zone))
    return set(listed)


def doctor_path(doctor: Doctor) -> str:
    return f"/api/slots/doctors/{doctor.id}/{doctor.clinic_id}"


def close(clinic_id: int, first_day: date, last_day: date | None = None, *, doctor_id: int | None = None) -> None:
    if doctor_id is None:
        db.session.add(ClinicClosure(clinic_id=clinic_id, first_day=first_day, last_day=last_day or first_day))
    else:
        db.session.add(DoctorAbsence(doctor_id=doctor_id, first_day=first_day, last_day=last_day or first_day))
    db.session.commit()


def test_a_month_lists_past_notice_lunch_closure_absence_and_bookings(
    client, frozen_now: Callable[[datetime], None], make_clinic, make_doctor, make_booking
):
    frozen_now(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # Tuesday 10:30 in Kyiv
    clinic = make_clinic()  # Monday to Saturday 09-18, lunch 13-14
    doctor = make_doctor(clinic=clinic, appointment_minutes=30)
    make_booking(doctor=doctor, starts_at=kyiv(2026, 12, 2, 11, 30))  # booked on the half-hour grid …
    doctor.appointment_minutes = 60  # … which is hourly now: 11:00-12:00 overlaps it
    db.session.commit()
    make_booking(doctor=doctor, starts_at=kyiv(2026, 12, 3, 10))
    close(clinic.id, date(2026, 12, 8))
    close(clinic.id, date(2026, 12, 15), date(2026, 12, 16), doctor_id=doctor.id)

    listed = listed_exactly_the_refused(client, doctor_path(doctor), bookings.resource_of(doctor.clinic_id, doctor.id, None),
                                        date(2026, 12, 1))

    assert {
        "2026-12-01T10:00:00+02:00",  # passed
        "2026-12-01T11:00:00+02:00",  # within the hour of notice
        "2026-12-02T11:00:00+02:00",  # overlaps the 11:30 booking
        "2026-12-02T13:00:00+02:00",  # lunch
        "2026-12-03T10:00:00+02:00",  # booked
        "2026-12-08T09:00:00+02:00",  # clinic closed
        "2026-12-16T17:00:00+02:00",  # doctor away
    } <= listed
    assert not {"2026-12-01T12:00:00+02:00", "2026-12-02T12:00:00+02:00", "2026-12-31T17:00:00+02:00"} & listed


def test_a_month_crossing_the_horizon_lists_every_hour_past_it(
    client, frozen_now: Callable[[datetime], None], make_clinic, make_doctor
):
    frozen_now(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # the 60-day horizon: Saturday 30 January, 10:30 Kyiv
    doctor = make_doctor(clinic=make_clinic())

    listed = listed_exactly_the_refused(client, doctor_path(doctor), bookings.resource_of(doctor.clinic_id, doctor.id, None),
                                        date(2027, 1, 1))

    assert "2027-01-30T10:00:00+02:00" not in listed and "2027-01-29T17:00:00+02:00" not in listed
    assert {"2027-01-30T11:00:00+02:00", "2027-01-30T12:00:00+02:00"} <= listed


def test_a_half_hour_doctor_keeps_an_hour_whose_first_half_is_free(
    client, frozen_now: Callable[[datetime], None], make_clinic, make_doctor, make_booking
):
    doctor = make_doctor(clinic=make_clinic(), appointment_minutes=30)
    make_booking(doctor=doctor, starts_at=kyiv(2026, 12, 2, 10, 30))
    make_booking(doctor=doctor, starts_at=kyiv(2026, 12, 2, 15))

    listed = listed_exactly_the_refused(client, doctor_path(doctor), bookings.resource_of(doctor.clinic_id, doctor.id, None),
                                        date(2026, 12, 1))

    # The front end books 10:00 as the doctor's 10:00-10:30 appointment, which is free.
    assert "2026-12-02T10:00:00+02:00" not in listed and "2026-12-02T15:00:00+02:00" in listed


def test_a_diagnostic_lists_the_whole_hours_off_its_own_grid(
    client, frozen_now: Callable[[datetime], None], make_clinic, make_diagnostic
):
    clinic = make_clinic()
    scan = make_diagnostic(clinics=[clinic], duration_minutes=45)  # 09:00, 09:45, 10:30, 11:15, 12:00, 14:00 …

    listed = listed_exactly_the_refused(client, f"/api/slots/diagnostics/{scan.id}/{clinic.id}",
                                        bookings.resource_of(clinic.id, None, scan.id), date(2026, 12, 1))

    wednesday = {f"2026-12-02T{hour:02d}:00:00+02:00" for hour in range(9, 18)}
    assert wednesday & listed == {f"2026-12-02T{hour:02d}:00:00+02:00" for hour in (10, 11, 13, 15, 16)}


def test_spring_forward_has_no_skipped_hour_and_the_new_offset_after_it(
    client, frozen_now: Callable[[datetime], None], make_clinic, make_doctor, make_booking
):
    frozen_now(datetime(2027, 3, 10, 6, tzinfo=UTC))
    clinic = make_clinic(weekdays=(1, 2, 3, 4, 5, 6, 7), opens=time(0), closes=time(6), lunch=None)
    doctor = make_doctor(clinic=clinic)
    make_booking(doctor=doctor, starts_at=kyiv(2027, 3, 28, 4))  # Kyiv skips 03:00 that night

    listed = listed_exactly_the_refused(client, doctor_path(doctor), bookings.resource_of(doctor.clinic_id, doctor.id, None),
                                        date(2027, 3, 1))

    assert not any(start.startswith("2027-03-28T03:") for start in listed)
    assert "2027-03-28T04:00:00+03:00" in listed and "2027-03-01T00:00:00+02:00" in listed  # booked; passed
    assert not {"2027-03-28T02:00:00+02:00", "2027-03-28T05:00:00+03:00"} & listed


def test_fall_back_lists_a_repeated_hour_once_at_its_first_occurrence(
    client, frozen_now: Callable[[datetime], None], make_clinic, make_doctor, make_booking
):
    frozen_now(datetime(2026, 10, 20, 6, tzinfo=UTC))
    clinic = make_clinic(weekdays=(7,), opens=time(0), closes=time(6), lunch=None)
    doctor = make_doctor(clinic=clinic)
    make_booking(doctor=doctor, starts_at=kyiv(2026, 10, 25, 3))  # Kyiv has 03:00 twice that night; fold=0 first

    listed = listed_exactly_the_refused(client, doctor_path(doctor), bookings.resource_of(doctor.clinic_id, doctor.id, None),
                                        date(2026, 10, 1))

    assert [start for start in listed if start.startswith("2026-10-25")] == ["2026-10-25T03:00:00+03:00"]


def test_the_seeded_warsaw_clinic_lists_its_new_years_eve_closure(client, seeded):
    doctor = db.session.scalar(select(Doctor).where(Doctor.slug == "marek-kowalczyk"))

    listed = listed_exactly_the_refused(client, doctor_path(doctor), bookings.resource_of(doctor.clinic_id, doctor.id, None),
                                        date(2026, 12, 1))

    assert "2026-12-31T08:00:00+01:00" in listed and "2026-12-30T08:00:00+01:00" not in listed

"""The booking service: book, cancel, reschedule, status changes — each with its events and outbox rows."""
from __future__ import annotations

import inspect
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from medsync.errors import CancelTooLate, IllegalTransition, InvalidRequest, SlotTaken, SlotUnavailable
from medsync.extensions import db
from medsync.models import Actor, Booking, BookingEvent, BookingStatus, DoctorAbsence, OutboxMessage
from medsync.services import bookings, results
from tests.conftest import FROZEN_NOW, PATIENT

KYIV = ZoneInfo("Europe/Kyiv")
DEC_3_10AM = datetime(2026, 12, 3, 10, tzinfo=KYIV)


def messages(booking_id: int) -> dict[str, str]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booking_id))
    return {row.dedupe_key.split(":", 2)[2]: row.status for row in rows}


def actions(booking_id: int) -> list[str]:
    return list(db.session.scalars(
        select(BookingEvent.action).where(BookingEvent.booking_id == booking_id).order_by(BookingEvent.id)
    ))


def test_booking_writes_the_event_the_confirmation_and_a_reminder_per_offset(frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_3_10AM)
    assert booking.status == "booked"
    assert booking.ends_at - booking.starts_at == timedelta(hours=1)
    assert messages(booking.id) == {"confirmation": "pending", "reminder:24h": "pending", "reminder:2h": "pending"}
    reminder = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("%reminder:24h")))
    assert reminder.due_at == DEC_3_10AM - timedelta(hours=24)
    assert reminder.chat_id == booking.user_id
    assert actions(booking.id) == ["booked"]


def test_reminders_already_past_are_not_written(frozen_now, make_booking):
    # Now is 08:00 Kyiv on 1 December; a 12:00 visit the same day is 4 hours away: only the 2h reminder.
    booking = make_booking(starts_at=datetime(2026, 12, 1, 12, tzinfo=KYIV))
    assert set(messages(booking.id)) == {"confirmation", "reminder:2h"}


def test_the_same_idempotency_key_returns_the_first_booking(frozen_now, make_booking, make_user, make_doctor):
    user, doctor = make_user(), make_doctor()
    first = make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM, idempotency_key="k-1")
    again = make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM.astimezone(timezone.utc),
                         idempotency_key="k-1")
    assert again.id == first.id
    with pytest.raises(InvalidRequest, match="different booking"):
        make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM + timedelta(hours=1), idempotency_key="k-1")
    db.session.rollback()
    assert db.session.scalar(select(Booking.id).where(Booking.id != first.id)) is None


def test_a_doctor_is_booked_only_at_their_own_clinic(frozen_now, make_doctor, make_clinic, make_user):
    doctor, elsewhere = make_doctor(), make_clinic()
    with pytest.raises(InvalidRequest, match="does not work at this clinic"):
        bookings.book(user_id=make_user().telegram_id, clinic_id=elsewhere.id, doctor_id=doctor.id,
                      starts_at=DEC_3_10AM, patient=PATIENT)


def test_exactly_one_of_doctor_or_diagnostic(frozen_now, make_user, make_clinic):
    with pytest.raises(InvalidRequest):
        bookings.book(user_id=make_user().telegram_id, clinic_id=make_clinic().id, starts_at=DEC_3_10AM,
                      patient=PATIENT)


def test_outside_availability_is_refused(frozen_now, make_doctor, make_user):
    doctor = make_doctor()
    with pytest.raises(SlotUnavailable):
        bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                      starts_at=datetime(2026, 12, 3, 13, tzinfo=KYIV), patient=PATIENT)


def test_patient_cancels_skips_pending_reminders_and_queues_a_notice(frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_3_10AM)
    bookings.cancel(booking.id, user_id=booking.user_id, reason="feeling better")
    db.session.commit()
    db.session.refresh(booking)
    assert (booking.status, booking.cancelled_by, booking.cancel_reason) == ("cancelled", "patient", "feeling better")
    assert messages(booking.id) == {
        "confirmation": "skipped", "reminder:24h": "skipped", "reminder:2h": "skipped", "cancellation": "pending",
    }
    assert actions(booking.id) == ["booked", "cancelled"]


def test_patient_cannot_cancel_inside_the_cutoff_but_staff_can(frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_3_10AM)
    frozen_now(DEC_3_10AM - timedelta(minutes=90))
    with pytest.raises(CancelTooLate):
        bookings.cancel(booking.id, user_id=booking.user_id)
    db.session.rollback()
    bookings.cancel_by_staff(booking.id, actor_id="front desk", reason="doctor ill")
    db.session.commit()
    assert db.session.get(Booking, booking.id).status == "cancelled"


def test_someone_elses_booking_cannot_be_cancelled(frozen_now, make_booking, make_user):
    booking = make_booking(starts_at=DEC_3_10AM)
    stranger = make_user()
    with pytest.raises(bookings.BookingNotFound):
        bookings.cancel(booking.id, user_id=stranger.telegram_id)


@pytest.mark.parametrize("patient_function", [
    bookings.cancel, bookings.reschedule, bookings.confirm_attendance, bookings.get_booking, results.get_result,
])
def test_every_patient_path_requires_the_owner(patient_function):
    owner = inspect.signature(patient_function).parameters["user_id"]
    assert owner.default is inspect.Parameter.empty
    assert owner.annotation == "int"  # not "int | None": there is no "don't check" value


def test_a_patient_cannot_cancel_through_the_staff_paths(frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_3_10AM)
    with pytest.raises(ValueError, match="cancel\\(\\) or reschedule\\(\\)"):
        bookings.change_status(booking.id, BookingStatus.CANCELLED, actor=Actor.PATIENT)
    with pytest.raises(ValueError):
        bookings.cancel_by_staff(booking.id, actor=Actor.PATIENT, actor_id=str(booking.user_id))
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "booked"


def test_staff_see_any_booking_and_a_patient_only_their_own(frozen_now, make_booking, make_user):
    booking = make_booking(starts_at=DEC_3_10AM)
    assert bookings.get_booking_for_staff(booking.id).id == booking.id
    assert bookings.get_booking(booking.id, user_id=booking.user_id).id == booking.id
    with pytest.raises(bookings.BookingNotFound):
        bookings.get_booking(booking.id, user_id=make_user().telegram_id)


def test_a_doctor_away_that_day_is_not_booked_and_nothing_is_written(frozen_now, make_doctor, make_user):
    doctor, user = make_doctor(), make_user()
    db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=date(2026, 12, 3), last_day=date(2026, 12, 3)))
    db.session.commit()
    with pytest.raises(SlotUnavailable):
        bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                      starts_at=DEC_3_10AM, patient=PATIENT)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The next day the doctor is back.
    booking = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=DEC_3_10AM + timedelta(days=1), patient=PATIENT)
    assert booking.starts_at == DEC_3_10AM + timedelta(days=1)


def test_a_repeated_idempotency_key_answers_its_booking_even_once_the_doctor_is_away_that_day(
    frozen_now, make_booking, make_user, make_doctor
):
    user, doctor = make_user(), make_doctor()
    first = make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM, idempotency_key="k-1")
    db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=date(2026, 12, 3), last_day=date(2026, 12, 3)))
    db.session.commit()
    again = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                          starts_at=DEC_3_10AM, patient=PATIENT, idempotency_key="k-1")
    assert again.id == first.id
    with pytest.raises(SlotUnavailable):  # without the key it is a new request, refused
        bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                      starts_at=DEC_3_10AM + timedelta(hours=1), patient=PATIENT)


def test_a_booking_is_returned_as_written_with_its_trail_and_messages(frozen_now, make_doctor, make_user):
    doctor, user = make_doctor(), make_user()
    booking = bookings.book(user_id=user.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=DEC_3_10AM, patient=PATIENT, actor=Actor.STAFF, actor_id="staff:7")
    returned = {column: getattr(booking, column) for column in (
        "id", "user_id", "clinic_id", "doctor_id", "diagnostic_id", "starts_at", "ends_at", "status",
        "patient_first_name", "patient_last_name", "patient_phone", "patient_email", "patient_message",
        "ical_uid", "ical_sequence", "rescheduled_from_id", "cancel_reason", "cancelled_by")}
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Booking, returned["id"])
    assert returned == {column: getattr(stored, column) for column in returned}
    assert stored.created_at is not None and booking.doctor.id == doctor.id  # the rest loads when read
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.booking_id == stored.id))
    assert (event.actor, event.actor_id, event.action, event.details) == (
        "staff", "staff:7", "booked", {"starts_at": DEC_3_10AM.isoformat()})
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == stored.id)
                              .order_by(OutboxMessage.due_at)).all()
    assert [(row.kind, row.dedupe_key, row.chat_id, row.payload, row.due_at, row.status) for row in rows] == [
        ("confirmation", f"booking:{stored.id}:confirmation", user.telegram_id, {}, FROZEN_NOW, "pending"),
        ("reminder", f"booking:{stored.id}:reminder:24h", user.telegram_id, {"offset": "24h"},
         DEC_3_10AM - timedelta(hours=24), "pending"),
        ("reminder", f"booking:{stored.id}:reminder:2h", user.telegram_id, {"offset": "2h"},
         DEC_3_10AM - timedelta(hours=2), "pending"),
    ]


def test_reschedule_books_new_cancels_old_and_links_them(frozen_now, make_booking):
    old = make_booking(starts_at=DEC_3_10AM)
    new = bookings.reschedule(old.id, starts_at=DEC_3_10AM + timedelta(days=1),
                              user_id=old.user_id)
    db.session.commit()
    db.session.refresh(old)
    assert old.status == "cancelled" and old.cancel_reason == "rescheduled"
    assert new.rescheduled_from_id == old.id
    assert (new.ical_uid, new.ical_sequence) == (old.ical_uid, old.ical_sequence + 1)
    assert messages(old.id) == {"confirmation": "skipped", "reminder:24h": "skipped", "reminder:2h": "skipped"}
    assert set(messages(new.id)) == {"confirmation", "reminder:24h", "reminder:2h"}
    assert actions(old.id) == ["booked", "cancelled", "rescheduled"]


def test_reschedule_may_move_into_an_overlapping_time(frozen_now, make_booking, make_doctor):
    doctor = make_doctor(appointment_minutes=30)
    old = make_booking(doctor=doctor, starts_at=DEC_3_10AM)
    new = bookings.reschedule(old.id, starts_at=DEC_3_10AM + timedelta(minutes=30),
                              user_id=old.user_id)
    assert new.starts_at == DEC_3_10AM + timedelta(minutes=30)


def test_a_failed_reschedule_changes_nothing(frozen_now, make_booking, make_doctor, make_user):
    doctor = make_doctor()
    old = make_booking(doctor=doctor, starts_at=DEC_3_10AM)
    make_booking(doctor=doctor, user=make_user(), starts_at=DEC_3_10AM + timedelta(hours=1))
    with pytest.raises(SlotTaken):
        bookings.reschedule(old.id, starts_at=DEC_3_10AM + timedelta(hours=1),
                            user_id=old.user_id)
    db.session.commit()
    db.session.refresh(old)
    assert old.status == "booked"
    assert messages(old.id)["reminder:24h"] == "pending"


@pytest.mark.parametrize(("path", "refused", "told"), [
    ([BookingStatus.ARRIVED, BookingStatus.FULFILLED], BookingStatus.BOOKED,
     "This visit is completed, so it cannot be booked again."),
    ([BookingStatus.ARRIVED], BookingStatus.NOSHOW,
     "This visit is marked as arrived, so it cannot be marked as missed."),  # a mark taken back: test_front_desk_api
    ([BookingStatus.ARRIVED], BookingStatus.CANCELLED, "This visit is marked as arrived, so it cannot be cancelled."),
    ([BookingStatus.CANCELLED], BookingStatus.ARRIVED, "This booking is already cancelled."),
    ([BookingStatus.ARRIVED], BookingStatus.ARRIVED, "This visit is already marked as arrived."),
    ([BookingStatus.NOSHOW], BookingStatus.NOSHOW, "This visit is already marked as missed."),
    ([], BookingStatus.FULFILLED, "This visit is still booked: mark the patient as arrived before completing it."),
])
def test_status_moves_forward_only_and_a_refusal_says_why_in_words(frozen_now, make_booking, path, refused, told):
    booking = make_booking(starts_at=DEC_3_10AM)
    frozen_now(DEC_3_10AM + timedelta(minutes=5))
    for status in path:
        bookings.change_status(booking.id, status, actor=Actor.STAFF, actor_id="nurse")
    db.session.commit()
    with pytest.raises(IllegalTransition) as refusal:
        bookings.change_status(booking.id, refused, actor=Actor.STAFF, actor_id="nurse")
    assert refusal.value.message == told
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == (path[-1] if path else BookingStatus.BOOKED).value
    assert actions(booking.id)[1:] == [status.value for status in path]


def test_arrival_and_noshow_wait_for_the_visit(frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_3_10AM)
    with pytest.raises(IllegalTransition, match="day of the visit"):
        bookings.change_status(booking.id, BookingStatus.ARRIVED, actor=Actor.STAFF)
    with pytest.raises(IllegalTransition, match="missed only once it was due to start"):
        bookings.change_status(booking.id, BookingStatus.NOSHOW, actor=Actor.STAFF)
    db.session.rollback()
    frozen_now(DEC_3_10AM - timedelta(hours=2))  # the morning of the visit
    bookings.change_status(booking.id, BookingStatus.ARRIVED, actor=Actor.STAFF, actor_id="reception")
    db.session.commit()
    assert db.session.get(Booking, booking.id).status == "arrived"


def test_the_database_refuses_a_backward_status_move(frozen_now, make_booking):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    booking = make_booking(starts_at=DEC_3_10AM)
    bookings.cancel(booking.id, user_id=booking.user_id)
    db.session.commit()
    with pytest.raises(IntegrityError, match="cannot move from cancelled to booked"):
        db.session.execute(text("UPDATE bookings SET status = 'booked', cancelled_by = NULL WHERE id = :id"),
                           {"id": booking.id})


def test_staff_bookings_are_attributed_in_the_trail(frozen_now, make_user, make_doctor):
    doctor = make_doctor()
    booking = bookings.book(user_id=make_user().telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=DEC_3_10AM, patient=PATIENT, actor=Actor.STAFF, actor_id="reception-2")
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.booking_id == booking.id))
    assert (event.actor, event.actor_id) == ("staff", "reception-2")


def test_over_long_or_missing_patient_details_are_refused():
    with pytest.raises(InvalidRequest) as refused:
        bookings.PatientDetails(first_name="A" * 101, last_name="", phone="+380")
    assert set(refused.value.errors) == {"first_name", "last_name"}


def test_attendance_confirmation_is_recorded_once(frozen_now, make_booking):
    booking = make_booking(starts_at=DEC_3_10AM)
    bookings.confirm_attendance(booking.id, user_id=booking.user_id)
    bookings.confirm_attendance(booking.id, user_id=booking.user_id)
    db.session.commit()
    assert actions(booking.id) == ["booked", "attendance_confirmed"]


def test_upcoming_and_past_lists_are_separate_and_paged(frozen_now, make_booking, make_user, make_doctor):
    user, doctor = make_user(), make_doctor()
    made = [make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM + timedelta(days=day))
            for day in (0, 1, 2, 4, 5, 6, 7)]  # 6 December is a Sunday
    bookings.cancel(made[0].id, user_id=user.telegram_id)
    db.session.commit()
    first = bookings.list_for_user(user.telegram_id, when="upcoming", page=1, per_page=5)
    assert (first.total, first.pages, first.has_next) == (6, 2, True)
    assert [booking.id for booking in first.items] == [booking.id for booking in made[1:6]]
    past = bookings.list_for_user(user.telegram_id, when="past")
    assert [booking.id for booking in past.items] == [made[0].id]
    assert bookings.list_for_user(make_user().telegram_id).total == 0


def test_a_page_past_the_end_shows_the_last_page(frozen_now, make_booking, make_user, make_doctor):
    user, doctor = make_user(), make_doctor()
    made = [make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM + timedelta(hours=hour)) for hour in range(3)]

    page = bookings.list_for_user(user.telegram_id, when="upcoming", page=99, per_page=2)

    assert (page.page, page.pages, page.total) == (2, 2, 3)
    assert [booking.id for booking in page.items] == [made[2].id]
    empty = bookings.list_for_user(make_user().telegram_id, page=5)
    assert (empty.page, empty.total, empty.items) == (1, 0, [])


def test_the_bots_lines_list_the_same_bookings_and_pages_as_the_full_list(frozen_now, make_booking, make_user,
                                                                           make_doctor):
    user, doctor = make_user(), make_doctor()
    made = [make_booking(user=user, doctor=doctor, starts_at=DEC_3_10AM + timedelta(hours=hour)) for hour in range(3)]
    bookings.cancel(made[0].id, user_id=user.telegram_id)
    db.session.commit()

    for when, page in (("upcoming", 1), ("upcoming", 99), ("past", 1), ("all", 2)):
        full = bookings.list_for_user(user.telegram_id, when=when, page=page, per_page=1)
        lines = bookings.list_lines_for_user(user.telegram_id, when=when, page=page, per_page=1)
        assert (lines.page, lines.total) == (full.page, full.total)
        assert [(line.id, line.starts_at, line.service_name, line.timezone) for line in lines.items] == [
            (booking.id, booking.starts_at, booking.service_name, booking.clinic.timezone) for booking in full.items
        ]
    assert bookings.list_lines_for_user(make_user().telegram_id, page=5).items == []

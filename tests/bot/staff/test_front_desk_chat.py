"""The front desk in the chat (issue 19): /find, taking a mark back from a visit's card, the agenda's marks."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from medsync import clock
from medsync.bot.staff import callbacks
from medsync.extensions import db
from medsync.models import Booking, BookingEvent
from medsync.services import bookings
from tests.bot.conftest import button, buttons, callback_update, message_update
from tests.conftest import next_local_slot
from tests.support.desk import book_by_phone


def _missed_by_the_desk(post_update, frozen_now, make_doctor, make_booking, make_staff):
    """Today's 10:00 visit, marked missed from its card by a member of the desk 40 minutes after it was due."""
    doctor = make_doctor()
    day = clock.now().astimezone(doctor.clinic.zone).date()
    booking = make_booking(doctor=doctor, starts_at=datetime.combine(day, time(10), doctor.clinic.zone))
    member = make_staff(clinics=[doctor.clinic])
    frozen_now(booking.starts_at + timedelta(minutes=40))
    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "noshow", 1)))
    return booking, member


def test_find_lists_a_patient_of_the_clinic_with_their_next_visit_as_a_button(
    post_update, telegram_api, frozen_now, make_doctor, make_staff
):
    doctor = make_doctor()
    booking = book_by_phone(doctor, next_local_slot(doctor.clinic))
    member = make_staff(clinics=[doctor.clinic])

    post_update(message_update(member.telegram_id, "/find 567"))

    sent = telegram_api.last("sendMessage")
    assert "1 patient found:" in sent.params["text"]
    assert "<b>Olha Kobylianska</b> · +380671234567 · ☎️ no Telegram" in sent.params["text"]
    assert [item["callback_data"] for item in buttons(sent)] == [callbacks.visit_card.new(booking.id, 1)]


def test_find_does_not_show_another_clinics_patients_nor_answer_a_short_query(
    post_update, telegram_api, frozen_now, make_doctor, make_staff, make_clinic
):
    doctor = make_doctor()
    book_by_phone(doctor, next_local_slot(doctor.clinic))
    member = make_staff(clinics=[make_clinic()])

    post_update(message_update(member.telegram_id, "/find kobyl"))
    assert telegram_api.last("sendMessage").params["text"].startswith("Nobody found.")
    post_update(message_update(member.telegram_id, "/find ko"))
    assert "at least three characters" in telegram_api.last("sendMessage").params["text"]


def test_a_missed_visit_is_marked_arrived_after_all_from_its_card_with_a_reason(
    post_update, telegram_api, frozen_now, make_doctor, make_booking, make_staff
):
    booking, member = _missed_by_the_desk(post_update, frozen_now, make_doctor, make_booking, make_staff)
    card = telegram_api.last("editMessageText")

    post_update(callback_update(member.telegram_id, button(card, "↩️ Arrived after all")["callback_data"]))
    question = telegram_api.last("editMessageText")
    assert "Why is the mark of Taras Shevchenko's visit taken back?" in question.params["text"]
    post_update(callback_update(member.telegram_id, button(question, "The patient came late")["callback_data"]))

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "arrived"
    event = db.session.scalar(select(BookingEvent).where(BookingEvent.action == "undone"))
    assert (event.actor_id, event.details["reason"]) == (member.actor_id, "The patient came late")


def test_a_mark_is_not_taken_back_from_the_card_after_the_visits_day(
    post_update, telegram_api, frozen_now, make_doctor, make_booking, make_staff
):
    booking, member = _missed_by_the_desk(post_update, frozen_now, make_doctor, make_booking, make_staff)
    frozen_now(booking.starts_at + timedelta(days=1))

    post_update(callback_update(member.telegram_id, callbacks.visit_card.new(booking.id, 1)))
    assert not [item for item in buttons(telegram_api.last("editMessageText")) if item["text"].startswith("↩️")]
    post_update(callback_update(member.telegram_id, callbacks.visit_undo_reason.new(booking.id, "arrived", "late", 1)))

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "noshow"


def test_the_agenda_marks_who_confirmed_and_who_was_bookedbook_by_phone(
    post_update, telegram_api, frozen_now, make_doctor, make_booking, make_user, make_staff
):
    doctor = make_doctor()
    book_by_phone(doctor, next_local_slot(doctor.clinic, days_ahead=0, hour=15))
    user = make_user()
    confirmed = make_booking(user=user, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=0, hour=16))
    bookings.confirm_attendance(confirmed.id, user_id=user.telegram_id)
    db.session.commit()
    member = make_staff(clinics=[doctor.clinic])

    post_update(message_update(member.telegram_id, "/today"))

    text = telegram_api.last("sendMessage").params["text"]
    assert "<b>Olha Kobylianska</b> ☎️ ·" in text
    assert "<b>Taras Shevchenko</b> 👍 ·" in text


def test_tocall_lists_a_patient_without_telegram_whose_reminder_is_due_with_their_phone(
    post_update, telegram_api, frozen_now, make_doctor, make_staff, make_clinic
):
    doctor = make_doctor()
    booking = book_by_phone(doctor, next_local_slot(doctor.clinic))
    desk = make_staff(clinics=[doctor.clinic])
    elsewhere = make_staff(clinics=[make_clinic()], user=None)
    frozen_now(booking.starts_at - timedelta(hours=3))

    post_update(message_update(desk.telegram_id, "/tocall"))
    listed = telegram_api.last("sendMessage").params["text"]
    post_update(message_update(elsewhere.telegram_id, "/tocall"))

    assert "<b>Olha Kobylianska</b> · +380671234567" in listed
    assert "remind them of the visit (no Telegram)" in listed
    assert telegram_api.last("sendMessage").params["text"] == "Nobody to call."


def test_tocall_is_not_a_doctors(post_update, telegram_api, frozen_now, make_doctor, make_staff):
    doctor = make_doctor()
    member = make_staff("doctor", doctor=doctor)

    post_update(message_update(member.telegram_id, "/tocall"))

    assert "reception and clinic admins" in telegram_api.last("sendMessage").params["text"]

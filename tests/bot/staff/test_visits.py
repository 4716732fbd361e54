"""A visit's card: Arrived, Missed and Cancel through the booking service, audited as the staff member."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from medsync import clock
from medsync.bot.staff import callbacks
from medsync.extensions import db
from medsync.models import Booking, BookingEvent, MessageKind, OutboxMessage
from tests.bot.conftest import button, buttons, callback_update, message_update
from tests.fakes.telegram_api import FakeTelegramAPI


def _visit_today(make_doctor, make_booking, hour: int = 10) -> Booking:
    doctor = make_doctor()
    day = clock.now().astimezone(doctor.clinic.zone).date()
    return make_booking(doctor=doctor, starts_at=datetime.combine(day, time(hour), doctor.clinic.zone))


def _events(booking: Booking) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(BookingEvent).where(BookingEvent.booking_id == booking.id)
                              .order_by(BookingEvent.id)).all()
    return [(event.action, event.actor, event.actor_id) for event in rows]


def _status(booking: Booking) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).status


def test_a_card_opened_from_the_day_shows_the_visit_in_clinic_time_with_its_moves(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    post_update(message_update(member.telegram_id, "/today"))
    day = telegram_api.last("sendMessage")

    post_update(callback_update(member.telegram_id, buttons(day)[0]["callback_data"],
                                message_id=day.result["message_id"]))

    card = telegram_api.last("editMessageText")
    for expected in (f"Visit #{booking.id}</b> · booked", "Taras Shevchenko, +380501234567",
                     "Tuesday, December 1, 2026, 10:00–11:00 (Kyiv)", "reply to this message with the PDF"):
        assert expected in card.params["text"]
    # Before the visit's time the patient may arrive, but the visit cannot be missed yet: no such button.
    assert [item["text"] for item in buttons(card)] == ["✅ Arrived", "❌ Cancel visit", "Refresh", "« The day"]


def test_a_card_offers_only_the_moves_the_visit_allows_now(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])

    def card_buttons(visit: Booking) -> list[str]:
        post_update(callback_update(member.telegram_id, callbacks.visit_card.new(visit.id, 1)))
        return [item["text"] for item in buttons(telegram_api.last("editMessageText"))]

    frozen_now(booking.starts_at + timedelta(minutes=5))
    assert card_buttons(booking) == ["✅ Arrived", "🚫 Missed", "❌ Cancel visit", "Refresh", "« The day"]
    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "arrived", 1)))
    assert card_buttons(booking) == ["☑️ Completed", "↩️ Back to booked", "Refresh", "« The day"]
    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "fulfilled", 1)))
    assert card_buttons(booking) == ["Refresh", "« The day"]


def test_arrived_changes_the_booking_and_the_audit_names_the_staff_member(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    frozen_now(booking.starts_at - timedelta(minutes=10))

    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "arrived", 1)))

    assert _status(booking) == "arrived"
    assert _events(booking)[-1] == ("arrived", "staff", f"staff:{member.id}")
    card = telegram_api.last("editMessageText")
    assert "· arrived" in card.params["text"] and button(card, "☑️ Completed")
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Marked as arrived."


def test_no_show_changes_the_booking_and_the_audit_names_the_staff_member(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    frozen_now(booking.starts_at + timedelta(minutes=20))

    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "noshow", 1)))

    assert _status(booking) == "noshow"
    assert _events(booking)[-1] == ("noshow", "staff", f"staff:{member.id}")
    assert "· missed" in telegram_api.last("editMessageText").params["text"]
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Marked as missed."


def test_a_move_the_visit_does_not_allow_yet_is_explained_and_changes_nothing(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking, hour=15)
    member = make_staff(clinics=[booking.clinic])

    post_update(callback_update(member.telegram_id, callbacks.visit_move.new(booking.id, "noshow", 1)))

    answer = telegram_api.last("answerCallbackQuery")
    assert answer.params["text"] == "A visit can be marked as missed only once it was due to start."
    assert answer.params["show_alert"].lower() == "true"
    assert _status(booking) == "booked"


def test_cancel_with_a_reason_button_cancels_and_tells_the_patient(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    post_update(callback_update(member.telegram_id, callbacks.visit_cancel.new(booking.id, 1)))
    question = telegram_api.last("editMessageText")
    assert "Cancel this visit?" in question.params["text"]

    post_update(callback_update(member.telegram_id, button(question, "The doctor is unavailable")["callback_data"]))

    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
        "cancelled", "staff", "The doctor is unavailable")
    assert _events(booking)[-1] == ("cancelled", "staff", f"staff:{member.id}")
    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CANCELLATION.value))
    assert notice.chat_id == booking.user_id
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Cancelled; the patient is told."


def test_cancel_for_another_reason_asks_for_it_as_a_reply(
    post_update, telegram_api: FakeTelegramAPI, frozen_now, make_doctor, make_booking, make_staff
):
    booking = _visit_today(make_doctor, make_booking)
    member = make_staff(clinics=[booking.clinic])
    post_update(callback_update(member.telegram_id, callbacks.visit_cancel_other.new(booking.id)))
    prompt = telegram_api.last("sendMessage")
    assert prompt.json("reply_markup")["force_reply"] is True
    reply_to = {"message_id": prompt.result["message_id"], "from": prompt.result["from"],
                "chat": prompt.result["chat"], "date": prompt.result["date"], "text": prompt.params["text"]}

    post_update(message_update(member.telegram_id, "Flooded <basement>", reply_to_message=reply_to))
    post_update(message_update(member.telegram_id, "said twice", reply_to_message=reply_to))

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).cancel_reason == "Flooded <basement>"
    confirmations = [call.params["text"] for call in telegram_api.calls("sendMessage")][1:]
    assert confirmations == [f"Visit #{booking.id} (Taras Shevchenko) is cancelled; the patient is told."]

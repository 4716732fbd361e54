"""The buttons on reminder messages: "I'll come" records the confirmation once, "Cancel" asks first."""
from __future__ import annotations

from medsync.bot import callbacks
from medsync.extensions import db
from medsync.models import Booking, BookingEvent
from tests.bot.conftest import button, callback_update
from tests.fakes.telegram_api import FakeTelegramAPI


def _confirmations(booking: Booking) -> int:
    return db.session.query(BookingEvent).filter_by(booking_id=booking.id, action="attendance_confirmed").count()


def test_ill_come_is_recorded_once(post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now):
    user = make_user()
    booking = make_booking(user=user)

    post_update(callback_update(user, callbacks.reminder_confirm.new(booking.id)))
    post_update(callback_update(user, callbacks.reminder_confirm.new(booking.id)))

    assert _confirmations(booking) == 1
    answers = [call.params["text"] for call in telegram_api.calls("answerCallbackQuery")]
    assert answers == ["Thank you! We look forward to seeing you."] * 2


def test_ill_come_for_someone_elses_booking_records_nothing(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    owner, intruder = make_user(), make_user()
    booking = make_booking(user=owner)

    post_update(callback_update(intruder, callbacks.reminder_confirm.new(booking.id)))

    assert _confirmations(booking) == 0
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."


def test_reminder_cancel_asks_then_cancels(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)

    post_update(callback_update(user, callbacks.reminder_cancel.new(booking.id), message_id=55))
    question = telegram_api.last("editMessageText")
    assert question.params["message_id"] == "55" and "Cancel this booking?" in question.params["text"]
    post_update(callback_update(user, button(question, "Yes, cancel")["callback_data"], message_id=55))

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"


def test_reminder_buttons_of_a_cancelled_booking_say_it_is_no_longer_active(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)
    post_update(callback_update(user, callbacks.booking_cancel_yes.new(booking.id, "upcoming", 1)))

    post_update(callback_update(user, callbacks.reminder_confirm.new(booking.id)))
    post_update(callback_update(user, callbacks.reminder_cancel.new(booking.id)))

    answers = [call.params.get("text") for call in telegram_api.calls("answerCallbackQuery")][1:]
    assert answers == ["This booking is no longer active."] * 2

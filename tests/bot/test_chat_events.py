"""Blocking the bot, and the Mini App's data sent back to the chat."""
from __future__ import annotations

from medsync.extensions import db
from medsync.models import User
from tests.bot.conftest import chat_member_update, web_app_data_update
from tests.fakes.telegram_api import FakeTelegramAPI


def _reachable(user: User) -> bool:
    db.session.expire_all()
    return db.session.get(User, user.telegram_id).reachable


def test_blocking_and_unblocking_the_bot_toggles_reachable(post_update, telegram_api: FakeTelegramAPI, make_user):
    user = make_user()

    post_update(chat_member_update(user, old="member", new="kicked"))
    blocked = _reachable(user)
    post_update(chat_member_update(user, old="kicked", new="member"))

    assert (blocked, _reachable(user)) == (False, True)
    assert telegram_api.calls() == []


def test_booking_confirmed_from_the_web_app_is_answered_with_the_booking(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    booking = make_booking(user=user)

    post_update(web_app_data_update(user, {"action": "booking_confirmed", "booking_id": booking.id}))

    text = telegram_api.last("sendMessage").params["text"]
    assert "Your booking is confirmed." in text and f"#{booking.id}" in text


def test_booking_confirmed_for_someone_elses_booking_reveals_nothing(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    owner, intruder = make_user(), make_user()
    booking = make_booking(user=owner)

    post_update(web_app_data_update(intruder, {"action": "booking_confirmed", "booking_id": booking.id}))
    post_update(web_app_data_update(intruder, {"action": "booking_confirmed", "booking_id": "1 OR 1=1"}))

    texts = [call.params["text"] for call in telegram_api.calls("sendMessage")]
    assert texts == ["We could not find this booking. Open /bookings to see yours."] * 2
    assert telegram_api.last("sendMessage").params.get("reply_markup") is None


def test_web_app_data_that_is_not_a_booking_confirmation_is_ignored(
    post_update, telegram_api: FakeTelegramAPI, make_user
):
    user = make_user()

    post_update(web_app_data_update(user, "not json"))
    post_update(web_app_data_update(user, {"action": "something_else"}))

    assert telegram_api.calls() == []

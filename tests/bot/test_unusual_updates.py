"""Every update is handled or ignored on purpose, never a traceback; every button press is answered.

Telegram sends shapes a handler may not expect: a press whose message the bot cannot reach (a message sent
in inline mode has none; a very old one comes as "inaccessible", with date 0), a message with no sender (sent
on behalf of a channel, or in one). And a handler can fail: its press is still answered, so the spinner stops.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from medsync.bot import callbacks
from medsync.bot.handlers import bookings as booking_handlers
from medsync.services import bookings
from tests.bot.conftest import callback_update, message_update, private_chat
from tests.fakes.telegram_api import FakeTelegramAPI

TOO_OLD = "This button does not work here any more. Send /start for a fresh menu."


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[logging.LogRecord]]:
    """What the app has logged at ERROR (a handler's traceback is logged so) while the test ran."""
    caplog.set_level(logging.ERROR, logger="medsync")
    return lambda: [record for record in caplog.records if record.levelno >= logging.ERROR]


def _answer(response) -> dict:
    """The answerCallbackQuery the webhook put in its response (Telegram performs it)."""
    reply = response.get_json()
    assert reply["method"] == "answerCallbackQuery", reply
    return reply


def test_a_press_on_a_message_sent_in_inline_mode_is_answered_and_nothing_else(
    post_update, telegram_api: FakeTelegramAPI, make_user, errors
):
    update = callback_update(make_user(), callbacks.open_bookings.new())
    del update["callback_query"]["message"]
    update["callback_query"]["inline_message_id"] = "AAAAAQ-inline"

    response = post_update(update)

    assert response.status_code == 200
    assert _answer(response)["callback_query_id"] == update["callback_query"]["id"]
    [answered] = telegram_api.calls("answerCallbackQuery")
    assert answered.params["text"] == TOO_OLD
    assert [call.method for call in telegram_api.calls()] == ["answerCallbackQuery"] and errors() == []


def test_a_press_on_a_message_too_old_to_reach_is_answered_and_nothing_else(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now, errors
):
    user = make_user()
    booking = make_booking(user=user)
    update = callback_update(user, callbacks.booking_cancel_yes.new(booking.id, "upcoming", 1))
    update["callback_query"]["message"] = {"chat": private_chat(user.telegram_id), "message_id": 12, "date": 0}

    response = post_update(update)

    assert _answer(response)["text"] == TOO_OLD
    assert [call.method for call in telegram_api.calls()] == ["answerCallbackQuery"] and errors() == []
    assert bookings.get_booking(booking.id, user_id=user.telegram_id).status == "booked"


@pytest.mark.parametrize("chat", [
    {"id": -1001234567890, "type": "supergroup", "title": "Clinic staff"},  # an anonymous admin, or a channel's post
    {"id": -1009876543210, "type": "channel", "title": "Clinic news"},
])
@pytest.mark.parametrize("text", ["/setgroup", "/start", "/today", "hello"])
def test_a_message_without_a_sender_is_ignored_without_a_traceback(
    post_update, telegram_api: FakeTelegramAPI, app_context, errors, chat, text
):
    update = message_update(1, text)
    del update["message"]["from"]
    update["message"]["chat"] = update["message"]["sender_chat"] = chat

    response = post_update(update)

    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert telegram_api.calls() == [] and errors() == []


def test_a_press_whose_handler_fails_is_still_answered_and_its_work_rolled_back(
    post_update, telegram_api: FakeTelegramAPI, make_user, monkeypatch, errors
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(bookings, "list_lines_for_user", broken)
    update = callback_update(make_user(), callbacks.open_bookings.new())

    response = post_update(update)

    assert response.status_code == 200
    assert _answer(response)["text"] == "Something went wrong on our side. Please try again."
    assert telegram_api.last("answerCallbackQuery").params["callback_query_id"] == update["callback_query"]["id"]
    [failure] = errors()  # a bug is still logged, with the update's id
    assert str(update["update_id"]) in failure.getMessage()


def test_a_press_no_handler_answered_is_answered_all_the_same(
    post_update, telegram_api: FakeTelegramAPI, make_user, book_many, monkeypatch, errors
):
    user = make_user()
    book_many(user, 7)
    monkeypatch.setattr(booking_handlers, "answer", lambda *args, **kwargs: None)  # a handler that forgets

    response = post_update(callback_update(user, callbacks.bookings_page.new("upcoming", 2)))

    assert _answer(response)["callback_query_id"]
    assert "text" not in telegram_api.last("answerCallbackQuery").params
    assert telegram_api.last("editMessageText") and errors() == []

"""The webhook: secret check, de-duplication, handlers run in the request, errors answered 200."""
from __future__ import annotations

import dataclasses
import logging

import pytest
import requests
import telebot
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from medsync.extensions import db
from medsync.models import Booking, OutboxMessage, User
from workers.delivery import deliver_message
from tests.bot.conftest import WEBHOOK, button, buttons, callback_update, message_update
from tests.conftest import BOT_TOKEN, WEBAPP_URL, WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegramAPI

USER_ID = 700_000_123


def test_start_sends_one_message_with_the_main_menu(post_update, telegram_api: FakeTelegramAPI, app_context):
    response = post_update(message_update(USER_ID, "/start"))

    assert response.status_code == 200
    [sent] = telegram_api.calls("sendMessage")
    assert sent.chat_id == str(USER_ID)
    assert "Hello, Taras!" in sent.params["text"]
    web_apps = [item["web_app"]["url"] for item in buttons(sent) if "web_app" in item]
    assert web_apps == [WEBAPP_URL, f"{WEBAPP_URL}/see_a_doctor", f"{WEBAPP_URL}/get_tested"]
    assert button(sent, "My bookings")["callback_data"]
    assert button(sent, "My results")["callback_data"]


def test_every_update_records_its_sender(post_update, telegram_api: FakeTelegramAPI, app_context):
    update = message_update(USER_ID, "/start")
    update["message"]["from"]["language_code"] = "uk"

    post_update(update)

    user = db.session.get(User, USER_ID)
    assert (user.username, user.full_name, user.language_code) == ("taras", "Taras Shevchenko", "uk")


def test_a_changed_profile_is_refreshed(post_update, telegram_api: FakeTelegramAPI, make_user, app_context):
    user = make_user(username="old_name", language_code="uk")
    update = message_update(user, "/start")
    update["message"]["from"].update(username="new_name", language_code="en")

    post_update(update)

    db.session.expire_all()
    refreshed = db.session.get(User, user.telegram_id)
    assert (refreshed.username, refreshed.language_code) == ("new_name", "en")


def test_help_also_shows_the_menu(post_update, telegram_api: FakeTelegramAPI):
    post_update(message_update(USER_ID, "/help"))

    [sent] = telegram_api.calls("sendMessage")
    assert "/bookings" in sent.params["text"]
    assert button(sent, "Book an appointment")["web_app"]["url"] == f"{WEBAPP_URL}/see_a_doctor"


def test_the_users_name_is_escaped_for_html(post_update, telegram_api: FakeTelegramAPI):
    update = message_update(USER_ID, "/start")
    update["message"]["from"]["first_name"] = "<b>Bob</b> & co"

    post_update(update)

    text = telegram_api.last("sendMessage").params["text"]
    assert "Hello, &lt;b&gt;Bob&lt;/b&gt; &amp; co!" in text


def test_a_wrong_secret_is_refused_and_nothing_is_processed(post_update, telegram_api: FakeTelegramAPI, app_context):
    response = post_update(message_update(USER_ID, "/start"), secret="not-the-secret")

    assert response.status_code == 401
    assert response.json["code"] == 401 and response.json["status"] == "Unauthorized"
    assert telegram_api.calls() == []
    assert db.session.get(User, USER_ID) is None


def test_a_missing_secret_is_refused(post_update, telegram_api: FakeTelegramAPI):
    response = post_update(message_update(USER_ID, "/start"), secret=None)

    assert response.status_code == 401
    assert telegram_api.calls() == []


def test_without_a_configured_secret_every_update_is_refused(
    app, monkeypatch, post_update, telegram_api: FakeTelegramAPI
):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], WEBHOOK_SECRET=""))

    response = post_update(message_update(USER_ID, "/start"), secret="")

    assert response.status_code == 401
    assert telegram_api.calls() == []


def test_a_redelivered_update_is_acknowledged_but_handled_once(post_update, telegram_api: FakeTelegramAPI):
    update = message_update(USER_ID, "/start")

    first, second = post_update(update), post_update(update)

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(telegram_api.calls("sendMessage")) == 1


def test_a_body_that_is_not_an_update_is_a_400(client, telegram_api: FakeTelegramAPI):
    response = client.post(WEBHOOK, data="{not json", content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    assert response.status_code == 400
    assert response.json["code"] == 400
    assert telegram_api.calls() == []


def test_an_update_type_without_a_handler_is_ignored(post_update, telegram_api: FakeTelegramAPI):
    update = {"update_id": 5, "edited_message": message_update(USER_ID, "/start")["message"]}

    response = post_update(update)

    assert response.status_code == 200
    assert telegram_api.calls() == []


def test_a_group_chat_gets_no_menu(post_update, telegram_api: FakeTelegramAPI):
    update = message_update(USER_ID, "/start")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Family"}

    response = post_update(update)

    assert response.status_code == 200
    assert telegram_api.calls("sendMessage") == []


def test_a_failing_handler_is_logged_with_the_update_id_rolled_back_and_answered_200(
    post_update, telegram_api: FakeTelegramAPI, app_context, caplog
):
    telegram_api.fail_next("sendMessage", status=400)  # Telegram refuses the request itself: a bug of ours
    update = message_update(USER_ID, "/start")

    with caplog.at_level(logging.ERROR, logger="medsync.bot.webhook"):
        response = post_update(update)

    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "medsync.bot.webhook"]
    assert str(update["update_id"]) in record.getMessage()
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN.split(":")[1] not in caplog.text


def test_a_cancel_is_kept_when_telegram_fails_to_show_it(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    from medsync.models import OutboxMessage

    user = make_user()
    booking = make_booking(user=user)
    telegram_api.fail_next("editMessageText", status=500)

    response = post_update(callback_update(user, f"by:{booking.id}:upcoming:1"))

    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "cancelled"
    # The patient still hears of it: the cancellation notice is in the outbox.
    notice = db.session.query(OutboxMessage).filter_by(booking_id=booking.id, kind="cancellation").one()
    assert notice.status == "pending"


def test_an_update_that_failed_is_not_handled_again_on_redelivery(
    post_update, telegram_api: FakeTelegramAPI
):
    update = message_update(USER_ID, "/start")
    telegram_api.fail_next("sendMessage", status=400)
    post_update(update)

    response = post_update(update)

    assert response.status_code == 200
    assert len(telegram_api.calls("sendMessage")) == 1


def test_an_update_whose_handling_died_mid_way_is_handled_on_a_later_redelivery(
    post_update, telegram_api: FakeTelegramAPI, app_context
):
    from medsync.bot.webhook import IN_FLIGHT_TTL, SEEN_UPDATE_TTL, _seen_key
    from medsync.extensions import redis_client

    update = message_update(USER_ID, "/start")
    # A process that claimed the update and died leaves only the short in-flight claim behind.
    redis_client.set(_seen_key(update["update_id"]), 1, ex=IN_FLIGHT_TTL)
    post_update(update)
    assert telegram_api.calls("sendMessage") == []
    redis_client.delete(_seen_key(update["update_id"]))  # the claim expired before Telegram retried
    post_update(update)
    assert len(telegram_api.calls("sendMessage")) == 1
    assert redis_client.ttl(_seen_key(update["update_id"])) > IN_FLIGHT_TTL
    assert redis_client.ttl(_seen_key(update["update_id"])) <= SEEN_UPDATE_TTL


def test_a_button_press_is_answered_in_the_webhook_response_itself(client, telegram_api: FakeTelegramAPI, make_user):
    from medsync.bot import callbacks

    user = make_user()
    update = callback_update(user, callbacks.open_bookings.new())

    response = client.post(WEBHOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    assert response.status_code == 200
    reply = response.get_json()
    assert reply["method"] == "answerCallbackQuery"
    assert reply["callback_query_id"] == update["callback_query"]["id"]
    assert telegram_api.calls("answerCallbackQuery") == []  # no separate round trip
    assert len(telegram_api.calls("sendMessage")) == 1


@pytest.mark.parametrize("status", [500, 502, 429])
def test_a_reply_telegram_cannot_take_now_is_delivered_later_once(
    post_update, telegram_api: FakeTelegramAPI, app_context, status
):
    telegram_api.fail_next("sendMessage", status=status, retry_after=1 if status == 429 else None)

    response = post_update(message_update(USER_ID, "/start"))

    assert response.status_code == 200
    [queued] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()
    assert (queued.chat_id, queued.status, queued.booking_id) == (USER_ID, "pending", None)
    for _ in range(2):  # a doubled hand-out still sends it once
        deliver_message(queued.id)
    [refused, delivered] = telegram_api.calls("sendMessage")
    assert (refused.status, delivered.status) == (status, 200)
    assert delivered.params["text"] == refused.params["text"] and "Hello, Taras!" in delivered.params["text"]
    assert delivered.params["reply_markup"] == refused.params["reply_markup"]


def test_a_reply_lost_on_the_network_is_delivered_later(post_update, telegram_api, app_context, monkeypatch):
    import telebot.apihelper

    real_request = telebot.apihelper._make_request
    calls = {"count": 0}

    def network_down_once(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 1:
            raise requests.ConnectionError("connection reset")
        return real_request(*args, **kwargs)

    monkeypatch.setattr(telebot.apihelper, "_make_request", network_down_once)
    post_update(message_update(USER_ID, "/help"))
    [queued] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()

    assert deliver_message(queued.id) == "sent"
    [delivered] = telegram_api.calls("sendMessage")
    assert "What I can do" in delivered.params["text"]


def test_a_page_turn_telegram_fails_to_show_is_edited_in_later(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    make_booking(user=user)
    telegram_api.fail_next("editMessageText", status=502)

    post_update(callback_update(user, "bl:past:1", message_id=55))
    [queued] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()
    assert deliver_message(queued.id) == "sent"

    edits = telegram_api.calls("editMessageText")
    assert [call.status for call in edits] == [502, 200]
    assert edits[1].params["message_id"] == "55" and "past bookings" in edits[1].params["text"]


def test_a_late_edit_is_dropped_once_the_chat_has_moved_on(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    make_booking(user=user)
    telegram_api.fail_next("editMessageText", status=502)
    post_update(callback_update(user, "bl:past:1", message_id=55))  # this screen's edit is queued
    post_update(callback_update(user, "bl:upcoming:1", message_id=55))  # and the patient pressed on meanwhile
    [queued] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()

    assert deliver_message(queued.id) == "skipped"

    edits = [call for call in telegram_api.calls("editMessageText") if call.ok]
    assert len(edits) == 1 and "upcoming bookings" in edits[0].params["text"]  # the newer screen stays
    db.session.expire_all()
    assert db.session.get(OutboxMessage, queued.id).last_error == "superseded by a newer update in the chat"


def test_the_senders_row_is_not_locked_while_handlers_talk_to_telegram(
    app, post_update, telegram_api: FakeTelegramAPI, make_user, monkeypatch
):
    user = make_user(username="old_name")
    locked_during_send: list[bool] = []
    real_send = telebot.TeleBot.send_message

    def send_and_probe(bot, *args, **kwargs):
        # Another request (a double tap) touching the same user's row while this reply is on the network.
        with db.engine.connect() as other:
            try:
                other.execute(text("SET lock_timeout = '200ms'"))
                other.execute(text("SELECT 1 FROM users WHERE telegram_id = :id FOR UPDATE"), {"id": user.telegram_id})
                locked_during_send.append(False)
            except OperationalError:
                locked_during_send.append(True)
            other.rollback()
        return real_send(bot, *args, **kwargs)

    monkeypatch.setattr(telebot.TeleBot, "send_message", send_and_probe)
    update = message_update(user, "/start")
    update["message"]["from"]["username"] = "new_name"  # the profile changed: the webhook writes the row

    post_update(update)

    assert locked_during_send == [False]
    db.session.expire_all()
    assert db.session.get(User, user.telegram_id).username == "new_name"


@pytest.mark.parametrize(("where", "bad_id"), [
    ("chat", "abc"), ("from", 2**70), ("chat", 1.5), ("from", True), ("chat", None),
])
def test_an_update_with_an_impossible_id_is_acknowledged_and_ignored_with_one_warning(
    post_update, telegram_api: FakeTelegramAPI, app_context, caplog, where, bad_id
):
    update = message_update(USER_ID, "/start")
    update["message"][where]["id"] = bad_id

    with caplog.at_level(logging.WARNING):
        response = post_update(update)

    assert response.status_code == 200
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in warnings] == [
        f"telegram update {update['update_id']} carries an invalid chat or user id; acknowledged and ignored"
    ]
    assert telegram_api.calls() == []
    assert db.session.scalar(select(User.telegram_id)) is None


def test_even_at_debug_level_nothing_logs_the_bot_token(post_update, telegram_api: FakeTelegramAPI, app_context,
                                                        caplog):
    with caplog.at_level(logging.DEBUG):  # the root logger: every library's records reach the capture
        post_update(message_update(USER_ID, "/start"))

    assert telegram_api.calls("sendMessage")  # the bot did talk to the Bot API
    assert BOT_TOKEN.split(":")[1] not in caplog.text

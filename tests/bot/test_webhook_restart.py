"""PostgreSQL restarting under an update: asked again while nothing happened yet, never lost, answered once."""
from __future__ import annotations

import medsync
from medsync.extensions import db
from tests.bot.conftest import message_update
from tests.fakes.telegram_api import FakeTelegramAPI


def test_an_update_cut_off_from_the_database_before_replying_is_delivered_again_and_answered_once(
    post_update, telegram_api: FakeTelegramAPI, make_user, monkeypatch, restart_postgresql_sessions
):
    regular, newcomer = make_user().telegram_id, make_user().telegram_id
    db.session.remove()
    assert post_update(message_update(regular, "/start")).status_code == 200  # the pool holds a used connection
    monkeypatch.setattr(medsync, "PING_IDLE_AFTER_SECONDS", 3600.0)  # in steady use: never pinged
    restart_postgresql_sessions()
    telegram_api.reset()

    update = message_update(newcomer, "/start")  # a sender not yet remembered: the webhook writes their row first
    refused = post_update(update)
    assert refused.status_code == 503
    assert telegram_api.calls() == []

    assert post_update(update).status_code == 200  # Telegram's redelivery
    assert post_update(update).status_code == 200  # and a late duplicate of it
    assert [int(call.params["chat_id"]) for call in telegram_api.calls("sendMessage")] == [newcomer]


def test_an_update_that_reached_the_chat_before_the_database_went_away_is_not_delivered_again(
    post_update, telegram_api: FakeTelegramAPI, make_user, monkeypatch, restart_postgresql_sessions
):
    regular = make_user().telegram_id
    db.session.remove()
    assert post_update(message_update(regular, "/start")).status_code == 200
    monkeypatch.setattr(medsync, "PING_IDLE_AFTER_SECONDS", 3600.0)
    restart_postgresql_sessions()
    telegram_api.reset()
    original_send = medsync.bot.replies.send_message

    def send_then_lose_the_database(bot, chat_id, text, reply_markup=None):
        sent = original_send(bot, chat_id, text, reply_markup)
        db.session.execute(db.text("SELECT 1"))  # the cut connection, after the chat got its answer
        return sent

    monkeypatch.setattr(medsync.bot.replies, "send_message", send_then_lose_the_database)
    update = message_update(regular, "/start")
    assert post_update(update).status_code == 200  # a redelivery would send the answer twice
    assert post_update(update).status_code == 200
    assert len(telegram_api.calls("sendMessage")) == 1

"""The webhook's edge: hostile bodies get a 4xx in the error shape, odd but signed values are handled, and a lost
Redis asks Telegram to deliver the update again instead of failing it."""
from __future__ import annotations

import io
import json
import logging
import socket

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

import medsync.bot.replies
from medsync.extensions import db
from medsync.models import User
from tests.bot.conftest import WEBHOOK, message_update, web_app_data_update
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegramAPI

USER_ID = 700_000_123
SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


def users_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_a_sender_whose_name_holds_nul_or_lone_surrogates_is_served_with_the_name_cleaned(
    post_update, telegram_api: FakeTelegramAPI, app_context
):
    update = message_update(USER_ID, "/start")
    # Sent as Telegram's JSON would carry them: \u0000 and \ud800 escapes.
    update["message"]["from"].update(first_name="Ta\x00ras", last_name="\ud800", username="taras\udfff")

    response = post_update(update)

    assert response.status_code == 200
    assert "Hello, Taras!" in telegram_api.last("sendMessage").params["text"]
    user = db.session.get(User, USER_ID)
    assert (user.first_name, user.last_name, user.username) == ("Taras", "\ufffd", "taras\ufffd")


@pytest.mark.parametrize("sender_id", [0, -42])
def test_a_sender_id_no_telegram_user_has_is_acknowledged_and_ignored(
    post_update, telegram_api: FakeTelegramAPI, app_context, sender_id
):
    update = message_update(USER_ID, "/start")
    update["message"]["from"]["id"] = sender_id

    response = post_update(update)

    assert response.status_code == 200
    assert telegram_api.calls() == []
    assert users_stored() == 0


@pytest.mark.parametrize("levels", [30_000, 2_000, 33])
def test_a_body_nested_deeper_than_any_update_is_a_400(client, telegram_api: FakeTelegramAPI, app_context, levels):
    """30,000 levels overflow the JSON decoder, 2,000 a walk over the parsed body; 33 is past the cap of 32."""
    nested = "[" * (levels - 1) + "]" * (levels - 1)
    body = f'{{"update_id": 5, "message": {nested}}}'

    response = client.post(WEBHOOK, data=body, content_type="application/json", headers=SECRET)

    assert response.status_code == 400
    assert response.get_json() == {"code": 400, "status": "Bad Request", "errors": {},
                                   "message": "The request body is nested deeper than 32 levels."
                                   if levels < 1000 else "The request body is not valid JSON."}
    assert telegram_api.calls() == []
    assert users_stored() == 0


def test_an_oversized_chunked_body_is_413_like_a_sized_one(app, telegram_api: FakeTelegramAPI):
    environ = EnvironBuilder(path=WEBHOOK, method="POST", content_type="application/json",
                             headers=SECRET).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    # As gunicorn hands over a chunked upload: no length, a stream the server ends.
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True,
                    "wsgi.input": io.BytesIO(b'{"update_id": 5, "message": {"text": "' + b"x" * 6_000_000 + b'"}}')})

    body, status, _ = run_wsgi_app(app, environ, buffered=True)

    assert status.startswith("413")
    assert json.loads(b"".join(body))["code"] == 413
    assert telegram_api.calls() == []


@pytest.fixture
def dead_redis() -> redis.Redis:
    """A Redis client whose server is gone: every command fails to connect."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again on leaving: nothing listens there
    return redis.Redis(port=port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))  # fail at once


def test_while_redis_is_down_an_update_is_answered_503_to_be_delivered_again_and_then_handled_once(
    app, post_update, telegram_api: FakeTelegramAPI, app_context, monkeypatch, dead_redis, caplog
):
    update = message_update(USER_ID, "/start")
    live_redis = app.extensions["redis"]
    monkeypatch.setitem(app.extensions, "redis", dead_redis)

    with caplog.at_level(logging.WARNING):
        refused = post_update(update)

    assert refused.status_code == 503
    assert refused.get_json()["code"] == 503
    assert telegram_api.calls() == []
    assert users_stored() == 0
    assert [(record.levelno, record.exc_info) for record in caplog.records] == [(logging.WARNING, None)]

    monkeypatch.setitem(app.extensions, "redis", live_redis)  # Redis is back before Telegram's redelivery
    assert post_update(update).status_code == 200
    assert post_update(update).status_code == 200  # and a late duplicate of it
    assert len(telegram_api.calls("sendMessage")) == 1


def test_an_update_that_loses_redis_before_replying_is_delivered_again_and_answered_once(
    post_update, telegram_api: FakeTelegramAPI, app_context, monkeypatch, dead_redis
):
    original_send = medsync.bot.replies.send_message
    lost = {"once": True}

    def lose_redis_then_send(bot, chat_id, text, reply_markup=None):
        if lost.pop("once", False):
            dead_redis.get("a handler's state")  # Redis went away after the update was claimed
        return original_send(bot, chat_id, text, reply_markup)

    monkeypatch.setattr(medsync.bot.replies, "send_message", lose_redis_then_send)
    update = message_update(USER_ID, "/start")

    refused = post_update(update)
    assert refused.status_code == 503
    assert telegram_api.calls() == []

    assert post_update(update).status_code == 200  # Telegram's redelivery
    assert post_update(update).status_code == 200
    assert len(telegram_api.calls("sendMessage")) == 1


def test_mini_app_data_nested_past_the_json_decoders_depth_is_ignored_without_a_failure(
    post_update, telegram_api: FakeTelegramAPI, make_user, caplog
):
    user = make_user()

    with caplog.at_level(logging.ERROR, logger="medsync.bot.webhook"):
        response = post_update(web_app_data_update(user, "[" * 4000 + "]" * 4000))

    assert response.status_code == 200
    assert caplog.records == []
    assert telegram_api.calls() == []

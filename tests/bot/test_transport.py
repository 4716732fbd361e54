"""The Bot API transport: JSON calls over kept-alive connections; failures keep their meaning."""
from __future__ import annotations

import socket

import pytest
import requests
from sqlalchemy import select
from telebot import apihelper

from medsync.bot.transport import BotApiTransport
from medsync.extensions import db
from medsync.models import OutboxMessage
from tests.bot.conftest import message_update
from tests.conftest import BOT_TOKEN
from tests.fakes.telegram_api import FakeTelegramAPI

USER_ID = 700_000_321


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_calls_reuse_one_connection_and_arrive_as_the_bot_api_fields(telegram_api: FakeTelegramAPI):
    transport = BotApiTransport()
    url = f"{telegram_api.url}/bot{BOT_TOKEN}/sendMessage"

    for text in ("first", "Ünïcode & <b>more</b>"):
        response = transport("post", url, params={"chat_id": USER_ID, "text": text, "disable_notification": None},
                             timeout=(5, 5))
        assert response.status_code == 200 and response.json()["ok"] is True

    assert [call.params for call in telegram_api.calls("sendMessage")] == [
        {"chat_id": str(USER_ID), "text": "first"}, {"chat_id": str(USER_ID), "text": "Ünïcode & <b>more</b>"},
    ]
    assert transport._pool_for(telegram_api.url).num_connections == 1


def test_a_refusal_is_a_response_and_an_unreachable_api_a_requests_connection_error(telegram_api: FakeTelegramAPI):
    transport = BotApiTransport()
    telegram_api.fail_next("sendMessage", status=429)

    refused = transport("post", f"{telegram_api.url}/bot{BOT_TOKEN}/sendMessage", params={"chat_id": 1, "text": "x"},
                        timeout=(5, 5))
    assert refused.status_code == 429 and refused.json()["error_code"] == 429
    with pytest.raises(requests.ConnectionError):
        transport("post", f"http://127.0.0.1:{_closed_port()}/bot{BOT_TOKEN}/sendMessage", params={"chat_id": 1},
                  timeout=(5, 5))


def test_a_reply_while_the_bot_api_is_unreachable_is_queued(post_update, telegram_api, app_context, monkeypatch):
    monkeypatch.setattr(apihelper, "API_URL", f"http://127.0.0.1:{_closed_port()}/bot{{0}}/{{1}}")

    response = post_update(message_update(USER_ID, "/help"))

    assert response.status_code == 200
    [queued] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).all()
    assert queued.chat_id == USER_ID and queued.payload["reply"]["method"] == "sendMessage"


def test_a_get_carries_its_parameters_as_requests_would_have(telegram_api: FakeTelegramAPI):
    url = f"{telegram_api.url}/bot{BOT_TOKEN}/getChat"
    params = {"chat_id": USER_ID, "title": "Ünïcode & more=?", "protect_content": True, "message_thread_id": None}

    BotApiTransport()("get", url, params=params, timeout=(5, 5))
    requests.get(url, params=params, timeout=5)

    by_transport, by_requests = telegram_api.calls("getChat")
    assert by_transport.http_method == "GET" and by_transport.params == by_requests.params == {
        "chat_id": str(USER_ID), "title": "Ünïcode & more=?", "protect_content": "True"}


def test_an_upload_arrives_as_a_multipart_file_beside_its_parameters(telegram_api: FakeTelegramAPI):
    transport = BotApiTransport()

    response = transport("post", f"{telegram_api.url}/bot{BOT_TOKEN}/sendDocument",
                         params={"chat_id": USER_ID, "caption": "Результати аналізів"},
                         files={"document": ("blood-test.pdf", b"%PDF-1.4 results")}, timeout=(5, 5))

    assert response.status_code == 200 and response.json()["result"]["document"]["file_name"] == "blood-test.pdf"
    [call] = telegram_api.calls("sendDocument")
    assert call.files == {"document": ("blood-test.pdf", b"%PDF-1.4 results")}
    assert call.params == {"chat_id": str(USER_ID), "caption": "Результати аналізів"}

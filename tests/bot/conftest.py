"""Telegram Updates as Telegram sends them, posted to the webhook with the secret header."""
from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from medsync.extensions import db
from medsync.models import User
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET, next_local_slot
from tests.fakes.telegram_api import FakeTelegramAPI

WEBHOOK = "/telegram/webhook"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "MedSync Test Bot", "username": "medsync_test_bot"}
DATE = 1_796_104_800  # 2026-12-01 06:00 UTC

_update_ids = itertools.count(10_000)
_callback_ids = itertools.count(1)


def sender(user: User | int, **profile: Any) -> dict[str, Any]:
    """The `from` object of an update sent by this user."""
    telegram_id = user if isinstance(user, int) else user.telegram_id
    values = {"id": telegram_id, "is_bot": False, "first_name": "Taras", "last_name": "Shevchenko",
              "username": "taras", "language_code": "en"}
    values.update(profile)
    return values


def private_chat(telegram_id: int) -> dict[str, Any]:
    return {"id": telegram_id, "type": "private", "first_name": "Taras"}


def message_update(user: User | int, text: str | None = None, **fields: Any) -> dict[str, Any]:
    """A private-chat message; a leading /command gets its bot_command entity like in Telegram."""
    author = sender(user)
    message: dict[str, Any] = {"message_id": next(_update_ids), "from": author, "chat": private_chat(author["id"]),
                               "date": DATE}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    message.update(fields)
    return {"update_id": next(_update_ids), "message": message}


def web_app_data_update(user: User | int, data: dict[str, Any] | str) -> dict[str, Any]:
    """What Telegram delivers after the Mini App called Telegram.WebApp.sendData(data)."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return message_update(user, web_app_data={"data": payload, "button_text": "Book an appointment"})


def callback_update(user: User | int, data: str, *, message_id: int = 777) -> dict[str, Any]:
    """A press on an inline button of the bot's message `message_id`."""
    author = sender(user)
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_callback_ids)),
            "from": author,
            "chat_instance": "-4242",
            "data": data,
            "message": {"message_id": message_id, "from": BOT_USER, "chat": private_chat(author["id"]),
                        "date": DATE, "text": "…"},
        },
    }


def chat_member_update(user: User | int, *, old: str, new: str) -> dict[str, Any]:
    """The bot's membership in the user's private chat changed (new="kicked": they blocked it)."""
    author = sender(user)
    member = {"user": BOT_USER, "status": new}
    if new == "kicked":
        member["until_date"] = 0
    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": private_chat(author["id"]), "from": author, "date": DATE,
            "old_chat_member": {"user": BOT_USER, "status": old}, "new_chat_member": member,
        },
    }


@pytest.fixture
def post_update(client: FlaskClient, telegram_api: FakeTelegramAPI) -> Callable[..., TestResponse]:
    """POST an Update to the webhook as Telegram does (with the secret unless told otherwise)."""

    def post(update: dict[str, Any], *, secret: str | None = WEBHOOK_SECRET) -> TestResponse:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = client.post(WEBHOOK, json=update, headers=headers)
        reply = response.get_json(silent=True) or {}
        if response.status_code == 200 and "method" in reply:
            # As Telegram does: perform the method the webhook answered with.
            call = {key: value for key, value in reply.items() if key != "method" and value is not None}
            requests.post(f"{telegram_api.url}/bot{BOT_TOKEN}/{reply['method']}", json=call, timeout=5)
        return response

    return post


def inline_keyboard(call) -> list[list[dict[str, Any]]]:
    """The inline keyboard a recorded sendMessage/editMessageText carried."""
    return call.json("reply_markup")["inline_keyboard"]


def buttons(call) -> list[dict[str, Any]]:
    return [button for row in inline_keyboard(call) for button in row]


def button(call, text: str) -> dict[str, Any]:
    """The button with this exact text; fails listing what there is."""
    found = [item for item in buttons(call) if item["text"] == text]
    assert found, f"no button {text!r}; buttons: {[item['text'] for item in buttons(call)]}"
    return found[0]


@pytest.fixture
def book_many(make_booking: Callable[..., Any], make_doctor: Callable[..., Any]) -> Callable[..., list[Any]]:
    """`count` upcoming bookings for one user with one doctor, an hour apart on consecutive working days."""

    def book(user: User, count: int) -> list[Any]:
        doctor = make_doctor()
        hours = (10, 11, 12, 14, 15, 16, 17)
        starts = [
            next_local_slot(doctor.clinic, days_ahead=day, hour=hour)
            for day in (1, 2, 3, 4) for hour in hours
        ]
        return [make_booking(user=user, doctor=doctor, starts_at=starts_at) for starts_at in starts[:count]]

    return book


@pytest.fixture
def database_work(app) -> Callable[[], Any]:
    """`with database_work() as work: ...`: work["statements"] run and work["checkouts"] of a pooled connection
    (each checkout costs a round trip of its own, the pool's pre-ping, and one for COMMIT/ROLLBACK)."""

    @contextmanager
    def recording() -> Iterator[dict[str, list[Any]]]:
        work: dict[str, list[Any]] = {"statements": [], "checkouts": []}

        def statement(_conn, _cursor, text, *_args) -> None:
            work["statements"].append(text)

        def checkout(*_args) -> None:
            work["checkouts"].append(1)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine.pool, "checkout", checkout)
        try:
            yield work
        finally:
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine.pool, "checkout", checkout)

    return recording

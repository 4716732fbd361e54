"""Staff members bound to Telegram accounts, and the updates staff send: documents, replies, group messages."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import requests

from medsync.extensions import db
from medsync.models import Clinic, Doctor, StaffMember, StaffRole, User
from medsync.services import staff_accounts
from tests.bot.conftest import BOT_USER, DATE, message_update, private_chat, sender
from tests.conftest import BOT_TOKEN
from tests.fakes.telegram_api import FakeTelegramAPI

_ids = itertools.count(50_000)
GROUP_CHAT_ID = -1001234567890


@pytest.fixture
def make_staff(app_context: None, make_user: Callable[..., User], make_clinic: Callable[..., Clinic]):
    """A staff member whose invite was opened by a Telegram account (committed)."""

    def make(role: str = "reception", *, clinics: list[Clinic] | None = None, doctor: Doctor | None = None,
             user: User | None = None, name: str = "Iryna Desk") -> StaffMember:
        user = user or make_user(first_name="Iryna", last_name="Desk")
        if clinics is None:
            clinics = [] if doctor is not None else [make_clinic()]
        member, code = staff_accounts.invite(role=StaffRole(role), clinic_ids=[clinic.id for clinic in clinics],
                                             doctor_id=doctor.id if doctor else None, name=name)
        staff_accounts.bind(code, telegram_id=user.telegram_id, display_name=user.full_name)
        db.session.commit()
        return member

    return make


def card_message(call, chat_id: int) -> dict[str, Any]:
    """The bot's message as Telegram shows it inside reply_to_message: text and inline keyboard."""
    return {"message_id": int(call.params.get("message_id") or call.result["message_id"]), "from": BOT_USER,
            "chat": private_chat(chat_id), "date": DATE, "text": call.params["text"],
            "reply_markup": call.json("reply_markup")}


def uploaded_file(telegram_api: FakeTelegramAPI, content: bytes, name: str) -> dict[str, Any]:
    """A file on Telegram's side (as if a user had sent it): its Document object, with a file_id getFile knows."""
    response = requests.post(f"{telegram_api.url}/bot{BOT_TOKEN}/sendDocument", data={"chat_id": "1"},
                             files={"document": (name, content)}, timeout=5)
    document = response.json()["result"]["document"]
    telegram_api.clear()
    return document


def document_update(member: StaffMember, document: dict[str, Any], *, caption: str | None = None,
                    reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
    """A staff member sends a document in their private chat with the bot."""
    fields: dict[str, Any] = {"document": document}
    if caption is not None:
        fields["caption"] = caption
    if reply_to is not None:
        fields["reply_to_message"] = reply_to
    return message_update(member.telegram_id, **fields)


def group_update(user: User | int, text: str, *, chat_id: int = GROUP_CHAT_ID) -> dict[str, Any]:
    """A command sent in a group chat the bot is in."""
    author = sender(user)
    message = {"message_id": next(_ids), "from": author, "chat": {"id": chat_id, "type": "supergroup",
                                                                   "title": "Clinic staff"},
               "date": DATE, "text": text,
               "entities": [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]}
    return {"update_id": next(_ids), "message": message}

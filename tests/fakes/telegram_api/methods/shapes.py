"""The objects Telegram answers with: the bot's User, a Chat, a new Message."""
from __future__ import annotations

import time
import zlib
from typing import Any

from ..errors import as_int, loads
from ..records import Request
from ..state import BotState

BOT_USERNAME = "medsync_test_bot"


def bot_user(token: str) -> dict[str, Any]:
    prefix = token.split(":", 1)[0]
    return {
        "id": int(prefix) if prefix.isdigit() else 123456789,
        "is_bot": True,
        "first_name": "MedSync Test Bot",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def chat(chat_id: str) -> dict[str, Any]:
    if chat_id.lstrip("-").isdigit():
        cid = int(chat_id)
        if cid > 0:
            return {"id": cid, "type": "private", "first_name": "Patient"}
        return {"id": cid, "type": "supergroup" if chat_id.startswith("-100") else "group", "title": "Group"}
    # "@channelusername"
    return {"id": -1000000000000 - (zlib.crc32(chat_id.encode()) % 10**9), "type": "channel",
            "username": chat_id.lstrip("@"), "title": chat_id}


def new_message(state: BotState, request: Request, message_id: int | None = None) -> dict[str, Any]:
    """A Message the bot sent into the request's chat (a new id unless an edit names it)."""
    params = request.params
    msg: dict[str, Any] = {
        "message_id": state.next_message_id() if message_id is None else message_id,
        "from": bot_user(request.token),
        "chat": chat(params["chat_id"]),
        "date": int(time.time()),
    }
    if "message_thread_id" in params:
        msg["message_thread_id"] = as_int(params["message_thread_id"])
    markup = loads(params.get("reply_markup"))
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        msg["reply_markup"] = markup  # Telegram only echoes inline keyboards
    return msg

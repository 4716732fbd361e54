"""Messages: sendMessage, the edits, copyMessage, and the other sends (location, poll, forward…) in outline."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError, as_int, require
from ..records import Request
from ..state import BotState
from .shapes import new_message

_EDIT_METHODS = frozenset(
    m.lower()
    for m in (
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
    )
)


def _send_message(state: BotState, request: Request) -> dict[str, Any]:
    require(request.params, "chat_id", "Bad Request: chat_id is empty")
    text = request.params.get("text")
    if not text:
        raise ApiError(400, "Bad Request: message text is empty")
    msg = new_message(state, request)
    msg["text"] = text
    return msg


def _edit(state: BotState, request: Request) -> dict[str, Any] | bool:
    params = request.params
    if "chat_id" not in params or "message_id" not in params:
        if "inline_message_id" in params:
            return True
        raise ApiError(400, "Bad Request: message identifier is not specified")
    msg = new_message(state, request, message_id=as_int(params["message_id"]))
    msg["edit_date"] = msg["date"]
    if request.method == "editmessagetext":
        if not params.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        msg["text"] = params["text"]
    elif request.method == "editmessagecaption" and "caption" in params:
        msg["caption"] = params["caption"]
    return msg


def _copy_message(state: BotState, request: Request) -> dict[str, int]:
    require(request.params, "chat_id", "Bad Request: chat_id is empty")
    return {"message_id": state.next_message_id()}


def other_send(state: BotState, request: Request) -> dict[str, Any]:
    """sendLocation, forwardMessage, sendPoll…: a Message in the chat, with the text if one was sent."""
    require(request.params, "chat_id", "Bad Request: chat_id is empty")
    msg = new_message(state, request)
    if "text" in request.params:
        msg["text"] = request.params["text"]
    return msg


HANDLERS: dict[str, Callable[[BotState, Request], Any]] = {
    "sendmessage": _send_message,
    "copymessage": _copy_message,
    **{method: _edit for method in _EDIT_METHODS},
}

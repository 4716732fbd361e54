"""The Bot API methods the fake models, by group; any other method answers True, any other send a Message."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..limits import SEND_METHODS
from ..records import Request
from ..state import BotState
from . import bot, media, messages

_HANDLERS: dict[str, Callable[[BotState, Request], Any]] = {**bot.HANDLERS, **messages.HANDLERS, **media.HANDLERS}


def result(state: BotState, request: Request) -> Any:
    """The ``result`` Telegram answers this call with (raises ApiError for a call it refuses)."""
    handler = _HANDLERS.get(request.method)
    if handler is not None:
        return handler(state, request)
    if request.method in SEND_METHODS:
        return messages.other_send(state, request)
    return True  # unknown / not modelled: ok

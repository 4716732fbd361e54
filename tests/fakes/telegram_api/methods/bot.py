"""The bot's own settings and look-ups: getMe, the webhook, command lists, the menu button, getChat."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import ApiError, as_int, loads, require
from ..records import Request
from ..state import BotState
from .shapes import bot_user, chat

# Methods answered with a bare True (setWebhook and deleteWebhook also change the state, below).
_TRUE_METHODS = frozenset(
    m.lower()
    for m in (
        "answerCallbackQuery",
        "setChatMenuButton",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "deleteMessage",
        "deleteMessages",
        "sendChatAction",
        "answerInlineQuery",
        "answerWebAppQuery",
        "answerPreCheckoutQuery",
        "answerShippingQuery",
        "logOut",
        "close",
    )
)

_SCOPE_TYPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
                          "chat_administrators", "chat_member"})


def scope_key(scope: Any) -> str:
    """A BotCommandScope as canonical JSON (chat ids as integers), checked as Telegram checks it."""
    scope = scope or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
        raise ApiError(400, "Bad Request: can't parse BotCommandScope")
    if scope["type"].startswith("chat"):
        try:
            scope = {**scope, "chat_id": int(scope["chat_id"])}
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat_id is empty") from None
    return json.dumps(scope, sort_keys=True)


def _is_command(item: Any) -> bool:
    """A BotCommand as Telegram takes it: 1-32 of a-z 0-9 _, and a description of 1-256 characters."""
    if not isinstance(item, dict):
        return False
    command, description = item.get("command"), item.get("description")
    return (isinstance(command, str) and 1 <= len(command) <= 32
            and all(ch.islower() or ch.isdigit() or ch == "_" for ch in command) and command.isascii()
            and isinstance(description, str) and 1 <= len(description) <= 256)


def _commands_key(request: Request) -> tuple[str, str]:
    return scope_key(loads(request.params.get("scope"))), request.params.get("language_code", "")


def _set_webhook(state: BotState, request: Request) -> bool:
    params = request.params
    state.webhook = {"url": params.get("url", "")}
    for k in ("max_connections", "allowed_updates", "ip_address"):
        if k in params:
            state.webhook[k] = loads(params[k]) if k == "allowed_updates" else params[k]
    return True


def _delete_webhook(state: BotState, _request: Request) -> bool:
    state.webhook = {"url": ""}
    return True


def _webhook_info(state: BotState, _request: Request) -> dict[str, Any]:
    info: dict[str, Any] = {"url": state.webhook.get("url", ""), "has_custom_certificate": False,
                            "pending_update_count": 0}
    if "max_connections" in state.webhook:
        info["max_connections"] = as_int(state.webhook["max_connections"])
    if "allowed_updates" in state.webhook:
        info["allowed_updates"] = state.webhook["allowed_updates"]
    return info


def _set_commands(state: BotState, request: Request) -> bool:
    commands = loads(request.params.get("commands"))
    if not isinstance(commands, list) or len(commands) > 100 or not all(map(_is_command, commands)):
        raise ApiError(400, "Bad Request: invalid bot commands specified")
    state.commands[_commands_key(request)] = [
        {"command": item["command"], "description": item["description"]} for item in commands]
    return True


def _delete_commands(state: BotState, request: Request) -> bool:
    state.commands.pop(_commands_key(request), None)
    return True


def _get_commands(state: BotState, request: Request) -> list[dict[str, str]]:
    return list(state.commands.get(_commands_key(request), []))


def _get_chat(_state: BotState, request: Request) -> dict[str, Any]:
    require(request.params, "chat_id")
    return {**chat(request.params["chat_id"]), "accent_color_id": 0, "max_reaction_count": 11}


HANDLERS: dict[str, Callable[[BotState, Request], Any]] = {
    **{method: lambda _state, _request: True for method in _TRUE_METHODS},
    "getme": lambda _state, request: bot_user(request.token),
    "setwebhook": _set_webhook,
    "deletewebhook": _delete_webhook,
    "getwebhookinfo": _webhook_info,
    "getupdates": lambda _state, _request: [],
    "setmycommands": _set_commands,
    "deletemycommands": _delete_commands,
    "getmycommands": _get_commands,
    "getchatmenubutton": lambda _state, _request: {"type": "default"},
    "getchat": _get_chat,
}

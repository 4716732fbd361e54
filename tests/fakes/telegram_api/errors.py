"""Telegram's refusals: the error answer's shape, its descriptions, and parameters read the way Telegram refuses them."""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

#: Telegram's descriptions for the failures the app has to handle.
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BOT_BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A call Telegram refuses: answered with the error payload and this HTTP status."""

    def __init__(self, status: int, description: str | None = None, retry_after: int | None = None):
        super().__init__(status, description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        return error_payload(self.status, self.description, self.retry_after)


def error_payload(status: int, description: str | None, retry_after: int | None) -> dict[str, Any]:
    if status == 429 and retry_after is None:
        retry_after = 1
    if description is None:
        if status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        else:
            description = _DEFAULT_DESCRIPTIONS.get(status)
            if description is None:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = "Error"
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return payload


def require(params: dict[str, str], name: str, description: str | None = None) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, description or f"Bad Request: {name} is empty")
    return value


def as_int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid integer value {value!r}") from None


def loads(value: str | None) -> Any:
    """A JSON-serialized parameter (reply_markup, scope, media…); None when absent or not JSON."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None

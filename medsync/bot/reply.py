"""The one Bot API method a webhook may answer with, in its HTTP response, instead of a separate call."""
from __future__ import annotations

from typing import Any

from flask import request

_KEY = "medsync.telegram_webhook_reply"


class WebhookReply:
    """Per request: set by a handler, returned by the webhook once the update is handled."""

    def get(self) -> dict[str, Any] | None:
        return request.environ.get(_KEY)

    def set(self, method_call: dict[str, Any]) -> None:
        request.environ[_KEY] = method_call

    def take(self) -> dict[str, Any] | None:
        return request.environ.pop(_KEY, None)


webhook_reply = WebhookReply()

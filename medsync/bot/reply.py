"""The one Bot API method a webhook may answer with, in its HTTP response, instead of a separate call."""
from __future__ import annotations

from typing import Any

from flask import request
from telebot.types import Update

from medsync.bot import texts

_KEY = "medsync.telegram_webhook_reply"
_ANSWERED = "medsync.telegram_press_answered"


class WebhookReply:
    """Per request: set by a handler, returned by the webhook once the update is handled."""

    def get(self) -> dict[str, Any] | None:
        return request.environ.get(_KEY)

    def set(self, method_call: dict[str, Any]) -> None:
        request.environ[_KEY] = method_call

    def take(self) -> dict[str, Any] | None:
        return request.environ.pop(_KEY, None)

    def note_answered(self) -> None:
        """A handler answered the button press with a call of its own (not in the webhook's response)."""
        request.environ[_ANSWERED] = True

    def take_for(self, update: Update) -> dict[str, Any] | None:
        """What the handlers left for the response; for a button press none of them answered, an empty answer: a
        press is always answered, so its spinner stops."""
        return self.take() or self._unanswered_press(update, None)

    def take_after_failure(self, update: Update) -> dict[str, Any] | None:
        """A handler failed (its work rolled back): whatever it left may not be true any more; a button press it
        had not answered yet is told something went wrong."""
        self.take()
        return self._unanswered_press(update, texts.SOMETHING_WENT_WRONG)

    def _unanswered_press(self, update: Update, text: str | None) -> dict[str, Any] | None:
        if update.callback_query is None or request.environ.get(_ANSWERED):
            return None
        return answer_call(update.callback_query.id, text)


def answer_call(callback_query_id: str, text: str | None = None, alert: bool = False) -> dict[str, Any]:
    """answerCallbackQuery as a method in the webhook's response."""
    return {"method": "answerCallbackQuery", "callback_query_id": callback_query_id,
            "text": None if text is None else str(text), "show_alert": alert}


webhook_reply = WebhookReply()

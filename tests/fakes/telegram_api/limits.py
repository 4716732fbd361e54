"""Refusals on demand (fail_next, fail_chat) and Telegram's flood limits, checked before a call is answered."""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass

from .errors import ApiError

#: Methods that count against Telegram's flood limits when ``enforce_limits`` is on
#: (compared case-insensitively, like Telegram resolves method names).
SEND_METHODS = frozenset(
    m.lower()
    for m in (
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendVideoNote",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendInvoice",
        "sendPaidMedia",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )
)


@dataclass
class FailRule:
    method: str | None  # lower-cased, None = any method
    status: int
    description: str | None
    retry_after: int | None
    remaining: int


class Failures:
    """The refusals tests asked for: the next calls to a method, or every call for a chat."""

    def __init__(self) -> None:
        self.rules: list[FailRule] = []
        self.chats: dict[str, tuple[int, str | None]] = {}

    def clear(self) -> None:
        self.rules.clear()
        self.chats.clear()

    def check(self, method: str, chat_id: str | None) -> None:
        """Raise the refusal due for this call, consuming a rule."""
        if chat_id is not None and chat_id in self.chats:
            status, description = self.chats[chat_id]
            raise ApiError(status, description)
        for rule in self.rules:
            if rule.method is None or rule.method == method:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                raise ApiError(rule.status, rule.description, rule.retry_after)


class FloodLimits:
    """Telegram's limits as sliding windows: so many sends per window overall and per chat; 429 beyond."""

    def __init__(self, global_rate: int, per_chat_rate: int, window: float) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.window = window
        self.sent: collections.deque[float] = collections.deque()
        self.sent_by_chat: dict[str, collections.deque[float]] = {}

    def clear(self) -> None:
        self.sent.clear()
        self.sent_by_chat.clear()

    def check(self, method: str, chat_id: str | None) -> None:
        """Count a send, or raise 429 when it is one too many."""
        if method not in SEND_METHODS:
            return
        now = time.monotonic()
        horizon = now - self.window
        sent = self.sent
        while sent and sent[0] <= horizon:
            sent.popleft()
        chat_sent = None
        if chat_id is not None:
            chat_sent = self.sent_by_chat.setdefault(chat_id, collections.deque())
            while chat_sent and chat_sent[0] <= horizon:
                chat_sent.popleft()
        if len(sent) >= self.global_rate or (chat_sent is not None and len(chat_sent) >= self.per_chat_rate):
            raise ApiError(429, None, 1)
        sent.append(now)
        if chat_sent is not None:
            chat_sent.append(now)

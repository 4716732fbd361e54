"""One Telegram rate limiter for every worker, kept in Redis: TELEGRAM_RATE sends/s overall, TELEGRAM_CHAT_RATE per
chat, TELEGRAM_GROUP_RATE a minute per group chat.

Each send reserves its own time slot with one atomic Lua script (Redis's clock, so workers on
different machines agree): slots overall are spaced 1/TELEGRAM_RATE apart, a private chat's slots
1/TELEGRAM_CHAT_RATE apart, a group's 60/TELEGRAM_GROUP_RATE apart (groups have negative ids). A worker
sleeps until its slot and then sends. After a 429 the limiter is paused for Telegram's retry_after, so
every worker slows down, not just the one hit.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from medsync import metrics
from medsync.config import Settings

if TYPE_CHECKING:
    from telebot.apihelper import ApiTelegramException

# Telegram counts arrivals in its own one-second windows; a little spacing to spare absorbs
# network jitter between the slot and the moment the request reaches Telegram.
SAFETY_MARGIN = 1.05
# A slot we wake up later than this for is given back: sending late would bunch up with later slots.
LATE_TOLERANCE = 0.015

_KEY_PREFIX = "medsync:telegram-rate"

# KEYS: overall next free slot, chat next free slot, pause-until. ARGV: overall and chat spacing (µs),
# the longest wait a caller accepts (µs). Returns {granted (1|0), wait µs}: granted means the slot is
# reserved `wait` µs from now; not granted means "nothing reserved, ask again in `wait` µs".
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local overall_next = tonumber(redis.call('GET', KEYS[1]) or '0')
local chat_next = tonumber(redis.call('GET', KEYS[2]) or '0')
local paused_until = tonumber(redis.call('GET', KEYS[3]) or '0')
local slot = math.max(now, overall_next, paused_until)
if chat_next > slot then
  return {0, chat_next - now}
end
if slot - now > tonumber(ARGV[3]) then
  return {0, slot - now}
end
local overall_spacing = tonumber(ARGV[1])
local chat_spacing = tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%d', slot + overall_spacing), 'PX', math.ceil((slot - now + overall_spacing) / 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%d', slot + chat_spacing), 'PX', math.ceil((slot - now + chat_spacing) / 1000) + 1000)
return {1, slot - now}
"""

# KEYS: pause-until. ARGV: seconds. Extends (never shortens) the pause.
_PAUSE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local until_at = now + tonumber(ARGV[1]) * 1000000
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_at > current then
  redis.call('SET', KEYS[1], string.format('%d', until_at), 'PX', tonumber(ARGV[1]) * 1000 + 1000)
end
return 1
"""


def chat_key(chat_id: int) -> str:
    """The key holding a chat's next free slot."""
    return f"{_KEY_PREFIX}:chat:{chat_id}"


def retry_after(refusal: ApiTelegramException) -> int:
    """The seconds a 429 asks every sender to wait: Telegram's parameters.retry_after, or 1 when it names none."""
    parameters = (refusal.result_json or {}).get("parameters") or {}
    return int(parameters.get("retry_after") or 1)


@dataclass(frozen=True)
class Reservation:
    """A slot: `granted` means send after `wait` seconds; otherwise nothing is reserved, come back in `wait`."""

    granted: bool
    wait: float


class TelegramRateLimiter:
    """The shared limiter; cheap to create, all state lives in Redis."""

    def __init__(self, client: redis.Redis, *, rate: int, chat_rate: int, group_rate_per_minute: int = 20,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._overall_spacing = round(1_000_000 * SAFETY_MARGIN / rate)
        self._chat_spacing = round(1_000_000 * SAFETY_MARGIN / chat_rate)
        self._group_spacing = round(60_000_000 * SAFETY_MARGIN / group_rate_per_minute)
        self._reserve = client.register_script(_RESERVE)
        self._pause = client.register_script(_PAUSE)
        self._sleep = sleep

    @classmethod
    def from_settings(cls, client: redis.Redis, settings: Settings) -> TelegramRateLimiter:
        return cls(client, rate=settings.TELEGRAM_RATE, chat_rate=settings.TELEGRAM_CHAT_RATE,
                   group_rate_per_minute=settings.TELEGRAM_GROUP_RATE)

    def reserve(self, chat_id: int, *, max_wait: float) -> Reservation:
        """Reserve the next slot for a send to this chat, unless it is more than `max_wait` seconds away."""
        keys = [f"{_KEY_PREFIX}:overall", chat_key(chat_id), f"{_KEY_PREFIX}:paused"]
        chat_spacing = self._group_spacing if chat_id < 0 else self._chat_spacing
        granted, wait = self._reserve(
            keys=keys, args=[self._overall_spacing, chat_spacing, round(max_wait * 1_000_000)]
        )
        return Reservation(bool(granted), int(wait) / 1_000_000)

    def wait_for_turn(self, chat_id: int, *, max_wait: float) -> float | None:
        """Sleep until this chat may be sent to now; None when it may, else the seconds to come back after.

        Gives up (returning the wait) only when the turn is more than `max_wait` seconds away. The time waited either
        way is counted (medsync_telegram_limiter_wait_seconds).
        """
        started = time.monotonic()
        deadline = started + max_wait
        while True:
            remaining = max(deadline - time.monotonic(), 0.0)
            asked_at = time.monotonic()
            reservation = self.reserve(chat_id, max_wait=remaining)
            if not reservation.granted:
                if reservation.wait > remaining:
                    metrics.limiter_wait(chat_id, time.monotonic() - started)
                    return reservation.wait
                self._sleep(reservation.wait)  # the chat's own turn comes first; then ask for a slot again
                continue
            self._sleep(reservation.wait)
            # Woken too late (a busy machine): the slot has passed, take a fresh one instead.
            if time.monotonic() - asked_at - reservation.wait <= LATE_TOLERANCE:
                metrics.limiter_wait(chat_id, time.monotonic() - started)
                return None

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        self._pause(keys=[f"{_KEY_PREFIX}:paused"], args=[max(1, int(seconds + 0.999))])

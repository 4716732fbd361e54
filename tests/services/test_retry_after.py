"""How long Telegram's 429 asks everyone to wait: read in one place for every sender."""
from __future__ import annotations

from telebot.apihelper import ApiTelegramException

from medsync.services.ratelimit import retry_after


def _refusal(**answer) -> ApiTelegramException:
    return ApiTelegramException("sendMessage", None, {"ok": False, "error_code": 429,
                                                      "description": "Too Many Requests", **answer})


def test_a_429_waits_the_seconds_telegram_names_and_one_when_it_names_none():
    assert retry_after(_refusal(parameters={"retry_after": 7})) == 7
    assert retry_after(_refusal(parameters={})) == 1
    assert retry_after(_refusal()) == 1

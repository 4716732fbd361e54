"""The shared limiter spaces a group chat's messages by Telegram's 20 a minute, private chats by 1 a second."""
from __future__ import annotations

from medsync.extensions import redis_client
from medsync.services.ratelimit import TelegramRateLimiter

GROUP = -1001234567890


def test_a_group_chat_gets_a_slot_every_three_seconds_while_private_chats_go_on(app_context):
    limiter = TelegramRateLimiter(redis_client.client, rate=30, chat_rate=1, group_rate_per_minute=20)

    first = limiter.reserve(GROUP, max_wait=0)
    same_group = limiter.reserve(GROUP, max_wait=5)
    private = limiter.reserve(42, max_wait=1)

    assert first.granted and first.wait == 0
    # Nothing is reserved for the group until its turn: the caller comes back in a little over 3 s.
    assert not same_group.granted and 3.0 < same_group.wait <= 60 * 1.05 / 20
    assert private.granted and private.wait < 0.1

"""Questions the bot asked a staff member to answer by replying (ForceReply): which visit a prompt is about.

Bot conversation state lives in Redis (DESIGN): a prompt that is lost or older than a day is simply
no longer answered; the member opens the visit again.
"""
from __future__ import annotations

from medsync.extensions import redis_client

PROMPT_TTL = 24 * 3600


def _key(chat_id: int, message_id: int) -> str:
    return f"medsync:staff:cancel-reason:{chat_id}:{message_id}"


def remember(chat_id: int, message_id: int, booking_id: int) -> None:
    """The prompt `message_id` asks for the reason to cancel `booking_id`."""
    redis_client.set(_key(chat_id, message_id), booking_id, ex=PROMPT_TTL)


def is_open(chat_id: int, message_id: int) -> bool:
    """Is `message_id` a prompt still waiting for its answer?"""
    return bool(redis_client.exists(_key(chat_id, message_id)))


def take(chat_id: int, message_id: int) -> int | None:
    """The visit the prompt asked about, once (a second reply finds nothing)."""
    value = redis_client.getdel(_key(chat_id, message_id))
    return int(value) if value is not None else None

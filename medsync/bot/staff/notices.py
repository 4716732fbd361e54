"""Outbox rows for staff rendered as Telegram messages: "your result was delivered", and a staff group's digest."""
from __future__ import annotations

from medsync.bot.staff import texts
from medsync.models import MessageKind, OutboxMessage
from medsync.services import staff_groups

STAFF_KINDS = (MessageKind.STAFF_NOTICE.value, MessageKind.STAFF_DIGEST.value)


def render_text(message: OutboxMessage) -> str:
    """The text of a staff outbox row (digests are read from their events when they are sent)."""
    if message.kind == MessageKind.STAFF_DIGEST.value:
        return texts.digest(staff_groups.digest_events(message.id))
    return texts.result_delivered(message.booking)

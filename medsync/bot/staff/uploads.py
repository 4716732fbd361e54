"""PDFs sent with a visit's number as the caption, waiting for the member to confirm the patient named back to them.

Bot conversation state lives in Redis (DESIGN): only Telegram's file_id is kept, never the file; an upload not
confirmed within UPLOAD_TTL is forgotten and the member sends it again.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass

from medsync.extensions import redis_client

UPLOAD_TTL = 3600
_TOKEN = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Upload:
    """A document a staff member sent for a visit."""

    booking_id: int
    file_id: str
    file_name: str


def _key(chat_id: int, token: str) -> str:
    return f"medsync:staff:upload:{chat_id}:{token}"


def keep(chat_id: int, upload: Upload) -> str:
    """Keep the upload until it is confirmed; returns the token its buttons carry."""
    token = secrets.token_hex(8)
    redis_client.set(_key(chat_id, token), json.dumps(asdict(upload)), ex=UPLOAD_TTL)
    return token


def take(chat_id: int, token: str) -> Upload | None:
    """The upload waiting under this token in this chat, once (a second press finds nothing)."""
    if not _TOKEN.fullmatch(token or ""):
        return None  # callback data can be forged
    value = redis_client.getdel(_key(chat_id, token))
    return Upload(**json.loads(value)) if value is not None else None

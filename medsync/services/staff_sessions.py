"""Browser sessions of the staff pages: opened by a Telegram Login Widget sign-in, kept in Redis.

The cookie holds only a random token; Redis keeps, under the token's SHA-256, which staff member it is and the
session's CSRF token, for STAFF_SESSION_TTL. A lost Redis only means signing in again. Whether the member is still
active staff is asked on every request (medsync.api.access), so a revoked member's session ends at once.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from medsync.config import current_settings
from medsync.extensions import redis_client

_KEY = "staff-session:{}"


@dataclass(frozen=True)
class StaffSession:
    member_id: int
    csrf_token: str


def open_session(member_id: int) -> tuple[str, StaffSession]:
    """A new session for this member: the cookie's token (never stored in the clear) and the session."""
    token = secrets.token_urlsafe(32)
    session = StaffSession(member_id=member_id, csrf_token=secrets.token_urlsafe(32))
    redis_client.set(_key(token), json.dumps({"member": member_id, "csrf": session.csrf_token}),
                     ex=int(current_settings().STAFF_SESSION_TTL.total_seconds()))
    return token, session


def session_of(token: str | None) -> StaffSession | None:
    """The live session this cookie token opens; None for an unknown, expired or closed one."""
    if not token or len(token) > 128:
        return None
    stored = redis_client.get(_key(token))
    if stored is None:
        return None
    values = json.loads(stored)
    return StaffSession(member_id=int(values["member"]), csrf_token=str(values["csrf"]))


def close_session(token: str | None) -> None:
    """Sign out: the token opens nothing any more."""
    if token and len(token) <= 128:
        redis_client.delete(_key(token))


def _key(token: str) -> str:
    return _KEY.format(hashlib.sha256(token.encode()).hexdigest())

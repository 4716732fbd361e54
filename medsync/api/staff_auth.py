"""Staff authentication: `Authorization: Bearer <staff token>` on every staff route."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from medsync.errors import Unauthorized
from medsync.extensions import db
from medsync.models import StaffToken
from medsync.services import staff_tokens

SECURITY_SCHEME = "bearer"  # declared with the API in medsync.api


def require_staff_token() -> None:
    """before_request of the staff blueprint: 401 unless the bearer token is a live staff token."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_("A staff token is required: Authorization: Bearer <token>."))
    g.staff_token = staff_tokens.authenticate(token.strip())
    # last_used_at is bookkeeping of its own; it must not wait for (or depend on) the request's commit.
    db.session.commit()


def current_staff() -> StaffToken:
    return g.staff_token


def actor_id() -> str:
    """How staff actions are signed in the audit trail: the token's id (names are labels, not unique)."""
    return f"staff-token:{current_staff().id}"

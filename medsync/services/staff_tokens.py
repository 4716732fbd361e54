"""Staff API tokens: issued once in the clear, stored only as their SHA-256."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from medsync import clock
from medsync.errors import InvalidRequest, NotFound, Unauthorized
from medsync.extensions import db
from medsync.models import StaffRole, StaffToken
from medsync.models.staff import TOKEN_ROLES
from medsync.services import staff_accounts

# Writing last_used_at on every request would make every read a write; a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class StaffTokenNotFound(NotFound):
    default_message = _l("No active staff token with this name or id.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(name: str, *, role: StaffRole | None = None, clinic_ids: Collection[int] = ()) -> tuple[StaffToken, str]:
    """Create a token for `name`; returns the row and the token, which is never stored or shown again.

    With a role (reception or admin) the token acts as that role at the named clinics only; without one it keeps
    the first meaning of a staff token: the staff endpoints at every clinic, no administration.
    """
    name = name.strip()
    if not name or name.isdigit():
        raise InvalidRequest("A staff token needs a name (not just digits: those mean token ids).")
    if role is None and clinic_ids:
        raise InvalidRequest("A token without --role acts for every clinic: give it a role to limit it to clinics.")
    if role is not None and role not in TOKEN_ROLES:
        raise InvalidRequest(f"A staff token's role is one of: {', '.join(r.value for r in TOKEN_ROLES)}.")
    clinics = staff_accounts.clinics_named(clinic_ids) if role is not None else []
    token = secrets.token_urlsafe(32)
    row = StaffToken(name=name[:120], token_hash=hash_token(token), role=role.value if role else None,
                     clinics=clinics)
    db.session.add(row)
    db.session.flush()
    return row, token


def revoke(name_or_id: str, *, now: datetime | None = None) -> list[StaffToken]:
    """Revoke the active token with this id (digits), or every active token with this name."""
    name_or_id = name_or_id.strip()
    condition = StaffToken.id == int(name_or_id) if name_or_id.isdigit() else StaffToken.name == name_or_id
    rows = list(db.session.scalars(select(StaffToken).where(condition, StaffToken.revoked_at.is_(None))))
    if not rows:
        raise StaffTokenNotFound()
    for row in rows:
        row.revoked_at = now or clock.now()
    db.session.flush()
    return rows


def authenticate(token: str) -> StaffToken:
    """The active token row for this bearer token (its clinics read with it: one query), or Unauthorized."""
    digest = hash_token(token)
    row = db.session.scalars(
        select(StaffToken).options(joinedload(StaffToken.clinics)).where(StaffToken.token_hash == digest)
    ).unique().one_or_none()
    # Looked up by the token's SHA-256: timing can only tell about a hash, which reveals nothing of a token.
    if row is None or row.revoked_at is not None:
        raise Unauthorized(_("A valid staff token is required."))
    return row


def note_used(row: StaffToken, *, now: datetime | None = None) -> bool:
    """Write when the token was last used, at most once per LAST_USED_PRECISION; whether it wrote."""
    now = now or clock.now()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_PRECISION:
        return False
    db.session.execute(update(StaffToken).where(StaffToken.id == row.id).values(last_used_at=now))
    return True

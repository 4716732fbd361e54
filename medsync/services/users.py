"""Telegram users, created or refreshed from every verified contact."""
from __future__ import annotations

from functools import cache

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import Insert, insert

from medsync.extensions import db
from medsync.models import User


def upsert_user(
    telegram_id: int,
    *,
    first_name: str = "",
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> User:
    """Insert the user or refresh their profile from what Telegram says about them."""
    values = {
        "telegram_id": telegram_id,
        "first_name": (first_name or "")[:128],
        "last_name": last_name[:128] if last_name else None,
        "username": username[:64] if username else None,
        "language_code": language_code[:16] if language_code else None,
    }
    # One round trip: the row as written comes back (RETURNING) instead of being read again.
    return db.session.scalars(_upsert_statement(), values).one()


@cache
def _upsert_statement() -> Insert:
    """Built once (values bound at execution): building and keying a statement costs more than running it."""
    statement = insert(User)
    return (
        statement.on_conflict_do_update(
            index_elements=[User.telegram_id],
            set_={**{key: statement.excluded[key] for key in _PROFILE}, "updated_at": func.now()},
        )
        .returning(User)
        .execution_options(populate_existing=True)
    )


_PROFILE = ("first_name", "last_name", "username", "language_code")


def set_reachable(telegram_id: int, reachable: bool) -> None:
    """Record whether the bot can write to this user (they blocked or unblocked it)."""
    db.session.query(User).filter(User.telegram_id == telegram_id).update(
        {User.reachable: reachable, User.updated_at: func.now()}, synchronize_session=False
    )

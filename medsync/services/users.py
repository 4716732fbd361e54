"""Telegram users, created or refreshed from every verified contact."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from typing import Any

import redis
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm.util import identity_key

from medsync.extensions import db, redis_client
from medsync.prepared import PreparedStatement
from medsync.models import User


log = logging.getLogger(__name__)

# What the webhook remembers of each sender's row: the profile it holds and the language they chose (see
# medsync.bot.handlers.users). Only a hint: the row in PostgreSQL is the truth.
SENDER_HINT_KEY = "medsync:telegram:sender:{}"
# The chat's newest update, by which a reply queued for later knows it went stale (medsync.bot.replies).
CHAT_NEWEST_KEY = "medsync:telegram:chat:{}:newest-update"


def redis_keys_of(telegram_id: int) -> list[str]:
    """Every Redis key named after this user's id (erasing them removes these; medsync.services.erasure)."""
    return [SENDER_HINT_KEY.format(telegram_id), CHAT_NEWEST_KEY.format(telegram_id)]


@dataclass(frozen=True)
class Profile:
    """A user row's values from what Telegram says about them, cut to the columns' lengths."""

    telegram_id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @classmethod
    def of(cls, telegram_id: int, *, first_name: str | None = "", last_name: str | None = None,
           username: str | None = None, language_code: str | None = None) -> Profile:
        return cls(telegram_id, (first_name or "")[:128], last_name[:128] if last_name else None,
                   username[:64] if username else None, language_code[:16] if language_code else None)

    def values(self, prefix: str = "") -> dict[str, Any]:
        return {f"{prefix}{name}": value for name, value in asdict(self).items()}

    @property
    def fields(self) -> list[str | None]:
        """What a user row holds of the profile, in column order (the webhook's hint keeps this list)."""
        return [self.first_name, self.last_name, self.username, self.language_code]

    def held_by(self, user: User | None) -> bool:
        """Does this user row hold exactly this profile already?"""
        return user is not None and [user.first_name, user.last_name, user.username, user.language_code] == self.fields


def write_profile(profile: Profile) -> None:
    """Insert the user or refresh their profile (one statement; a booking writes it in its own: `upsert`)."""
    # No RETURNING: every caller knows the id, and loading the row as a User through the ORM cost several times
    # the statement itself.
    _UPSERT.execute(db.session, profile.values("profile_"))
    profile_written(profile.telegram_id)


def upsert() -> Insert:
    """The user's row inserted, or refreshed from their profile: the statement on its own (`write_profile`) and a CTE
    of a booking's. Its values are bound as :profile_<field> (`Profile.values("profile_")`)."""
    users = User.__table__
    profile = [field.name for field in fields(Profile)]
    row = select(*(bindparam(f"profile_{name}", type_=users.c[name].type) for name in profile))
    statement = insert(users).from_select(profile, row, include_defaults=False)  # the rest: the table's defaults
    refreshed = {name: statement.excluded[name] for name in profile if name != "telegram_id"}
    return statement.on_conflict_do_update(
        index_elements=[users.c.telegram_id], set_={**refreshed, "updated_at": func.now()}
    )


_UPSERT = PreparedStatement.of_query("medsync_upsert_user", upsert())


def profile_written(telegram_id: int) -> None:
    """After a statement wrote the user's profile: a User this session already holds reads it when next used."""
    known = db.session.identity_map.get(identity_key(User, telegram_id))
    if known is not None:
        db.session.expire(known)


def set_reachable(telegram_id: int, reachable: bool) -> None:
    """Record whether the bot can write to this user (they blocked or unblocked it)."""
    db.session.query(User).filter(User.telegram_id == telegram_id).update(
        {User.reachable: reachable, User.updated_at: func.now()}, synchronize_session=False
    )


def forget_sender_hint(telegram_id: int) -> None:
    """After a commit that changed the user's row behind the webhook's back (their choice of language in the Mini
    App): the bot reads the row again on their next update."""
    try:
        redis_client.delete(SENDER_HINT_KEY.format(telegram_id))
    except redis.RedisError:
        log.warning("a sender's hint could not be dropped, Redis is unavailable; the bot reads their old language "
                    "until their profile changes or the hint expires")

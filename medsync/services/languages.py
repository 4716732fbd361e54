"""Whose language a text is written in: a user's own choice, else their Telegram's; a staff group's, the admin's who
made it one. Asked when the text is written, so a message follows its recipient, not the request that caused it."""
from __future__ import annotations

from sqlalchemy import func, select, update

from medsync.extensions import db
from medsync.i18n import DEFAULT_LANGUAGE, LANGUAGES, user_language
from medsync.models import ClinicStaffGroup, StaffMember, User
from medsync.services import staff_accounts, users


def choose(telegram_id: int, language: str) -> None:
    """Store a user's choice (their row exists: the bot and the API write it before anything else). A staff member's
    chat gets its command list again, in the language chosen."""
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not one of our languages")
    db.session.execute(update(User).where(User.telegram_id == telegram_id)
                       .values(language=language, updated_at=func.now()))
    users.profile_written(telegram_id)
    staff_accounts.language_changed(telegram_id)


def choice_of(telegram_id: int) -> str | None:
    """The language a user chose themselves, if they did (one primary-key read)."""
    return db.session.scalar(select(User.language).where(User.telegram_id == telegram_id))


def of_user(telegram_id: int, language_code: str | None) -> str:
    """The language of a user known by their Telegram id and the language_code their Telegram gives now."""
    return user_language(choice_of(telegram_id), language_code)


def of_chat(chat_id: int, user: User | None = None) -> str:
    """The language of a message to a chat: a private chat's user's (`user` when the caller has already read the
    row); a staff group's is the language of the admin who made it one, most recently."""
    user = user or db.session.get(User, chat_id)
    if user is not None:
        return user.reading_language
    admin = db.session.execute(
        select(User.language, User.language_code)
        .join(StaffMember, StaffMember.telegram_id == User.telegram_id)
        .join(ClinicStaffGroup, ClinicStaffGroup.set_by == StaffMember.id)
        .where(ClinicStaffGroup.chat_id == chat_id)
        .order_by(ClinicStaffGroup.set_at.desc()).limit(1)
    ).first()
    return user_language(*admin) if admin is not None else DEFAULT_LANGUAGE

"""Telegram users: patients are known by their Telegram id."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String, func
from sqlalchemy.orm import Mapped, mapped_column

from medsync.extensions import db
from medsync.i18n import user_language


class User(db.Model):
    __tablename__ = "users"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    language_code: Mapped[str | None] = mapped_column(String(16))
    # The language the user chose themselves (medsync.i18n.LANGUAGES); until then, their Telegram's decides.
    language: Mapped[str | None] = mapped_column(String(8))
    # False once the user blocked the bot (403 or my_chat_member "kicked"); messages are not attempted.
    reachable: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    @property
    def reading_language(self) -> str:
        """The language texts to this user are written in: their choice, else their Telegram's, else English."""
        return user_language(self.language, self.language_code)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

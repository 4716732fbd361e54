"""What the staff handlers share: who is asking (from the database, on every update), committing a change before
anyone is told of it, and reading dates."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

import telebot
from telebot import util
from telebot.types import CallbackQuery, Message

from medsync.bot.handlers import menu
from medsync.bot.handlers.common import fields
from medsync.extensions import db
from medsync.models import StaffMember
from medsync.services import staff_accounts

_KEY_DAY = re.compile(r"\d{8}")
T = TypeVar("T")


def member_of(user_id: int) -> StaffMember | None:
    """The active staff member behind this Telegram account, read afresh: a revocation counts at once."""
    return staff_accounts.active_member(user_id)


def committed(change: Callable[[], T]) -> T:
    """Make the change in a savepoint and commit it: staff are told only what is committed. A refused change (a
    domain error) leaves nothing, and the update's session stays usable for the answer."""
    with db.session.begin_nested():
        done = change()
    db.session.commit()
    return done


def as_patient(message: Message, bot: telebot.TeleBot) -> None:
    """A staff command from someone who is not staff: the ordinary patient menu, revealing nothing."""
    menu.send_welcome(message, bot)


def command_argument(message: Message) -> str:
    """What came after the command, trimmed ("" for nothing)."""
    return (util.extract_arguments(message.text or "") or "").strip()


def callback_day(text: str | None) -> date | None:
    """A day from callback data (YYYYMMDD; a client can forge it), or None."""
    return _parse(text or "", _KEY_DAY, "%Y%m%d")


def _parse(text: str, shape: re.Pattern[str], layout: str) -> date | None:
    if not shape.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, layout).date()
    except ValueError:
        return None


def member_and_data(call: CallbackQuery, factory) -> tuple[StaffMember, dict[str, str]] | None:
    """The presser as a staff member and the callback data's fields; None for anyone else or foreign data."""
    data = fields(factory, call)
    member = member_of(call.from_user.id) if data is not None else None
    return (member, data) if member is not None else None

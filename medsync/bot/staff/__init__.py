"""Clinic staff in the same bot: invites, the day's visits, visit cards, results, reminder runs, the staff group.

Registered before the patients' handlers: an invite is a /start deep link, and the staff group's
membership changes must not reach the patients' my_chat_member handler.
"""
from __future__ import annotations

import telebot


def register(bot: telebot.TeleBot) -> None:
    """Register every staff handler."""
    from medsync.bot.staff import agenda, cancellations, find, groups, invites, remind, results, to_call, visits

    for module in (invites, agenda, visits, cancellations, find, to_call, results, remind, groups):
        module.register(bot)

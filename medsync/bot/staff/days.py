"""A day as the desk types it after /agenda: "tomorrow", "friday", "08.12", "8 Dec", "December 8", "2026-12-08".

Strict on purpose: anything else (or an impossible date such as 31.02) is None, and the member gets the forms
that work; what was understood is named back in the answer. Month and weekday names come from Babel's CLDR data,
so another language needs its locale, not new code. A day and month without a year mean the date in the year
that puts it closest to today: the desk looks a few days back as often as ahead.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import get_day_names, get_month_names

from medsync.bot.staff import texts
from medsync.i18n import DEFAULT_LANGUAGE, current_language

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{4}))?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([^\W\d_]+)\.?(?:,?\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?")
SHORTEST_NAME = 3  # "dec", "fri": fewer letters could name two months or days


def read_day(text: str, today: date) -> date | None:
    """The day `text` names, seen from `today` (the clinic's own date), in the reader's language or in English;
    None when it names none."""
    words = " ".join(_unified(text).split())
    relative = {_unified(word): offset for word, offset in texts.relative_days().items()}
    if words in relative:
        return today + timedelta(days=relative[words])
    for locale in dict.fromkeys((current_language(), DEFAULT_LANGUAGE)):
        day = _read_date(words, today, locale)
        if day is not None:
            return day
    return None


def _read_date(words: str, today: date, locale: str) -> date | None:
    weekday = _name_number(words, _names(get_day_names, locale))
    if weekday is not None:
        return today + timedelta(days=(weekday - today.weekday()) % 7)  # the coming one, today included
    if match := _ISO.fullmatch(words):
        year, month, day = (int(part) for part in match.groups())
        return _date(year, month, day)
    if match := _NUMERIC.fullmatch(words):
        return _nearest(today, int(match[2]), int(match[1]), match[3])
    months = _names(get_month_names, locale)
    if match := _DAY_MONTH.fullmatch(words):
        month = _name_number(match[2], months)
        return _nearest(today, month, int(match[1]), match[3]) if month is not None else None
    if match := _MONTH_DAY.fullmatch(words):
        month = _name_number(match[1], months)
        return _nearest(today, month, int(match[2]), match[3]) if month is not None else None
    return None


def _names(names_of, locale: str) -> list[tuple[int, str]]:
    """A locale's names of the months or weekdays, in both grammatical forms ("грудня" in a date, "грудень" alone)."""
    return [(number, _unified(name)) for context in ("format", "stand-alone")
            for number, name in names_of("wide", context=context, locale=locale).items()]


def _unified(text: str) -> str:
    """Lower case, with the apostrophe as people type it ("п'ятниця" for CLDR's "пʼятниця")."""
    return text.lower().replace("\u02bc", "'").replace("\u2019", "'")


def _name_number(word: str, names: list[tuple[int, str]]) -> int | None:
    """The number of the month or weekday a word names, in full or by its first letters."""
    if len(word) < SHORTEST_NAME:
        return None
    found = {number for number, name in names if name.startswith(word)}
    return found.pop() if len(found) == 1 else None


def _nearest(today: date, month: int, day: int, year: str | None) -> date | None:
    """The date in the given year, or without one the valid date closest to today."""
    if year is not None:
        return _date(int(year), month, day)
    candidates = [found for offset in (-1, 0, 1) if (found := _date(today.year + offset, month, day)) is not None]
    return min(candidates, key=lambda candidate: abs(candidate - today), default=None)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None

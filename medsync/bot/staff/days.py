"""A day as the desk types it after /agenda: "tomorrow", "friday", "fri", "в пятницу", "пт", "у п'ятницю", "w piątek",
"pt", "сьогодні", "08.12", "8 Dec", "8 грудня", "December 8", "2026-12-08".

Strict on purpose: anything else (or an impossible date such as 31.02) is None, and the member gets the forms
that work; what was understood is named back in the answer. The words come from Babel's CLDR data in each of our
languages — the days relative to today, and the names of weekdays and months in full, abbreviated and in both
grammatical forms ("грудня" in a date, "грудень" alone) — so a desk reads in its own language or another of ours,
and another language needs its locale, not new code. Only the little words before a day ("в", "w", "on") are
ours (CLDR has none), translated like any text. A day and month without a year mean the date in the year that puts
it closest to today: the desk looks a few days back as often as ahead.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import cache

from babel.dates import get_day_names, get_month_names, get_relative_name
from flask_babel import pgettext

from medsync.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, in_language

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{4}))?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([^\W\d_]+)\.?(?:,?\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?")
SHORTEST_NAME = 3  # "dec", "fri": fewer letters begin two months or days (a locale's own "пт", "pt" are whole words)
RELATIVE_DAYS = range(-2, 3)  # the day before yesterday … the day after tomorrow, where the language has a word
Names = list[tuple[int, str]]  # (number, name): a month 1-12, a weekday 0 = Monday … 6 = Sunday


def read_day(text: str, today: date) -> date | None:
    """The day `text` names, seen from `today` (the clinic's own date), in the reader's language, else English, else
    another of ours; None when it names none."""
    words = " ".join(_unified(text).split())
    for language in _reading_order():
        day = _read_in(language, words, today)
        if day is not None:
            return day
    return None


def _reading_order() -> Iterator[str]:
    return iter(dict.fromkeys((current_language(), DEFAULT_LANGUAGE, *LANGUAGES)))


def _read_in(language: str, words: str, today: date) -> date | None:
    """The day `words` name in one language, with or without a little word before it ("в пятницу", "on friday")."""
    first, _, rest = words.partition(" ")
    if rest and first in _prepositions(language):
        words = rest
    offset = _relative_days(language).get(words)
    if offset is not None:
        return today + timedelta(days=offset)
    return _read_date(words, today, language)


def _read_date(words: str, today: date, locale: str) -> date | None:
    weekday = _weekday_number(words, _weekdays(locale))
    if weekday is not None:
        return today + timedelta(days=(weekday - today.weekday()) % 7)  # the coming one, today included
    if match := _ISO.fullmatch(words):
        year, month, day = (int(part) for part in match.groups())
        return _date(year, month, day)
    if match := _NUMERIC.fullmatch(words):
        return _nearest(today, int(match[2]), int(match[1]), match[3])
    months = _months(locale)
    if match := _DAY_MONTH.fullmatch(words):
        month = _name_number(match[2], months)
        return _nearest(today, month, int(match[1]), match[3]) if month is not None else None
    if match := _MONTH_DAY.fullmatch(words):
        month = _name_number(match[1], months)
        return _nearest(today, month, int(match[2]), match[3]) if month is not None else None
    return None


@cache
def _relative_days(locale: str) -> dict[str, int]:
    """CLDR's words for days near today ("позавчора" … "післязавтра"; "today", "tomorrow", "yesterday")."""
    words = {}
    for offset in RELATIVE_DAYS:
        for length in ("long", "short", "narrow"):
            word = get_relative_name("day", offset, length=length, locale=locale)
            if word:
                words[_unified(word)] = offset
    return words


@cache
def _weekdays(locale: str) -> Names:
    """A locale's weekday names in full and abbreviated ("пʼятниця", "пт"; "piątek", "pt.", "pią")."""
    return _names(get_day_names, locale, ("wide", "abbreviated", "short"))


@cache
def _months(locale: str) -> Names:
    return _names(get_month_names, locale, ("wide", "abbreviated"))


def _names(names_of: Callable[..., dict[int, str]], locale: str, widths: tuple[str, ...]) -> Names:
    """The names in both grammatical forms ("грудня" in a date, "грудень" alone), without an abbreviation's dot."""
    return list(dict.fromkeys(
        (number, _unified(name).rstrip("."))
        for width in widths for context in ("format", "stand-alone")
        for number, name in names_of(width, context=context, locale=locale).items()
    ))


@cache
def _prepositions(language: str) -> frozenset[str]:
    """The little words that may come before a day in a language ("в", "у", "на"; "w", "na"; "on")."""
    with in_language(language):
        words = pgettext("the words that may come before a day typed after /agenda or /remind, as 'on' in 'on "
                         "Friday'; in lower case, separated by spaces", "on")
    return frozenset(_unified(words).split())


def _unified(text: str) -> str:
    """Lower case, with the apostrophe as people type it ("п'ятниця" for CLDR's "пʼятниця")."""
    return text.lower().replace("\u02bc", "'").replace("\u2019", "'")


def _weekday_number(word: str, names: Names) -> int | None:
    """The weekday a word names: as `_name_number`, or inflected as after "в"/"w" ("пятницу", "środę", "неділю":
    the full name with another last letter)."""
    word = word.removesuffix(".")  # "pt.", "niedz." as CLDR abbreviates them
    number = _name_number(word, names)
    if number is not None or len(word) <= SHORTEST_NAME:
        return number
    found = {number for number, name in names if len(name) == len(word) and name[:-1] == word[:-1]}
    return found.pop() if len(found) == 1 else None


def _name_number(word: str, names: Names) -> int | None:
    """The number of the month or weekday a word names: one of its names whole, or the first letters of one."""
    found = {number for number, name in names if name == word}
    if not found and len(word) >= SHORTEST_NAME:
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

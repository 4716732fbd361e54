"""Dates, times, numbers and money as the reader's language writes them (Babel's CLDR data).

Every value comes in already on the clinic's wall clock (the time zone stays the clinic's); only the words, their
order and the separators follow the language texts are rendered in now (medsync.i18n.current_locale: Babel's Locale,
parsed once per language).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_skeleton, get_timezone_location
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from medsync.i18n import LOCALES, current_locale

# Until a clinic says its own currency, prices are the demo clinics' hryvnias.
DEFAULT_CURRENCY = "UAH"
# CLDR's currency spacing: a currency written in letters ("UAH") is set apart from the digits by a no-break space
# ("UAH 650"); Babel applies the locale's pattern but not this rule.
_LETTERS_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def full_day(day: date) -> str:
    """'Tuesday, December 8, 2026', 'вівторок, 8 грудня 2026 р.', 'wtorek, 8 grudnia 2026'."""
    return format_date(day, "full", locale=current_locale())


def long_date(day: date) -> str:
    """'December 8, 2026', '8 грудня 2026 р.'."""
    return format_date(day, "long", locale=current_locale())


def short_day(day: date) -> str:
    """'Tue, Dec 8', 'вт, 8 груд.', 'wt., 8 gru': a day on a button or in a list line."""
    return format_skeleton("MMMEd", day, locale=current_locale())


def short_date(day: date) -> str:
    """'Dec 8, 2026', '8 груд. 2026 р.': a day in the past, with its year."""
    return format_skeleton("yMMMd", day, locale=current_locale())


def clock_time(moment: datetime | time) -> str:
    """'09:05': the 24-hour wall clock, as the clinics and the Mini App show it (a datetime as it is given, never
    converted)."""
    wall = moment.replace(tzinfo=None) if isinstance(moment, time) else moment.time()
    return format_skeleton("Hm", wall, locale=current_locale())


def zone_city(timezone: str) -> str:
    """The city an IANA zone is named after, in the reader's language: 'Kyiv', 'Київ', 'Kijów'."""
    return get_timezone_location(timezone, locale=current_locale(), return_city=True)


def listing(items: list[str]) -> str:
    """'Tue, Dec 1 and Wed, Dec 2', 'вт, 1 груд. і ср, 2 груд.'."""
    return format_list(items, locale=current_locale())


def number(value: int | float | Decimal, pattern: str | None = None) -> str:
    """'1,250', '1 250', '1 250,5'; `pattern` as Babel's ("0.0": one decimal, "4,8" in Ukrainian)."""
    return format_decimal(value, format=pattern, locale=current_locale())


def money(amount: int | float | Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """A price in the reader's language (see format_money)."""
    return format_money(amount, currency, current_locale())


def format_money(amount: int | float | Decimal, currency: str, locale: str | Locale) -> str:
    """'650 ₴' (uk), 'UAH 650' (en), '1 250,50 zł' (pl): the locale's currency pattern and symbol; a whole amount
    without decimals."""
    value = Decimal(str(amount))
    if isinstance(locale, str):
        locale = LOCALES.get(locale) or Locale.parse(locale)
    pattern = locale.currency_formats["standard"].pattern
    if value == value.to_integral_value():
        pattern = re.sub(r"\.0+", "", pattern)
    text = format_currency(value, currency, format=pattern, locale=locale, currency_digits=False)
    return _LETTERS_THEN_DIGIT.sub("\u00a0", text)

"""Prices as a reader writes them: Babel's format for the reader's language, in the clinic's currency."""
from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency


def format_money(amount: Decimal, currency: str, locale: str | Locale) -> str:
    """`amount` of `currency` (ISO 4217) written for `locale`: '1 200,00 ₴' in uk, '1 200,00 zł' in pl (CLDR data)."""
    return format_currency(amount, currency, locale=locale)

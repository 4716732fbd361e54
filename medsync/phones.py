"""Phone numbers as the front desk and Telegram give them, read into E.164 (`phonenumbers`, Google's libphonenumber).

A number written without its country code is read in the clinic's country; a clinic's country defaults to the
country of its time zone (tzdata's zone.tab), so that every clinic has one without anyone typing it.
"""
from __future__ import annotations

from functools import cache
from importlib import resources

import phonenumbers

DEFAULT_COUNTRY = "UA"


class UnreadablePhone(ValueError):
    """Not a phone number that could be dialled, in the region given or with its own country code."""


def to_e164(raw: str, region: str) -> str:
    """The number in E.164 (`+380501234567`), read in `region` unless it carries its own country code."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise UnreadablePhone(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise UnreadablePhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def e164_or_as_given(raw: str, region: str) -> str:
    """E.164 when the number can be read, else as it was written (a patient's own booking keeps what they typed)."""
    try:
        return to_e164(raw, region)
    except UnreadablePhone:
        return raw.strip()


def from_telegram(raw: str) -> str | None:
    """A contact's number as Telegram sends it (international, with or without the `+`) in E.164, or None."""
    digits = raw.strip()
    try:
        return to_e164(digits if digits.startswith("+") else f"+{digits}", DEFAULT_COUNTRY)
    except UnreadablePhone:
        return None


def country_of_zone(timezone: str) -> str:
    """The ISO 3166 country of an IANA time zone (Europe/Warsaw → PL); DEFAULT_COUNTRY for one of no country (UTC)."""
    return _zone_countries().get(timezone, DEFAULT_COUNTRY)


@cache
def _zone_countries() -> dict[str, str]:
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    countries = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_comment = line.split("\t")
            countries[zone] = country
    return countries

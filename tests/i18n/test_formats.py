"""Dates, times, numbers and money as each language writes them (Babel), the wall clock staying the clinic's."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from medsync import formats
from medsync.formats import format_money
from medsync.i18n import in_language

MONDAY = date(2025, 12, 8)


@pytest.mark.parametrize(("language", "written"), [
    ("uk", "понеділок, 8 грудня 2025\u202fр."),
    ("pl", "poniedziałek, 8 grudnia 2025"),
    ("ru", "понедельник, 8 декабря 2025\u202fг."),
    ("en", "Monday, December 8, 2025"),
])
def test_a_day_is_written_with_the_languages_own_day_and_month_names_and_order(app_context, language, written):
    with in_language(language):
        assert formats.full_day(MONDAY) == written


@pytest.mark.parametrize(("language", "short", "dated"), [
    ("uk", "пн, 8 груд.", "8 груд. 2025\u202fр."),
    ("pl", "pon., 8 gru", "8 gru 2025"),
    ("en", "Mon, Dec 8", "Dec 8, 2025"),
])
def test_a_short_day_and_a_past_date(app_context, language, short, dated):
    with in_language(language):
        assert (formats.short_day(MONDAY), formats.short_date(MONDAY)) == (short, dated)


def test_the_time_is_the_clinics_wall_clock_on_a_24_hour_dial_in_every_language(app_context):
    evening = datetime(2025, 12, 8, 18, 5)
    for language in ("en", "uk", "ru", "pl"):
        with in_language(language):
            assert (formats.clock_time(evening), formats.clock_time(time(9, 0))) == ("18:05", "09:00")


@pytest.mark.parametrize(("language", "city"), [("en", "Kyiv"), ("uk", "Київ"), ("ru", "Киев"), ("pl", "Kijów")])
def test_a_clinics_zone_is_named_by_its_city_in_the_readers_language(app_context, language, city):
    with in_language(language):
        assert formats.zone_city("Europe/Kyiv") == city


@pytest.mark.parametrize(("amount", "currency", "locale", "written"), [
    (Decimal("650.00"), "UAH", "uk", "650\u00a0₴"),
    (Decimal("650.00"), "UAH", "en", "UAH\u00a0650"),
    (Decimal("1250.50"), "PLN", "pl", "1\u00a0250,50\u00a0zł"),
    (Decimal("1250.50"), "PLN", "en", "PLN\u00a01,250.50"),
    (12500, "KZT", "ru", "12\u00a0500\u00a0KZT"),
    (Decimal("2400"), "UAH", "ru", "2\u00a0400\u00a0₴"),
])
def test_money_is_the_clinics_currency_written_as_the_reader_writes_it(amount, currency, locale, written):
    assert format_money(amount, currency, locale) == written


def test_a_list_of_days_is_joined_as_the_language_joins_it(app_context):
    with in_language("uk"):
        assert formats.listing(["пн, 8 груд.", "вт, 9 груд."]) == "пн, 8 груд. і вт, 9 груд."


def test_the_mini_app_shows_prices_in_the_pages_language(client, seeded):
    ukrainian = client.get("/app/see_a_doctor", headers={"Accept-Language": "uk"})
    english = client.get("/app/see_a_doctor", headers={"Accept-Language": "en"})

    assert "\u00a0₴</span>" in ukrainian.text and "UAH\u00a0" in english.text

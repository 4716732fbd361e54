"""A request's language is one lookup: its Accept-Language is read once per distinct header, and no Babel locale is
parsed from a name while a request (or a message) is rendered — each language's is parsed once."""
from __future__ import annotations

import pytest
from babel import Locale
from flask_babel import refresh

from medsync import formats, i18n
from medsync.i18n import in_language

UKRAINIAN_BROWSER = {"Accept-Language": "uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7"}


@pytest.fixture
def locale_parses(monkeypatch) -> list[object]:
    """Every Locale.parse of a name (a Locale given as it is costs nothing), from here on."""
    parsed: list[object] = []
    parse = Locale.parse.__func__

    def counting(cls, identifier, *args, **kwargs):
        if not isinstance(identifier, Locale):
            parsed.append(identifier)
        return parse(cls, identifier, *args, **kwargs)

    monkeypatch.setattr(Locale, "parse", classmethod(counting))
    return parsed


def test_a_browsers_accept_language_is_parsed_once_and_no_locale_per_request(
    client, make_doctor, monkeypatch, locale_parses
):
    make_doctor()
    client.get("/api/v1/doctors", headers=UKRAINIAN_BROWSER)  # the catalog in Ukrainian, loaded and rendered
    i18n.browser_language.cache_clear()
    headers_parsed = []
    parse_header = i18n.parse_accept_header
    monkeypatch.setattr(i18n, "parse_accept_header", lambda *args: headers_parsed.append(args[0]) or parse_header(*args))
    locale_parses.clear()

    answers = []
    for _ in range(3):
        refresh()
        answers.append(client.get("/api/v1/doctors", headers=UKRAINIAN_BROWSER))

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].get_json()["items"][0]["price_text"].endswith("₴")  # in Ukrainian
    assert headers_parsed == [UKRAINIAN_BROWSER["Accept-Language"]]
    assert locale_parses == []


def test_dates_and_money_are_written_without_parsing_a_locale(app_context, locale_parses):
    from datetime import date

    with in_language("pl"):
        written = [formats.full_day(date(2026, 12, 8)), formats.money(1250, "PLN"), formats.number(1250)]

    assert written[0].startswith("wtorek") and "zł" in written[1]
    assert locale_parses == []

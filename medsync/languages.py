"""The languages catalog content is kept in, the one mapping of a request's locale onto them, and the fallback.

Catalog texts (specialty and diagnostic names, descriptions, doctors' bios, experience and services) are
written in English in their own column, which every entry has, and translated in a `<column>_translations`
JSONB value `{language: text}` beside it. A reader gets their language, else the clinic's default language,
else English; names of doctors and clinics stay as written.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import get_locale

from medsync import i18n

ENGLISH = i18n.DEFAULT_LANGUAGE
LANGUAGES = tuple(i18n.LANGUAGES)  # the service's languages have one home: medsync.i18n
TRANSLATED = tuple(language for language in LANGUAGES if language != ENGLISH)  # English is the column itself


def request_language() -> str:
    """The request's language (Flask-Babel's choice: uk_UA → uk) as one of LANGUAGES; English for any other."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else ENGLISH


def pick(english: str | None, translations: Mapping[str, str], language: str,
         clinic_language: str = ENGLISH) -> str | None:
    """The text in `language`, else in the clinic's language, else in English (None when none of them has one)."""
    for candidate in (language, clinic_language, ENGLISH):
        text = english if candidate == ENGLISH else translations.get(candidate)
        if text:
            return text
    return None

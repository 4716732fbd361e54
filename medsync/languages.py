"""The languages catalog content is kept in, and the fallback (the language read now: `medsync.i18n.current_language`).

Catalog texts (specialty and diagnostic names, descriptions, doctors' bios, experience and services) are
written in English in their own column, which every entry has, and translated in a `<column>_translations`
JSONB value `{language: text}` beside it. A reader gets their language, else the clinic's default language,
else English; names of doctors and clinics stay as written.
"""
from __future__ import annotations

from collections.abc import Mapping

from medsync import i18n

ENGLISH = i18n.DEFAULT_LANGUAGE
LANGUAGES = tuple(i18n.LANGUAGES)  # the service's languages have one home: medsync.i18n
TRANSLATED = tuple(language for language in LANGUAGES if language != ENGLISH)  # English is the column itself


def pick(english: str | None, translations: Mapping[str, str], language: str,
         clinic_language: str = ENGLISH) -> str | None:
    """The text in `language`, else in the clinic's language, else in English (None when none of them has one)."""
    for candidate in (language, clinic_language, ENGLISH):
        text = english if candidate == ENGLISH else translations.get(candidate)
        if text:
            return text
    return None

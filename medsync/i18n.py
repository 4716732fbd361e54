"""Languages: one gettext catalog for the whole service (Flask-Babel), and which language a text is rendered in.

Every text a person reads goes through `gettext`/`ngettext` (`lazy_gettext` where it is defined at import); the
catalogs live in medsync/translations (`make translations` extracts, updates and compiles them; `make setup`
compiles). Inside a request Flask-Babel asks `_select_locale`; the bot and the workers render in a named
language with `in_language`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

CATALOGS = Path(__file__).resolve().parent / "translations"
DEFAULT_LANGUAGE = "en"
# The languages we have catalogs for, each named as its speakers write it (shown so on the language buttons).
LANGUAGES = {"uk": "Українська", "en": "English", "ru": "Русский", "pl": "Polski"}

# Each language's Babel locale, parsed once: Flask-Babel takes a Locale as it is given, and so do Babel's formats,
# which would otherwise parse a name on every call (about 10 µs each).
LOCALES = {language: Locale.parse(language) for language in LANGUAGES}
# How many distinct Accept-Language headers keep their answer: browsers send a handful; any more are answered anew.
KNOWN_BROWSER_HEADERS = 256

LanguageSource = Callable[[], "str | None"]
_SOURCES = "medsync_language_sources"
_SELECTING = "medsync.selecting_language"


def init_i18n(app: Flask) -> None:
    """Flask-Babel with the service's catalog; a request's language from its surface's source, else the browser's
    Accept-Language."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=_select_locale, default_translation_directories=str(CATALOGS))
    app.extensions[_SOURCES] = []


def add_language_source(app: Flask, path_prefix: str, source: LanguageSource) -> None:
    """Requests under `path_prefix` take their language from `source` (one of LANGUAGES, or None to fall back to
    Accept-Language). Asked only when a text is rendered, so a request that renders none pays nothing."""
    app.extensions[_SOURCES].append((path_prefix, source))


def language_of(language_code: str | None) -> str | None:
    """The catalog nearest to a language tag as Telegram or a browser gives it (`uk-UA` → uk, `pt-br` → None)."""
    if not language_code:
        return None
    return negotiate_locale([language_code.replace("_", "-").lower()], list(LANGUAGES), sep="-")


def user_language(choice: str | None, language_code: str | None) -> str:
    """A user's language: their own choice if they made one, else their Telegram's, else the default."""
    if choice in LANGUAGES:
        return choice
    return language_of(language_code) or DEFAULT_LANGUAGE


def N_(text: str) -> str:  # noqa: N802 - gettext's name for a marker
    """Mark a text for the catalog without translating it here: it is stored or kept as written, and shown through
    `translated` in the reader's language."""
    return text


def translated(text: str) -> str:
    """A text marked with N_ (or any stored text: one that is not in the catalog stays as it is) in the language
    texts are rendered in now."""
    return gettext(text)


def current_language() -> str:
    """The language texts are rendered in now, as one of LANGUAGES: in a request the one `_select_locale` chose, in
    the bot and the workers the one `in_language` set (a locale with a region reads as its language: uk_UA → uk;
    any other as English). The one answer to "which language is this", for gettext, Babel's formats and the
    catalog's texts alike."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def current_locale() -> Locale:
    """`current_language` as Babel's Locale, for Babel's formats."""
    return LOCALES[current_language()]


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Render in `language` (outside a request too: the bot's replies, the workers' messages)."""
    with force_locale(LOCALES.get(language, language)):
        yield


def _select_locale() -> Locale:
    if not has_request_context():
        return LOCALES[DEFAULT_LANGUAGE]
    if not request.environ.get(_SELECTING):  # a text rendered while a source is asked falls back to the browser's
        request.environ[_SELECTING] = True
        try:
            chosen = next((source() for prefix, source in current_app.extensions[_SOURCES]
                           if request.path.startswith(prefix)), None)
        finally:
            del request.environ[_SELECTING]
        if chosen is not None:
            return LOCALES.get(chosen) or Locale.parse(chosen)
    return LOCALES[browser_language(request.headers.get("Accept-Language", ""))]


@lru_cache(maxsize=KNOWN_BROWSER_HEADERS)
def browser_language(accept_language: str) -> str:
    """The language of ours an Accept-Language header prefers most (English when it names none of them). Kept per
    header: parsing one and matching it cost about 100 µs, more than the rest of choosing a request's language."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE

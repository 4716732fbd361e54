"""One gettext catalog for the whole service: every text extracted, every language's catalog complete and compiled."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from medsync.i18n import CATALOGS, DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
# %(name)s, %(count)d, %(rating).1f, %s, %d; {name}; `%%` and `{{`/`}}` are literal characters, not placeholders.
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*(?:\.\d+)?[sdfir]|%[sdfir]|\{[a-z_]*\}")


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


def msgids(catalog: Catalog) -> set:
    """The catalog's message ids (a plural's as its singular and plural pair)."""
    return {tuple(message.id) if message.pluralizable else message.id for message in catalog if message.id}


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text.replace("%%", "").replace("{{", "").replace("}}", "")))


def test_the_template_holds_every_text_of_the_sources(tmp_path):
    extracted = tmp_path / "messages.pot"
    subprocess.run(["make", "-s", "extract", f"POT={extracted}"], cwd=ROOT, check=True)

    assert msgids(read_catalog(extracted)) == msgids(read_catalog(CATALOGS / "messages.pot")), "run `make translations`"


def test_there_is_a_catalog_for_every_language_and_only_for_them():
    assert {path.parent.parent.name for path in CATALOGS.glob("*/LC_MESSAGES/messages.po")} == set(LANGUAGES)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_catalog_covers_the_template_and_is_compiled_from_it(language):
    wanted = msgids(read_catalog(CATALOGS / "messages.pot"))
    po_file = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(po_file)
    assert msgids(catalog) == wanted, "run `make translations`"

    mo_file = po_file.with_suffix(".mo")
    assert mo_file.exists(), "run `make setup`: it compiles the catalogs"
    with mo_file.open("rb") as compiled:
        assert _translations(read_mo(compiled)) == _translations(catalog), "run `make setup`: the .mo is stale"


def _translations(catalog: Catalog) -> dict:
    """What a compiled catalog serves: the translated, non-fuzzy entries (pybabel compiles a plural's missing forms
    as its source texts)."""
    served = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if message.pluralizable:
            served[tuple(message.id)] = tuple(form or message.id[min(index, 1)]
                                              for index, form in enumerate(message.string))
        elif message.string:
            served[message.id] = message.string
    return served


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_text_is_translated_and_keeps_its_placeholders(language):
    """Complete catalogs, written by translators: nothing missing or fuzzy, and every translation fills the same
    values as its source (a lost `{name}` or `%(count)d` would raise or drop a value at run time). English is the
    source language: an empty entry there means the source text itself."""
    catalog = read_catalog(CATALOGS / language / "LC_MESSAGES" / "messages.po")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        forms = _forms(message)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(forms) and language != DEFAULT_LANGUAGE:
            problems.append(f"untranslated: {message.id!r}")
        source = message.id[-1] if message.pluralizable else message.id
        for form in filter(None, forms):
            if placeholders(form) != placeholders(source):
                problems.append(f"placeholders differ: {message.id!r} → {form!r}")
    assert problems == [], f"{len(problems)} problems in {language}:\n" + "\n".join(problems)


def _forms(message: Message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]

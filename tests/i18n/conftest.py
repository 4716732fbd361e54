"""A pseudo-translated copy of the catalogs, compiled at test time, and an app that reads it.

Every translation of language `xx` is its English source wrapped as `⟦xx·…⟧` (placeholders kept inside, so the
values they take land inside too): a text that reaches a user without the wrapper never went through gettext, and
the tag says which language a text was rendered in, whatever the real catalogs hold today.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from medsync import create_app, i18n
from medsync.extensions import db
from tests.api.conftest import seeded  # noqa: F401 - a fixture, used by name
from tests.bot.conftest import database_work  # noqa: F401 - a fixture, used by name
from tests.bot.staff.conftest import make_staff  # noqa: F401 - a fixture, used by name
from tests.bot.conftest import WEBHOOK
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET, settings_for_tests
from tests.fakes.telegram_api import FakeTelegramAPI

PSEUDO_LANGUAGES = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]
_INNERMOST = re.compile(r"⟦[a-z]{2}·[^⟦⟧]*⟧")


def wrap(language: str, text: str) -> str:
    return f"⟦{language}·{text}⟧"


def unwrapped(text: str) -> str:
    """What is left of a text once every pseudo-translated part is taken out (a value rendered inside another text
    is taken out with it: innermost first)."""
    previous = None
    while previous != text:
        previous, text = text, _INNERMOST.sub(" ", text)
    return text


def pseudo_catalog(language: str) -> Catalog:
    with (i18n.CATALOGS / "messages.pot").open("rb") as template:
        source = read_po(template)
    catalog = Catalog(locale=language, domain="messages")
    for message in source:
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            forms = catalog.num_plurals
            string = tuple(wrap(language, singular if index == 0 else plural) for index in range(forms))
        else:
            string = wrap(language, message.id)
        catalog.add(message.id, string, context=message.context, flags=message.flags)
    return catalog


@pytest.fixture(scope="session")
def pseudo_catalogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pseudo-catalogs")
    for language in PSEUDO_LANGUAGES:
        compiled = directory / language / "LC_MESSAGES" / "messages.mo"
        compiled.parent.mkdir(parents=True)
        with compiled.open("wb") as out:
            write_mo(out, pseudo_catalog(language))
    return directory


@pytest.fixture(scope="session")
def pseudo_app(app: Flask, pseudo_catalogs: Path, tmp_path_factory: pytest.TempPathFactory,
               telegram_server: FakeTelegramAPI) -> Iterator[Flask]:
    """The service reading the pseudo catalogs, on the test database (the session app migrated it) and its files."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(i18n, "CATALOGS", pseudo_catalogs)
        pseudo = create_app(settings_for_tests(tmp_path_factory, TELEGRAM_API_URL=telegram_server.url,
                                               RESULTS_DIR=app.config["RESULTS_DIR"]))
    pseudo.config["TESTING"] = True
    yield pseudo
    with pseudo.app_context():
        db.engine.dispose()


@pytest.fixture
def pseudo_client(pseudo_app: Flask):
    return pseudo_app.test_client()


@pytest.fixture
def pseudo_post(pseudo_client, telegram_api: FakeTelegramAPI) -> Callable[[dict[str, Any]], None]:
    """POST an update to the pseudo app's webhook, performing the method it answers with, as Telegram does."""

    def post(update: dict[str, Any]) -> None:
        response = pseudo_client.post(WEBHOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert response.status_code == 200
        reply = response.get_json()
        if "method" in reply:
            call = {key: value for key, value in reply.items() if key != "method" and value is not None}
            requests.post(f"{telegram_api.url}/bot{BOT_TOKEN}/{reply['method']}", json=call, timeout=5)

    return post

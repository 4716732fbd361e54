"""In-process fake of the Telegram Bot API HTTP server.

Used by the test suite and the delivery benchmarks instead of
``https://api.telegram.org``.  The bot is pointed at :attr:`FakeTelegramAPI.url`
(``TELEGRAM_API_URL``); calls arrive exactly as with the real Bot API::

    POST|GET {url}/bot{token}/{method}        -> {"ok": true, "result": ...}
    GET      {url}/file/bot{token}/{path}     -> bytes of a file uploaded earlier, else 404

Typical use with pyTelegramBotAPI::

    with FakeTelegramAPI() as fake:
        telebot.apihelper.API_URL = fake.api_url      # == fake.url + "/bot{0}/{1}"
        telebot.apihelper.FILE_URL = fake.file_url    # == fake.url + "/file/bot{0}/{1}"
        bot = telebot.TeleBot("123:ABC", threaded=False)
        bot.send_message(42, "hi")
        call = fake.wait_for("sendMessage")[0]
        assert call.params["chat_id"] == "42"

Every call is recorded as a :class:`Call` (failed ones too, with ``failed=True``
and the HTTP status) so tests can count attempts.  Failures can be injected with
:meth:`FakeTelegramAPI.fail_next` / :meth:`FakeTelegramAPI.fail_chat`, answers that
are not the Bot API's JSON (a proxy's page) with :meth:`FakeTelegramAPI.answer_next_raw`,
and a file download that breaks off with :meth:`FakeTelegramAPI.break_next_download`.
Command lists are kept per scope and language, as Telegram keeps them
(:meth:`FakeTelegramAPI.commands`), and the real flood limits (30 msg/s overall, 1 msg/s per chat) can be enforced with
``enforce_limits=True`` for benchmarks.

Standalone::

    python -m tests.fakes.telegram_api --port 8081 [--enforce-limits] [--latency 0.02]

prints its URL on the first line, then one line per call (method and chat_id only).

| module | what it holds |
|---|---|
| `fake.py` | `FakeTelegramAPI`: start/stop, the recorded calls, the failure switches, one call's answer |
| `server.py` | HTTP: keep-alive connections, routing, bodies, downloads that break off |
| `forms.py` | a call's parameters: query string, JSON, urlencoded and multipart forms (Werkzeug) |
| `records.py` | a call as the methods get it (`Request`) and as tests read it (`Call`) |
| `errors.py` | Telegram's refusals and the parameter checks that raise them |
| `limits.py` | refusals on demand and the flood limits |
| `state.py` | what the bot's world remembers: message ids, files, the webhook, command lists |
| `methods/` | the methods by group: `bot.py` (settings, look-ups), `messages.py`, `media.py` (files), `shapes.py` |
| `standalone.py` | the command line above |
"""
from __future__ import annotations

from .errors import BOT_BLOCKED, MESSAGE_NOT_MODIFIED
from .fake import FakeTelegramAPI
from .limits import SEND_METHODS
from .methods.shapes import BOT_USERNAME
from .records import Call

__all__ = [
    "Call",
    "FakeTelegramAPI",
    "SEND_METHODS",
    "BOT_USERNAME",
    "BOT_BLOCKED",
    "MESSAGE_NOT_MODIFIED",
]

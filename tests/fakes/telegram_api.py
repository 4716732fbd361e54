"""In-process fake of the Telegram Bot API HTTP server (pure stdlib).

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
"""

from __future__ import annotations

import argparse
import collections
import json as _json
import mimetypes
import signal
import socket
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "Call",
    "FakeTelegramAPI",
    "SEND_METHODS",
    "BOT_USERNAME",
    "BOT_BLOCKED",
    "MESSAGE_NOT_MODIFIED",
    "main",
]

BOT_USERNAME = "medsync_test_bot"

#: Telegram's descriptions for the failures the app has to handle.
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
MESSAGE_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: BOT_BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

#: Methods that count against Telegram's flood limits when ``enforce_limits`` is on
#: (compared case-insensitively, like Telegram resolves method names).
SEND_METHODS = frozenset(
    m.lower()
    for m in (
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendVideoNote",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendInvoice",
        "sendPaidMedia",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )
)

_TRUE_METHODS = frozenset(
    m.lower()
    for m in (
        "answerCallbackQuery",
        "setWebhook",
        "deleteWebhook",
        "setChatMenuButton",
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "deleteMessage",
        "deleteMessages",
        "sendChatAction",
        "answerInlineQuery",
        "answerWebAppQuery",
        "answerPreCheckoutQuery",
        "answerShippingQuery",
        "logOut",
        "close",
    )
)

# Methods whose result is a Message carrying some file; value = (param name, file_id prefix).
_MEDIA_METHODS = {
    "senddocument": ("document", "doc"),
    "sendphoto": ("photo", "photo"),
    "sendvideo": ("video", "video"),
    "sendaudio": ("audio", "audio"),
    "sendvoice": ("voice", "voice"),
    "sendanimation": ("animation", "anim"),
    "sendsticker": ("sticker", "sticker"),
    "sendvideonote": ("video_note", "vnote"),
}

_EDIT_METHODS = frozenset(
    m.lower()
    for m in (
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
    )
)

_MISSING = object()


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One request received by the fake (successful or not).

    ``params`` holds every non-file parameter as a string, exactly as sent (query
    string, urlencoded form, JSON body or multipart text field, merged; JSON bodies'
    non-string values are re-encoded with ``json.dumps``).  JSON-encoded values such
    as ``reply_markup`` stay strings: use :meth:`json` to decode them.  ``files``
    maps a multipart field name to ``(filename, content)``.
    """

    method: str
    token: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes]]
    at: float  # time.time() when the request arrived
    status: int = 200  # HTTP status / error_code answered
    failed: bool = False
    http_method: str = "POST"
    response: dict[str, Any] = field(default_factory=dict, repr=False)

    def json(self, name: str, default: Any = _MISSING) -> Any:
        """``json.loads`` the parameter *name* (e.g. ``reply_markup``).

        Raises KeyError if absent unless *default* is given.
        """
        if name not in self.params:
            if default is _MISSING:
                raise KeyError(f"{self.method} call has no parameter {name!r}; has {sorted(self.params)}")
            return default
        return _json.loads(self.params[name])

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def chat_id(self) -> str | None:
        return self.params.get("chat_id")

    @property
    def error_code(self) -> int | None:
        return self.status if self.failed else None

    @property
    def result(self) -> Any:
        """The ``result`` that was answered (None for failed calls)."""
        return self.response.get("result")

    def summary(self) -> str:
        s = self.method
        if self.chat_id is not None:
            s += f"(chat_id={self.chat_id})"
        if self.failed:
            s += f" -> {self.status}"
        return s


@dataclass
class _FailRule:
    method: str | None  # lower-cased, None = any method
    status: int
    description: str | None
    retry_after: int | None
    remaining: int


class _ApiError(Exception):
    def __init__(self, status: int, description: str | None = None, retry_after: int | None = None):
        super().__init__(status, description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


# --------------------------------------------------------------------------- fake server


class FakeTelegramAPI:
    """Fake Telegram Bot API server running in a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        enforce_limits: bool = False,
        global_rate: int = 30,
        per_chat_rate: int = 1,
        rate_window: float = 1.0,
        latency: float = 0.0,
        log_calls: bool = False,
        log: Callable[[str], None] | None = None,
        max_calls: int | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.enforce_limits = enforce_limits
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.rate_window = rate_window
        self.latency = latency
        self.log_calls = log_calls
        self._log = log or _print_line
        self.max_calls = max_calls

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: collections.deque[Call] = collections.deque()
        self._fail_rules: list[_FailRule] = []
        self._chat_failures: dict[str, tuple[int, str | None]] = {}
        self._on_accept: dict[str, Callable[[Call], None]] = {}
        self._global_window: collections.deque[float] = collections.deque()
        self._chat_windows: dict[str, collections.deque[float]] = {}
        self._too_many_count = 0
        self._too_many_by_chat: collections.Counter[str] = collections.Counter()
        self._message_id = 0
        self._file_counters: collections.Counter[str] = collections.Counter()
        self._files: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self._webhook: dict[str, Any] = {"url": ""}
        self._raw_answers: list[tuple[str, int, bytes, str]] = []
        self._broken_downloads = 0
        # (scope as canonical JSON, language_code) -> the command list set for it
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "FakeTelegramAPI":
        if self._server is not None:
            raise RuntimeError("FakeTelegramAPI already started")
        server = _Server((self.host, self._requested_port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-telegram-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping = True
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> "FakeTelegramAPI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegramAPI is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (what the bot uses as TELEGRAM_API_URL)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Value for ``telebot.apihelper.API_URL`` (``{url}/bot{0}/{1}``)."""
        return self.url + "/bot{0}/{1}"

    @property
    def file_url(self) -> str:
        """Value for ``telebot.apihelper.FILE_URL`` (``{url}/file/bot{0}/{1}``)."""
        return self.url + "/file/bot{0}/{1}"

    # ------------------------------------------------------------------ recorded calls

    def calls(
        self,
        method: str | None = None,
        *,
        chat_id: int | str | None = None,
        failed: bool | None = None,
    ) -> list[Call]:
        """Copy of the recorded calls, oldest first, optionally filtered.

        *method* is compared case-insensitively; *chat_id* as a string;
        ``failed=False`` keeps only successful calls, ``failed=True`` only failed ones.
        """
        with self._lock:
            return self._filter(method, chat_id, failed)

    def _filter(self, method: str | None, chat_id: int | str | None, failed: bool | None) -> list[Call]:
        m = method.lower() if method is not None else None
        c = str(chat_id) if chat_id is not None else None
        return [
            call
            for call in self._calls
            if (m is None or call.method.lower() == m)
            and (c is None or call.params.get("chat_id") == c)
            and (failed is None or call.failed == failed)
        ]

    def last(self, method: str | None = None) -> Call:
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method or 'API'} call received; received: {self._describe()}")
        return found[-1]

    def clear(self) -> None:
        """Forget recorded calls and reset ``too_many_count`` (failure switches stay)."""
        with self._lock:
            self._calls.clear()
            self._too_many_count = 0
            self._too_many_by_chat.clear()

    def reset(self) -> None:
        """clear() + clear_failures() + forget rate-limit windows, files and webhook."""
        with self._lock:
            self.clear()
            self.clear_failures()
            self._global_window.clear()
            self._chat_windows.clear()
            self._files.clear()
            self._webhook = {"url": ""}
            self._commands.clear()

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The command list set for *scope* (default: ``{"type": "default"}``) and language, as getMyCommands
        answers it: what a chat of that scope is shown (without Telegram's fallback to wider scopes)."""
        with self._lock:
            return list(self._commands.get((_scope_key(scope), language_code), []))

    def wait_for(
        self,
        method: str | None,
        count: int = 1,
        timeout: float = 5.0,
        *,
        chat_id: int | str | None = None,
        failed: bool | None = None,
    ) -> list[Call]:
        """Block until at least *count* matching calls were recorded; return all of them.

        Failed attempts count unless ``failed=False``.  Raises AssertionError
        listing what was received if the timeout expires.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._filter(method, chat_id, failed)
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    what = method or "any method"
                    if chat_id is not None:
                        what += f" for chat_id={chat_id}"
                    if failed is not None:
                        what += " (failed only)" if failed else " (successful only)"
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} call(s) to {what}; "
                        f"got {len(found)}. Received: {self._describe()}"
                    )
                self._cond.wait(remaining)

    def _describe(self, limit: int = 30) -> str:
        with self._lock:
            calls = list(self._calls)
        if not calls:
            return "nothing"
        counts = collections.Counter(c.method for c in calls)
        head = ", ".join(f"{m} x{n}" for m, n in counts.items())
        tail = "; ".join(c.summary() for c in calls[-limit:])
        more = f" (last {limit})" if len(calls) > limit else ""
        return f"{len(calls)} call(s) [{head}]{more}: {tail}"

    @property
    def too_many_count(self) -> int:
        """How many calls were answered 429 by the rate enforcement (not by fail_next)."""
        with self._lock:
            return self._too_many_count

    @property
    def too_many_by_chat(self) -> dict[str, int]:
        with self._lock:
            return dict(self._too_many_by_chat)

    # ------------------------------------------------------------------ failure switches

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next *times* calls to *method* (any method if None) with an error.

        429 gets ``parameters.retry_after`` (default 1) and the description
        "Too Many Requests: retry after N"; 403 defaults to "bot was blocked by the
        user"; 400 to "Bad Request" (pass e.g. ``MESSAGE_NOT_MODIFIED``); 500 to
        "Internal Server Error".  Rules queue up and are consumed in order.
        """
        if status < 400:
            raise ValueError("status must be an HTTP error code (>= 400)")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._fail_rules.append(
                _FailRule(method.lower() if method else None, status, description, retry_after, times)
            )

    def answer_next_raw(self, method: str, body: bytes, *, status: int = 200,
                        content_type: str = "text/html") -> None:
        """Answer the next call to *method* with this exact HTTP body instead of the Bot API's JSON (what a proxy
        or a captive portal in front of Telegram may send).  Recorded as a failed call."""
        with self._lock:
            self._raw_answers.append((method.lower(), status, body, content_type))

    def break_next_download(self, times: int = 1) -> None:
        """The next *times* file downloads promise the whole file but break off half-way (the connection closes)."""
        with self._lock:
            self._broken_downloads += times

    def _take_raw_answer(self, method: str) -> tuple[int, bytes, str] | None:
        with self._lock:
            for index, (wanted, status, body, content_type) in enumerate(self._raw_answers):
                if wanted == method.lower():
                    del self._raw_answers[index]
                    return status, body, content_type
        return None

    def _record_raw_answer(self, http_method: str, token: str, method: str, params: dict[str, str],
                           status: int) -> None:
        with self._lock:
            self._calls.append(Call(method, token, params, {}, time.time(), status, True, http_method, {}))
            self._cond.notify_all()

    def _take_broken_download(self) -> bool:
        with self._lock:
            if self._broken_downloads:
                self._broken_downloads -= 1
                return True
        return False

    def fail_chat(self, chat_id: int | str, status: int = 403, description: str | None = None) -> None:
        """Fail every call whose chat_id is *chat_id* until :meth:`clear_failures`."""
        with self._lock:
            self._chat_failures[str(chat_id)] = (status, description)

    def clear_failures(self) -> None:
        with self._lock:
            self._fail_rules.clear()
            self._chat_failures.clear()
            self._on_accept.clear()

    def on_next_accept(self, method: str, callback: Callable[[Call], None]) -> None:
        """Run *callback* once, on the next successful call to *method*: after Telegram has taken it (the call is
        recorded) and before the caller gets the answer — the moment a sender can die having sent."""
        with self._lock:
            self._on_accept[method.lower()] = callback

    # ------------------------------------------------------------------ request handling

    def _handle_api(self, http_method: str, token: str, method: str, params: dict[str, str],
                    files: dict[str, tuple[str, bytes]]) -> tuple[int, dict[str, Any]]:
        at = time.time()
        lower = method.lower()
        chat_id = params.get("chat_id")
        with self._lock:
            status, payload, from_limiter = 200, None, False
            try:
                self._check_failures(lower, chat_id)
                from_limiter = True
                self._check_limits(lower, chat_id)
                from_limiter = False
                payload = {"ok": True, "result": self._result(token, lower, params, files)}
            except _ApiError as err:
                status = err.status
                payload = _error_payload(err.status, err.description, err.retry_after)
                if from_limiter:
                    self._too_many_count += 1
                    self._too_many_by_chat[str(chat_id)] += 1
            call = Call(method, token, params, files, at, status, status != 200, http_method, payload)
            self._calls.append(call)
            if self.max_calls is not None:
                while len(self._calls) > self.max_calls:
                    self._calls.popleft()
            self._cond.notify_all()
            on_accept = self._on_accept.pop(lower, None) if status == 200 else None
        if on_accept is not None:
            on_accept(call)
        if self.log_calls:
            line = f"{method} chat_id={chat_id if chat_id is not None else '-'}"
            if status != 200:
                line += f" status={status}"
            self._log(line)
        return status, payload

    def _record_bad_request(self, http_method: str, token: str, method: str,
                            status: int, payload: dict[str, Any]) -> None:
        """Record a request whose body could not be parsed (answered 400)."""
        with self._lock:
            self._calls.append(Call(method, token, {}, {}, time.time(), status, True, http_method, payload))
            self._cond.notify_all()

    def _check_failures(self, method: str, chat_id: str | None) -> None:
        if chat_id is not None and chat_id in self._chat_failures:
            status, description = self._chat_failures[chat_id]
            raise _ApiError(status, description)
        for rule in self._fail_rules:
            if rule.method is None or rule.method == method:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._fail_rules.remove(rule)
                raise _ApiError(rule.status, rule.description, rule.retry_after)

    def _check_limits(self, method: str, chat_id: str | None) -> None:
        if not self.enforce_limits or method not in SEND_METHODS:
            return
        now = time.monotonic()
        horizon = now - self.rate_window
        window = self._global_window
        while window and window[0] <= horizon:
            window.popleft()
        chat_window = None
        if chat_id is not None:
            chat_window = self._chat_windows.setdefault(chat_id, collections.deque())
            while chat_window and chat_window[0] <= horizon:
                chat_window.popleft()
        if len(window) >= self.global_rate or (chat_window is not None and len(chat_window) >= self.per_chat_rate):
            raise _ApiError(429, None, 1)
        window.append(now)
        if chat_window is not None:
            chat_window.append(now)

    # ------------------------------------------------------------------ results

    def _bot_user(self, token: str) -> dict[str, Any]:
        prefix = token.split(":", 1)[0]
        return {
            "id": int(prefix) if prefix.isdigit() else 123456789,
            "is_bot": True,
            "first_name": "MedSync Test Bot",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    @staticmethod
    def _chat(chat_id: str) -> dict[str, Any]:
        if chat_id.lstrip("-").isdigit():
            cid = int(chat_id)
            if cid > 0:
                return {"id": cid, "type": "private", "first_name": "Patient"}
            return {"id": cid, "type": "supergroup" if chat_id.startswith("-100") else "group", "title": "Group"}
        # "@channelusername"
        return {"id": -1000000000000 - (zlib.crc32(chat_id.encode()) % 10**9), "type": "channel",
                "username": chat_id.lstrip("@"), "title": chat_id}

    def _new_message(self, token: str, params: dict[str, str], message_id: int | None = None) -> dict[str, Any]:
        if message_id is None:
            self._message_id += 1
            message_id = self._message_id
        msg: dict[str, Any] = {
            "message_id": message_id,
            "from": self._bot_user(token),
            "chat": self._chat(params["chat_id"]),
            "date": int(time.time()),
        }
        if "message_thread_id" in params:
            msg["message_thread_id"] = _int(params["message_thread_id"])
        markup = _loads(params.get("reply_markup"))
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup  # Telegram only echoes inline keyboards
        return msg

    def _new_file_id(self, prefix: str) -> str:
        self._file_counters[prefix] += 1
        return f"{prefix}-{self._file_counters[prefix]}"

    def _store_file(self, file_id: str, name: str | None, content: bytes | None, kind: str) -> dict[str, Any]:
        meta = {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_name": name,
            "content": content,
            "file_path": f"{kind}s/{file_id}" + (f"_{name}" if name else ""),
        }
        self._files[file_id] = meta
        limit = self.max_calls
        if limit is not None:
            while len(self._files) > limit:
                self._files.popitem(last=False)
        return meta

    def _media(self, lower: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[str, dict[str, Any]]:
        key, prefix = _MEDIA_METHODS[lower]
        upload = files.get(key)
        ref = params.get(key)
        if upload is None and ref and ref.startswith("attach://"):
            upload = files.get(ref[len("attach://"):])
        if upload is not None:
            name, content = upload
            meta = self._store_file(self._new_file_id(prefix), name, content, key)
        elif ref:
            if ref.startswith(("http://", "https://")):
                name = ref.rstrip("/").rsplit("/", 1)[-1] or None
                meta = self._store_file(self._new_file_id(prefix), name, None, key)
            else:  # a file_id sent earlier: echo it back
                meta = self._files.get(ref) or {"file_id": ref, "file_unique_id": "u" + ref, "file_name": None, "content": None}
        else:
            raise _ApiError(400, f"Bad Request: there is no {key} in the request")
        obj: dict[str, Any] = {"file_id": meta["file_id"], "file_unique_id": meta["file_unique_id"]}
        if meta.get("content") is not None:
            obj["file_size"] = len(meta["content"])
        if key == "photo":
            size = {**obj, "width": 800, "height": 600}
            return key, [{**obj, "file_id": obj["file_id"] + "-s", "file_unique_id": obj["file_unique_id"] + "-s",
                          "width": 90, "height": 68}, size]
        if key in ("video", "animation", "sticker"):
            obj.update(width=640, height=480)
        if key == "video_note":
            obj["length"] = 240
        if key == "sticker":
            obj.update(type="regular", is_animated=False, is_video=False)
        if key in ("video", "animation", "video_note", "audio", "voice"):
            obj["duration"] = 1
        name = meta.get("file_name")
        if name and key in ("document", "video", "audio", "animation"):
            obj["file_name"] = name
        if key == "document":
            obj["mime_type"] = mimetypes.guess_type(name or "")[0] or "application/octet-stream"
        return key, obj

    def _result(self, token: str, lower: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]) -> Any:
        if lower == "getme":
            return self._bot_user(token)
        if lower == "setwebhook":
            self._webhook = {"url": params.get("url", "")}
            for k in ("max_connections", "allowed_updates", "ip_address"):
                if k in params:
                    self._webhook[k] = _loads(params[k]) if k == "allowed_updates" else params[k]
            return True
        if lower == "deletewebhook":
            self._webhook = {"url": ""}
            return True
        if lower == "getwebhookinfo":
            info: dict[str, Any] = {"url": self._webhook.get("url", ""), "has_custom_certificate": False,
                                    "pending_update_count": 0}
            if "max_connections" in self._webhook:
                info["max_connections"] = _int(self._webhook["max_connections"])
            if "allowed_updates" in self._webhook:
                info["allowed_updates"] = self._webhook["allowed_updates"]
            return info
        if lower in _TRUE_METHODS:
            return True
        if lower == "getupdates":
            return []
        if lower == "setmycommands":
            commands = _loads(params.get("commands"))
            if not isinstance(commands, list) or len(commands) > 100 or not all(map(_is_command, commands)):
                raise _ApiError(400, "Bad Request: invalid bot commands specified")
            self._commands[(_scope_key(_loads(params.get("scope"))), params.get("language_code", ""))] = [
                {"command": item["command"], "description": item["description"]} for item in commands]
            return True
        if lower == "deletemycommands":
            self._commands.pop((_scope_key(_loads(params.get("scope"))), params.get("language_code", "")), None)
            return True
        if lower == "getmycommands":
            return list(self._commands.get((_scope_key(_loads(params.get("scope"))),
                                            params.get("language_code", "")), []))
        if lower == "getchatmenubutton":
            return {"type": "default"}
        if lower == "getchat":
            _require(params, "chat_id")
            return {**self._chat(params["chat_id"]), "accent_color_id": 0, "max_reaction_count": 11}
        if lower == "getfile":
            file_id = _require(params, "file_id")
            meta = self._files.get(file_id)
            if meta is None:
                raise _ApiError(400, "Bad Request: invalid file_id")
            out = {"file_id": file_id, "file_unique_id": meta["file_unique_id"], "file_path": meta["file_path"]}
            if meta.get("content") is not None:
                out["file_size"] = len(meta["content"])
            return out
        if lower == "sendmessage":
            _require(params, "chat_id", "Bad Request: chat_id is empty")
            text = params.get("text")
            if not text:
                raise _ApiError(400, "Bad Request: message text is empty")
            msg = self._new_message(token, params)
            msg["text"] = text
            return msg
        if lower in _EDIT_METHODS:
            if "chat_id" not in params or "message_id" not in params:
                if "inline_message_id" in params:
                    return True
                raise _ApiError(400, "Bad Request: message identifier is not specified")
            msg = self._new_message(token, params, message_id=_int(params["message_id"]))
            msg["edit_date"] = msg["date"]
            if lower == "editmessagetext":
                if not params.get("text"):
                    raise _ApiError(400, "Bad Request: message text is empty")
                msg["text"] = params["text"]
            elif lower == "editmessagecaption" and "caption" in params:
                msg["caption"] = params["caption"]
            return msg
        if lower == "copymessage":
            _require(params, "chat_id", "Bad Request: chat_id is empty")
            self._message_id += 1
            return {"message_id": self._message_id}
        if lower == "sendmediagroup":
            _require(params, "chat_id", "Bad Request: chat_id is empty")
            media = _loads(params.get("media")) or []
            group_id = str(10**12 + self._message_id)
            out = []
            for item in media if isinstance(media, list) else []:
                msg = self._new_message(token, params)
                msg["media_group_id"] = group_id
                kind = item.get("type", "document") if isinstance(item, dict) else "document"
                lower_kind = "send" + kind.replace("_", "")
                if lower_kind in _MEDIA_METHODS:
                    key, obj = self._media(lower_kind, {kind: item.get("media", "")}, files)
                    msg[key] = obj
                if isinstance(item, dict) and item.get("caption"):
                    msg["caption"] = item["caption"]
                out.append(msg)
            return out
        if lower in _MEDIA_METHODS:
            _require(params, "chat_id", "Bad Request: chat_id is empty")
            key, obj = self._media(lower, params, files)
            msg = self._new_message(token, params)
            msg[key] = obj
            if params.get("caption"):
                msg["caption"] = params["caption"]
            return msg
        if lower in SEND_METHODS:  # sendLocation, forwardMessage, sendPoll, ...
            _require(params, "chat_id", "Bad Request: chat_id is empty")
            msg = self._new_message(token, params)
            if "text" in params:
                msg["text"] = params["text"]
            return msg
        return True  # unknown / not modelled: ok

    def _file_download(self, path: str) -> bytes | None:
        with self._lock:
            for meta in self._files.values():
                if meta.get("file_path") == path:
                    return meta.get("content")
        return None


# --------------------------------------------------------------------------- helpers


_SCOPE_TYPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
                          "chat_administrators", "chat_member"})


def _scope_key(scope: Any) -> str:
    """A BotCommandScope as canonical JSON (chat ids as integers), checked as Telegram checks it."""
    scope = scope or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
        raise _ApiError(400, "Bad Request: can't parse BotCommandScope")
    if scope["type"].startswith("chat"):
        try:
            scope = {**scope, "chat_id": int(scope["chat_id"])}
        except (KeyError, TypeError, ValueError):
            raise _ApiError(400, "Bad Request: chat_id is empty") from None
    return _json.dumps(scope, sort_keys=True)


def _is_command(item: Any) -> bool:
    """A BotCommand as Telegram takes it: 1-32 of a-z 0-9 _, and a description of 1-256 characters."""
    if not isinstance(item, dict):
        return False
    command, description = item.get("command"), item.get("description")
    return (isinstance(command, str) and 1 <= len(command) <= 32
            and all(ch.islower() or ch.isdigit() or ch == "_" for ch in command) and command.isascii()
            and isinstance(description, str) and 1 <= len(description) <= 256)


def _print_line(line: str) -> None:
    print(line, flush=True)


def _error_payload(status: int, description: str | None, retry_after: int | None) -> dict[str, Any]:
    if status == 429 and retry_after is None:
        retry_after = 1
    if description is None:
        if status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        else:
            description = _DEFAULT_DESCRIPTIONS.get(status)
            if description is None:
                try:
                    description = HTTPStatus(status).phrase
                except ValueError:
                    description = "Error"
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return payload


def _require(params: dict[str, str], name: str, description: str | None = None) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise _ApiError(400, description or f"Bad Request: {name} is empty")
    return value


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _ApiError(400, f"Bad Request: invalid integer value {value!r}") from None


def _loads(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return _json.loads(value)
    except ValueError:
        return None


def _split_header_params(value: str) -> tuple[str, dict[str, str]]:
    """Parse ``form-data; name="x"; filename=r.pdf`` (quoted or not, RFC 5987 ``*``)."""
    items: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            buf.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch == ";" and not quoted:
            items.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    items.append("".join(buf))
    main_value = items[0].strip().lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for item in items[1:]:
        key, sep, val = item.partition("=")
        if not sep:
            continue
        key, val = key.strip().lower(), val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if key.endswith("*"):
            charset, _, rest = val.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                extended[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="replace")
            except LookupError:
                extended[key[:-1]] = unquote(encoded)
        else:
            params[key] = val
    params.update(extended)
    return main_value, params


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    _, ct_params = _split_header_params(content_type)
    boundary = ct_params.get("boundary")
    if not boundary:
        raise _ApiError(400, "Bad Request: multipart boundary is missing")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    params: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    chunks = (b"\r\n" + body).split(delimiter)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # close delimiter
        # skip transport padding + CRLF after the boundary line
        _, _, chunk = chunk.partition(b"\r\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:  # part without headers at all
            head, content = b"", chunk[2:] if chunk.startswith(b"\r\n") else chunk
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n"):
            name, colon, value = line.partition(b":")
            if colon:
                headers[name.strip().lower().decode("latin-1")] = value.strip().decode("utf-8", "replace")
        _, disp = _split_header_params(headers.get("content-disposition", ""))
        field_name = disp.get("name")
        if field_name is None:
            continue
        if "filename" in disp:
            files[field_name] = (disp["filename"], content)
        else:
            params[field_name] = content.decode("utf-8", "replace")
    return params, files


def _flatten_json(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        raise _ApiError(400, "Bad Request: JSON body must be an object")
    return {str(k): v if isinstance(v, str) else _json.dumps(v) for k, v in data.items() if v is not None}


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    fake: FakeTelegramAPI
    stopping = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_connections(self) -> None:
        """Drop idle keep-alive connections so no client keeps talking to a stopped fake."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegramBotAPI/1.0"
    disable_nagle_algorithm = True  # otherwise keep-alive + delayed ACK adds ~40 ms per call
    timeout = 60  # idle keep-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr access log
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.server.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _send_broken(self, content: bytes) -> None:
        """Promise the whole body, send half of it and close the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content[: len(content) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, _json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def _dispatch(self, http_method: str) -> None:
        fake = self.server.fake
        try:
            body = self._read_body()
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            segments = path.lstrip("/").split("/")
            if len(segments) >= 3 and segments[0] == "file" and segments[1].startswith("bot"):
                content = fake._file_download("/".join(segments[2:]))
                if fake.latency:
                    time.sleep(fake.latency)
                if content is None:
                    self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                elif fake._take_broken_download():
                    self._send_broken(content)
                else:
                    self._send(200, content, "application/octet-stream")
                return
            if len(segments) not in (2, 3) or not segments[0].startswith("bot") or not segments[1] or (
                len(segments) == 3 and segments[2]
            ):
                self._send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            token, method = segments[0][3:], segments[1]
            try:
                params, files = self._parse_params(parts.query, body)
            except _ApiError as err:
                status, payload = err.status, _error_payload(err.status, err.description, None)
                fake._record_bad_request(http_method, token, method, status, payload)
            else:
                raw = fake._take_raw_answer(method)
                if raw is not None:
                    fake._record_raw_answer(http_method, token, method, params, raw[0])
                    self._send(raw[0], raw[1], raw[2])
                    return
                status, payload = fake._handle_api(http_method, token, method, params, files)
            if fake.latency:
                time.sleep(fake.latency)
            self._send_json(status, payload)
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        except Exception as exc:  # never leave a client hanging because of a bug in the fake
            try:
                self._send_json(500, {"ok": False, "error_code": 500,
                                      "description": f"Internal Server Error (fake: {exc!r})"})
            except OSError:
                self.close_connection = True

    def _parse_params(self, query: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
        params: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
        files: dict[str, tuple[str, bytes]] = {}
        if not body:
            return params, files
        content_type = self.headers.get("Content-Type", "")
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind == "multipart/form-data":
            form, files = _parse_multipart(body, content_type)
            params.update(form)
        elif kind == "application/json":
            try:
                data = _json.loads(body.decode("utf-8"))
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON object") from None
            params.update(_flatten_json(data))
        else:  # application/x-www-form-urlencoded (or unspecified)
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params, files



# --------------------------------------------------------------------------- standalone


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.fakes.telegram_api",
        description="Run the fake Telegram Bot API server (use the printed URL as TELEGRAM_API_URL).",
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081, help="0 = any free port (default 8081)")
    ap.add_argument("--enforce-limits", action="store_true", help="answer 429 above the flood limits")
    ap.add_argument("--global-rate", type=int, default=30, help="send calls per second overall (default 30)")
    ap.add_argument("--per-chat-rate", type=int, default=1, help="send calls per second per chat (default 1)")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    ap.add_argument("--quiet", action="store_true", help="do not log calls")
    ap.add_argument("--max-calls", type=int, default=10000, help="recorded calls kept in memory")
    args = ap.parse_args(list(argv) if argv is not None else None)

    fake = FakeTelegramAPI(
        args.host,
        args.port,
        enforce_limits=args.enforce_limits,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
        latency=args.latency,
        log_calls=not args.quiet,
        max_calls=args.max_calls,
    )
    # Ready for SIGTERM before anyone can learn the URL: a caller may stop us right after its first call.
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    fake.start()
    print(fake.url, flush=True)
    print(
        f"# fake Telegram Bot API: enforce_limits={args.enforce_limits} "
        f"latency={args.latency}s; Ctrl-C to stop",
        flush=True,
    )
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

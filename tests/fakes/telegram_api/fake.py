"""FakeTelegramAPI: the server's life, the calls it recorded, and the switches tests turn."""
from __future__ import annotations

import collections
import json
import threading
import time
from typing import Any, Callable

from . import methods
from .errors import ApiError
from .limits import FailRule, Failures, FloodLimits
from .methods.bot import scope_key
from .records import Call, Request
from .server import Server
from .state import BotState


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
        self.latency = latency
        self.log_calls = log_calls
        self._log = log or _print_line
        self.max_calls = max_calls

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: collections.deque[Call] = collections.deque()
        self._failures = Failures()
        self._limits = FloodLimits(global_rate, per_chat_rate, rate_window)
        self._on_accept: dict[str, Callable[[Call], None]] = {}
        self._too_many_count = 0
        self._too_many_by_chat: collections.Counter[str] = collections.Counter()
        self._state = BotState(max_files=max_calls)
        self._raw_answers: list[tuple[str, int, bytes, str]] = []
        self._broken_downloads = 0

        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "FakeTelegramAPI":
        if self._server is not None:
            raise RuntimeError("FakeTelegramAPI already started")
        server = Server((self.host, self._requested_port), self)
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
        server.stop()
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
            self._limits.clear()
            self._state.forget()

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The command list set for *scope* (default: ``{"type": "default"}``) and language, as getMyCommands
        answers it: what a chat of that scope is shown (without Telegram's fallback to wider scopes)."""
        with self._lock:
            return list(self._state.commands.get((scope_key(scope), language_code), []))

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
            self._failures.rules.append(
                FailRule(method.lower() if method else None, status, description, retry_after, times)
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

    def fail_chat(self, chat_id: int | str, status: int = 403, description: str | None = None) -> None:
        """Fail every call whose chat_id is *chat_id* until :meth:`clear_failures`."""
        with self._lock:
            self._failures.chats[str(chat_id)] = (status, description)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()
            self._on_accept.clear()

    def on_next_accept(self, method: str, callback: Callable[[Call], None]) -> None:
        """Run *callback* once, on the next successful call to *method*: after Telegram has taken it (the call is
        recorded) and before the caller gets the answer — the moment a sender can die having sent."""
        with self._lock:
            self._on_accept[method.lower()] = callback

    # ------------------------------------------------------------------ what the HTTP server asks

    def answer(self, http_method: str, token: str, method: str, params: dict[str, str],
               files: dict[str, tuple[str, bytes]]) -> tuple[int, bytes, str]:
        """(HTTP status, body, content type) for one call to *method*, recorded."""
        raw = self._take_raw_answer(method)
        if raw is not None:
            status, body, content_type = raw
            self._record(Call(method, token, params, {}, time.time(), status, True, http_method, {}))
            return status, body, content_type
        status, payload = self._handle_api(http_method, token, method, params, files)
        return status, _json(payload), "application/json"

    def refuse(self, http_method: str, token: str, method: str, error: ApiError) -> tuple[int, bytes, str]:
        """Answer (and record) a call whose body could not be read."""
        payload = error.payload()
        self._record(Call(method, token, {}, {}, time.time(), error.status, True, http_method, payload))
        return error.status, _json(payload), "application/json"

    def download(self, path: str) -> tuple[bytes | None, bool]:
        """(the file's bytes or None, whether this download is to break off half-way)."""
        with self._lock:
            content = self._state.download(path)
            broken = content is not None and self._broken_downloads > 0
            if broken:
                self._broken_downloads -= 1
        return content, broken

    def _take_raw_answer(self, method: str) -> tuple[int, bytes, str] | None:
        with self._lock:
            for index, (wanted, status, body, content_type) in enumerate(self._raw_answers):
                if wanted == method.lower():
                    del self._raw_answers[index]
                    return status, body, content_type
        return None

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            if self.max_calls is not None:
                while len(self._calls) > self.max_calls:
                    self._calls.popleft()
            self._cond.notify_all()

    def _handle_api(self, http_method: str, token: str, method: str, params: dict[str, str],
                    files: dict[str, tuple[str, bytes]]) -> tuple[int, dict[str, Any]]:
        at = time.time()
        request = Request(token, method.lower(), params, files)
        chat_id = params.get("chat_id")
        with self._lock:
            status, payload, from_limiter = 200, None, False
            try:
                self._failures.check(request.method, chat_id)
                if self.enforce_limits:
                    from_limiter = True
                    self._limits.check(request.method, chat_id)
                    from_limiter = False
                payload = {"ok": True, "result": methods.result(self._state, request)}
            except ApiError as err:
                status = err.status
                payload = err.payload()
                if from_limiter:
                    self._too_many_count += 1
                    self._too_many_by_chat[str(chat_id)] += 1
            call = Call(method, token, params, files, at, status, status != 200, http_method, payload)
            self._record(call)
            on_accept = self._on_accept.pop(request.method, None) if status == 200 else None
        if on_accept is not None:
            on_accept(call)
        if self.log_calls:
            line = f"{method} chat_id={chat_id if chat_id is not None else '-'}"
            if status != 200:
                line += f" status={status}"
            self._log(line)
        return status, payload


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _print_line(line: str) -> None:
    print(line, flush=True)

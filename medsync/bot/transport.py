"""The Bot API's HTTP transport: one kept-alive urllib3 connection pool per host and process, the
parameters in a JSON body.

pyTelegramBotAPI's default sends every call through a `requests` Session with the parameters (the
message text and its keyboard's JSON) in the query string. Per call that costs far more Python than the
call itself: requests merges proxy settings from the environment (a scan of os.environ), prepares the
request, and urllib3 re-scans the long URL for characters to escape. This sender does the same call
with urllib3 alone, straight to the host's connection pool (no URL parsing per call), and sends the
parameters as JSON (the C encoder; percent-encoding a keyboard's JSON in Python cost more than the rest
of the request). The Bot API takes a JSON body as it takes a form: a field whose value is a string
(such as reply_markup, already JSON) is read as that string. Uploads (multipart) and calls through a
configured proxy go through a `requests` Session per thread, which encodes pyTelegramBotAPI's `files` as
its own session did.

Only the libraries' public interfaces: the sender is the CUSTOM_REQUEST_SENDER of pyTelegramBotAPI's README
(called as `requests.request` would be, answering with its `util.CustomRequestResponse`), and a GET's
query string is `urlencode`'s, as requests builds it.

Failures keep their meaning for the callers (replies.py, the workers): an HTTP error status comes back
as a response, so pyTelegramBotAPI raises ApiTelegramException / ApiHTTPException as before, and a
network failure is raised as the `requests` exception it used to be. Nothing is retried here: the Bot
API has no idempotency key, so a resend is for the outbox to decide.
"""
from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass

import requests
import urllib3
from flask import has_request_context, request
from telebot import apihelper
from telebot.util import CustomRequestResponse

# More connections than a gunicorn worker has threads: a thread never waits for one (block=False adds
# a short-lived one beyond this instead).
POOL_SIZE = 32
JSON_BODY = {"Content-Type": "application/json"}
# One call, one attempt (as `retries=False, redirect=False`), built once.
NO_RETRIES = urllib3.Retry(False, redirect=False)


class BotApiTransport:
    """A pyTelegramBotAPI CUSTOM_REQUEST_SENDER; thread-safe, re-created in a forked child."""

    def __init__(self) -> None:
        self._pools: dict[str, urllib3.HTTPConnectionPool | urllib3.ProxyManager] = {}
        self._sessions = threading.local()
        os.register_at_fork(after_in_child=self._forget_connections)

    def __call__(self, method: str, url: str, params: dict[str, Any] | None = None, files: Any = None,
                 timeout: tuple[float, float] | None = None, proxies: dict[str, str] | None = None) -> Any:
        if has_request_context():
            request.environ[_SPOKE] = True  # the update being handled has reached Telegram: see `spoke()`
        if files or proxies:
            return self._session().request(method, url, params=params, files=files, timeout=timeout,
                                           proxies=proxies)
        scheme_and_host, path = _split(url)
        if method.upper() == "GET":
            encoded = _query(params)
            target, body, headers = (f"{path}?{encoded}" if encoded else path), None, None
        else:
            target, body, headers = path, _json_body(params), JSON_BODY
        pool = self._pool_for(scheme_and_host)
        if isinstance(pool, urllib3.PoolManager):
            target = scheme_and_host + target  # a proxy is asked for the whole URL
        try:
            response = pool.urlopen(
                method.upper(), target, body=body, headers=headers, retries=NO_RETRIES, redirect=False,
                assert_same_host=False, timeout=_timeout(timeout), preload_content=True,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _as_requests_error(exc) from exc
        return CustomRequestResponse(response.data.decode("utf-8", "replace"), response.status, response.reason)

    def _session(self) -> requests.Session:
        """This thread's Session (requests documents no thread safety for a shared one)."""
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        return session

    def _pool_for(self, scheme_and_host: str) -> urllib3.HTTPConnectionPool | urllib3.ProxyManager:
        """The host's connection pool; with a proxy from the environment (honoured as requests did), the proxy's."""
        pool = self._pools.get(scheme_and_host)
        if pool is None:
            parts = urlsplit(scheme_and_host)
            proxy = getproxies().get(parts.scheme)
            if proxy and not proxy_bypass(parts.hostname or ""):
                pool = urllib3.ProxyManager(proxy, num_pools=4, maxsize=POOL_SIZE)
            else:
                pool = urllib3.connection_from_url(scheme_and_host, maxsize=POOL_SIZE)
            self._pools[scheme_and_host] = pool
        return pool

    def _forget_connections(self) -> None:
        # A forked child must not share its parent's sockets; dropping (not closing) them leaves the parent's alone.
        self._pools = {}
        self._sessions = threading.local()


@lru_cache(maxsize=256)
def _split(url: str) -> tuple[str, str]:
    """'https://host/bot<token>/sendMessage' -> ('https://host', '/bot<token>/sendMessage'): a few methods, one base."""
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return f"{parts.scheme}://{parts.netloc}", path or "/"


@lru_cache(maxsize=16)
def _timeout(timeout: tuple[float, float] | float | None) -> urllib3.Timeout:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return urllib3.Timeout(connect=connect, read=read)


def _query(params: dict[str, Any] | None) -> str:
    """A GET's parameters as requests puts them in the URL: None values left out, sequences repeated."""
    return urlencode([(name, value) for name, value in (params or {}).items() if value is not None], doseq=True)


def _json_body(params: dict[str, Any] | None) -> bytes:
    """The parameters as a JSON object; None values are left out, as a form leaves them out."""
    fields = {name: value for name, value in (params or {}).items() if value is not None}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _as_requests_error(exc: urllib3.exceptions.HTTPError) -> requests.RequestException:
    """The `requests` exception the same failure raised before (callers treat these as "try again later")."""
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return requests.ConnectionError(exc)  # refused or unresolved: urllib3 files it under ConnectTimeoutError
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return requests.ConnectTimeout(exc)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return requests.ReadTimeout(exc)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return requests.exceptions.SSLError(exc)
    return requests.ConnectionError(exc)


_SPOKE = "medsync.bot_api_called"


def spoke() -> bool:
    """Has this request called the Bot API (sent, edited, uploaded — successfully or not)?"""
    return has_request_context() and bool(request.environ.get(_SPOKE))


def install() -> None:
    """Route pyTelegramBotAPI's calls (process-wide, like its API_URL) through one BotApiTransport."""
    if not isinstance(apihelper.CUSTOM_REQUEST_SENDER, BotApiTransport):
        apihelper.CUSTOM_REQUEST_SENDER = BotApiTransport()

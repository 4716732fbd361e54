"""The Bot API's HTTP transport: one kept-alive urllib3 pool per process, the parameters in a form body.

pyTelegramBotAPI's default sends every call through a `requests` Session with the parameters (the
message text and its keyboard's JSON) in the query string. Per call that costs far more Python than the
call itself: requests merges proxy settings from the environment (a scan of os.environ), prepares the
request, and urllib3 re-scans the long URL for characters to escape. This sender does the same call
with urllib3 alone. Uploads (multipart) still go through pyTelegramBotAPI's own session, as before.

Failures keep their meaning for the callers (replies.py, the workers): an HTTP error status comes back
as a response, so pyTelegramBotAPI raises ApiTelegramException / ApiHTTPException as before, and a
network failure is raised as the `requests` exception it used to be. Nothing is retried here: the Bot
API has no idempotency key, so a resend is for the outbox to decide.
"""
from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import requests
import urllib3
from requests.models import RequestEncodingMixin
from telebot import apihelper

# More connections than a gunicorn worker has threads: a thread never waits for one (block=False adds
# a short-lived one beyond this instead).
POOL_SIZE = 32
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class BotApiResponse:
    """What pyTelegramBotAPI reads from a response: status_code, reason, text and json()."""

    __slots__ = ("status_code", "reason", "content")

    def __init__(self, status_code: int, reason: str | None, content: bytes) -> None:
        self.status_code = status_code
        self.reason = reason
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class BotApiTransport:
    """A pyTelegramBotAPI CUSTOM_REQUEST_SENDER; thread-safe, re-created in a forked child."""

    def __init__(self) -> None:
        self._pools: dict[str, urllib3.PoolManager] = {}
        os.register_at_fork(after_in_child=self._forget_pools)

    def __call__(self, method: str, url: str, params: dict[str, Any] | None = None, files: Any = None,
                 timeout: tuple[float, float] | None = None, proxies: dict[str, str] | None = None) -> Any:
        if files or proxies:
            # Multipart uploads and an explicitly configured proxy: pyTelegramBotAPI's own session, unchanged.
            return apihelper._get_req_session().request(method, url, params=params, files=files, timeout=timeout,
                                                        proxies=proxies)
        encoded = RequestEncodingMixin._encode_params(params) if params else ""
        if method.upper() == "GET":
            target, body, headers = (f"{url}?{encoded}" if encoded else url), None, None
        else:
            target, body, headers = url, encoded.encode(), FORM
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        try:
            response = self._pool_for(url).request(
                method.upper(), target, body=body, headers=headers, retries=False, redirect=False,
                timeout=urllib3.Timeout(connect=connect, read=read),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _as_requests_error(exc) from exc
        return BotApiResponse(response.status, response.reason, response.data)

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        """One pool manager per scheme and host: a proxy from the environment is honoured as requests did."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        pool = self._pools.get(key)
        if pool is None:
            proxy = getproxies().get(parts.scheme)
            if proxy and not proxy_bypass(parts.hostname or ""):
                pool = urllib3.ProxyManager(proxy, num_pools=4, maxsize=POOL_SIZE)
            else:
                pool = urllib3.PoolManager(num_pools=4, maxsize=POOL_SIZE)
            self._pools[key] = pool
        return pool

    def _forget_pools(self) -> None:
        # A forked child must not share its parent's sockets; dropping (not closing) them leaves the parent's alone.
        self._pools = {}


def _as_requests_error(exc: urllib3.exceptions.HTTPError) -> requests.RequestException:
    """The `requests` exception the same failure raised before (callers treat these as "try again later")."""
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return requests.ConnectTimeout(exc)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return requests.ReadTimeout(exc)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return requests.exceptions.SSLError(exc)
    return requests.ConnectionError(exc)


def install() -> None:
    """Route pyTelegramBotAPI's calls (process-wide, like its API_URL) through one BotApiTransport."""
    if not isinstance(apihelper.CUSTOM_REQUEST_SENDER, BotApiTransport):
        apihelper.CUSTOM_REQUEST_SENDER = BotApiTransport()

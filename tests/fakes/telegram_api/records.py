"""Calls: as the methods get one (Request), and as the fake keeps it for tests (Call)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


@dataclass
class Request:
    """One call to a Bot API method, its parameters parsed (``method`` lower-cased, as Telegram matches it)."""

    token: str
    method: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes]]


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
        return json.loads(self.params[name])

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

"""The ids a log line carries where there is one: the request's, the Telegram update's, the Celery task's, the
booking's. Kept in a context variable (each request, update and task runs in its own thread or context) and copied
onto every record by a logging filter; never anything personal, only ids.
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is kept when it looks like an id (a UUID, a load balancer's trace id); anything else could
# forge log lines or carry what must not be logged, and is replaced by one of ours.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

_NONE: Mapping[str, str | int] = MappingProxyType({})
_ids: ContextVar[Mapping[str, str | int]] = ContextVar("medsync_log_ids", default=_NONE)


def bind(**ids: str | int) -> None:
    """Add ids for the rest of the current request or task (its scope restores what was there before it)."""
    _ids.set(MappingProxyType({**_ids.get(), **ids}))


def current() -> Mapping[str, str | int]:
    return _ids.get()


@contextmanager
def scope(**ids: str | int) -> Iterator[None]:
    """These ids, and those bound inside, for the duration of the block."""
    token = _ids.set(MappingProxyType({**_ids.get(), **ids}))
    try:
        yield
    finally:
        _ids.reset(token)


class LogIds(logging.Filter):
    """Puts the current ids on each record, as attributes a formatter shows (the JSON one shows them all)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _ids.get().items():
            setattr(record, name, value)
        return True


def init_request_ids(app: Flask) -> None:
    """Every request gets an id: the caller's X-Request-ID when sane, else a new one; the response names it."""
    app.before_request(_begin_request)
    app.after_request(_name_request)
    app.teardown_request(_end_request)


def request_id_from(header: str | None) -> str:
    if header is not None and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _begin_request() -> None:
    ids: dict[str, str | int] = {"request_id": request_id_from(request.headers.get(REQUEST_ID_HEADER))}
    booking_id = (request.view_args or {}).get("booking_id")
    if booking_id is not None:  # /api/v1/bookings/<booking_id>/…, the staff routes
        ids["booking_id"] = booking_id
    g.log_ids_token = _ids.set(MappingProxyType(ids))


def _name_request(response: Response) -> Response:
    request_id = _ids.get().get("request_id")
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = str(request_id)
    return response


def _end_request(_error: BaseException | None = None) -> None:
    token = g.pop("log_ids_token", None)
    if token is not None:
        _ids.reset(token)

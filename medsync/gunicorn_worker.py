"""gunicorn's gthread worker, answering gunicorn's own errors in the one JSON error shape.

gunicorn refuses some requests before the app sees them — a request line longer than `limit_request_line`
(414), more or larger headers than `limit_request_fields` / `limit_request_field_size` allow (431), a request
it cannot parse (400) — and answers an app that raised past its own handlers with 500. It writes all of these
as a small HTML page from `Worker.handle_error`, and has no setting for their format. A custom worker class is
gunicorn's public way to change a worker's behaviour, so this one overrides `handle_error`: the same statuses,
the same log lines, our JSON body. tests/foundation/test_gunicorn_errors.py runs a real gunicorn with it and fails
if an upgrade stops routing these errors through `handle_error`.
"""
from __future__ import annotations

import json
import ssl
from http import HTTPStatus
from typing import Any

from gunicorn import util
from gunicorn.http.errors import (
    ConfigurationProblem, ExpectationFailed, ForbiddenProxyRequest, InvalidResponseHeader,
    InvalidResponseHeaderName, LimitRequestHeaders, LimitRequestLine, ParseException, UnsupportedTransferCoding,
)
from gunicorn.workers.gthread import ThreadWorker

from medsync.errors import SERVER_ERROR_MESSAGE, error_body
from medsync.logs import log_failure

# gunicorn's own choice of status for each error (gunicorn.workers.base.Worker.handle_error); the first match wins.
_STATUSES: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
    ((InvalidResponseHeader, InvalidResponseHeaderName, ConfigurationProblem), 500),  # ours, not the client's
    ((LimitRequestLine,), 414),
    ((LimitRequestHeaders,), 431),
    ((ExpectationFailed,), 417),
    ((UnsupportedTransferCoding,), 501),
    ((ForbiddenProxyRequest, ssl.SSLError), 403),
    ((ParseException,), 400),
)


def error_status(exc: BaseException) -> int:
    """The status gunicorn answers this error with: 4xx for what the client sent, 500 for anything else."""
    for kinds, status in _STATUSES:
        if isinstance(exc, kinds):
            return status
    return 500


def error_response(status: int) -> bytes:
    """A complete HTTP/1.1 response carrying the one error shape; the connection is closed after it."""
    body = json.dumps(error_body(status, SERVER_ERROR_MESSAGE if status == 500 else None)).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class JsonErrorsThreadWorker(ThreadWorker):
    """gthread, with gunicorn's error answers in the one JSON shape."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status = error_status(exc)
        # As gunicorn logs them, but by the error's name only: its text can quote the request line or a header,
        # and a query string or a header may carry what we never log (names, initData).
        if status < 500:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], type(exc).__name__)
        else:
            log_failure(self.log, exc, "Error handling request %s", getattr(req, "path", "(no path read)"))
        try:
            util.write_nonblock(client, error_response(status))
        except Exception:  # noqa: BLE001 - the client may be gone; gunicorn gives up the same way
            self.log.debug("Failed to send error message.")

"""Request bodies of the JSON routes (the API's and the Telegram webhook's): a JSON object, or a clear
400/413/415 before any validation."""
from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

_WRITES = frozenset({"POST", "PUT", "PATCH"})
# Our bodies nest 2 levels, a Telegram Update under 15 (a reply's inline keyboard: update, message,
# reply_to_message, reply_markup, inline_keyboard, row, button, web_app).
MAX_DEPTH = 32


def require_json_object() -> None:
    """before_request hook: a write with a body must send a JSON object as application/json."""
    if request.method not in _WRITES:
        return
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")
    if not request.is_json:
        if has_body:
            raise UnsupportedMediaType(_("Send the request body as application/json."))
        return
    json_object()


_PARSED = "medsync.json_object"


def json_object() -> dict[str, Any]:
    """The body parsed as a JSON object (an absent body counts as {} only without a JSON content type); parsed
    once per request for our own steps (the hook, the rate limiter, the compatible views, the webhook; flask-smorest's
    arguments parse their own copy, after the hook has checked this one). Read it, do not change it: the steps
    share it."""
    parsed = request.environ.get(_PARSED)
    if parsed is None:
        parsed = request.environ[_PARSED] = _parse()
    return parsed


def _parse() -> dict[str, Any]:
    if not request.is_json and not request.content_length:
        return {}
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A chunked body is cut at the limit without a word (werkzeug's LimitedStream): too large, not malformed.
        raise RequestEntityTooLarge()
    if not raw.strip():
        raise BadRequest(_("The request body is empty; send a JSON object."))
    try:
        body = json.loads(raw)  # RecursionError: the C decoder's answer to nesting deeper than Python's limit
    except (ValueError, RecursionError):
        raise BadRequest(_("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    if not _nested_within(body, MAX_DEPTH):
        # Nothing we take is nested this deep; whatever walks a body (the webhook's checks, a library) may recurse.
        raise BadRequest(ngettext("The request body is nested deeper than %(num)d level.",
                                   "The request body is nested deeper than %(num)d levels.", MAX_DEPTH))
    return body


def _nested_within(value: Any, depth: int) -> bool:
    """Are arrays and objects nested at most `depth` levels deep? Level by level, so the check cannot recurse."""
    level = [value]
    for _level in range(depth + 1):
        containers = [item for item in level if isinstance(item, (dict, list))]
        if not containers:
            return True
        level = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)]
    return False

"""Every error leaves as the one JSON shape, its message and field errors in the caller's language (medsync.i18n);
unexpected ones roll the transaction back."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from medsync.errors import SERVER_ERROR_MESSAGE, DomainError, error_body
from medsync.extensions import db
from medsync.i18n import translated
from medsync.logs import log_failure

log = logging.getLogger(__name__)

# Headers of the original HTTP error that clients need (405 Allow, 429 Retry-After …).
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
_LOCATIONS = {"json", "query", "querystring", "form", "files", "headers", "path", "view_args", "cookies"}
# Our words for what werkzeug says in its own (for the errors nobody gave a message of their own: an unknown URL, a
# method the route does not take …); any other status says its HTTP reason phrase.
_HTTP_MESSAGES = {
    400: _l("The request is malformed."),
    401: _l("Authentication required."),
    403: _l("This is not allowed."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    406: _l("No answer in a form the client accepts."),
    409: _l("The request conflicts with the current state."),
    413: _l("The request body is too large."),
    415: _l("The request body's media type is not supported."),
    422: _l("The request is invalid."),
    429: _l("Too many requests. Please wait a little and try again."),
    500: SERVER_ERROR_MESSAGE,
    503: _l("The service is briefly unavailable. Please try again."),
}


def register_error_handlers(app: Flask) -> None:
    """Map domain errors, HTTP errors (incl. routing and validation) and crashes to the one shape; end each
    request's database session without letting a lost connection replace the response (call after db.init_app)."""
    app.register_error_handler(DomainError, domain_error_response)
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(Exception, unexpected_error_response)
    # Flask runs teardowns in reverse order of registration: this one before Flask-SQLAlchemy's, which then finds
    # no session left to close.
    app.teardown_appcontext(end_session)


def end_session(_error: BaseException | None = None) -> None:
    """Close the context's session; a connection that died after the response was built is discarded (the pool
    replaces it) instead of failing the finished request, which the server would answer with its own HTML 500."""
    try:
        db.session.remove()
    except DBAPIError as exc:
        # The request context is already gone here: no method or path to name.
        log.warning("the database session could not be closed (%s); its connection was discarded",
                    type(exc).__name__)
        db.session().invalidate()  # closes it without another round trip to the dead connection
        db.session.remove()


def domain_error_response(exc: DomainError) -> Response:
    """A refused use case: its own status, message and field errors."""
    _roll_back()
    response = _json(exc.http_status, exc.message, exc.errors)
    retry_after = getattr(exc, "retry_after", None)  # a refusal for now only (429) says when to ask again
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def http_error_response(exc: HTTPException) -> Response:
    """Werkzeug and webargs errors: routing 404/405, 400/413/415/422 validation, 429."""
    _roll_back()
    code = exc.code or 500
    data = getattr(exc, "data", None)  # webargs/flask-smorest put field messages here
    errors: dict = {}
    described = exc.description if exc.description != type(exc).description else None  # werkzeug's own is English
    message = described if code != 500 else None
    if isinstance(data, dict):
        messages = data.get("errors", data.get("messages"))
        if isinstance(messages, dict):
            errors = _flatten(messages)
        if isinstance(data.get("message"), str):
            message = data["message"]
    if code == 422 and errors and message == described:
        message = _("Some fields are missing or invalid.")
    response = _json(code, message, errors)
    original = exc.get_response()
    for name in _KEPT_HEADERS:
        if original.headers.get(name):
            response.headers[name] = original.headers[name]
    if isinstance(data, dict) and isinstance(data.get("headers"), dict):
        response.headers.update(data["headers"])
    return response


def unexpected_error_response(exc: Exception) -> Response:
    """A bug: log it, undo the transaction, tell the client nothing about the internals."""
    _roll_back()
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        # PostgreSQL went away under this request (a restart): the pool was invalidated, the next request reconnects.
        log.warning("database connection lost on %s %s; answered 503", request.method, request.path)
        return _json(503, _HTTP_MESSAGES[503])
    log_failure(log, exc, "unhandled error on %s %s", request.method, request.path)
    return _json(500, SERVER_ERROR_MESSAGE)


def _roll_back() -> None:
    """Undo the request's transaction before answering; if its connection died meanwhile, nothing is left to undo:
    the connection is discarded and the answer still goes out (a failure here would escape Flask's handlers)."""
    try:
        db.session.rollback()
    except DBAPIError as exc:
        log.warning("rolling back failed (%s); the session's connection was discarded", type(exc).__name__)
        db.session().invalidate()


def _json(code: int, message: str | None, errors: dict | None = None) -> Response:
    if message is None:
        message = _HTTP_MESSAGES.get(code)
    response = jsonify(error_body(code, translated(str(message)) if message else None, _translated(errors or {})))
    response.status_code = code
    return response


def _translated(errors: Any) -> Any:
    """Field errors with every message in the caller's language: ours come translated, marshmallow's are found in
    the catalog by their English text (medsync.api.field_messages)."""
    if isinstance(errors, dict):
        return {name: _translated(value) for name, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [_translated(value) for value in errors]
    return translated(str(errors))


def _flatten(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {...}}); clients want {field: [..]}."""
    if set(messages) <= _LOCATIONS:
        merged: dict = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return messages

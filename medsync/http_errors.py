"""Every error leaves as the one JSON shape; unexpected ones roll the transaction back."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from medsync.errors import DomainError, error_body
from medsync.extensions import db

log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return jsonify(error_body(exc.http_status, exc.message, exc.errors)), exc.http_status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        code = exc.code or 500
        errors = {}
        data = getattr(exc, "data", None)  # webargs/flask-smorest put field messages here
        if isinstance(data, dict) and isinstance(data.get("messages"), dict):
            errors = _flatten(data["messages"])
        response = jsonify(error_body(code, exc.description if code != 500 else None, errors))
        response.status_code = code
        if code == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        if code == 429 and exc.get_response().headers.get("Retry-After"):
            response.headers["Retry-After"] = exc.get_response().headers["Retry-After"]
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify(error_body(500, "Something went wrong on our side. Please try again.")), 500


def _flatten(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {...}}); clients want {field: [..]}."""
    if set(messages) <= {"json", "query", "form", "files", "headers", "path", "view_args", "querystring"}:
        merged: dict = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return messages

"""Domain exceptions and the one JSON error shape. Messages are read by people: lazy gettext, rendered in the
language of whoever the error is answered to (`status` stays HTTP's English reason phrase: clients parse it)."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_babel import lazy_gettext as _l


def error_body(code: int, message: str | None = None, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """{"code": 404, "status": "Not Found", "message": "...", "errors": {...}}"""
    status = HTTPStatus(code)
    return {
        "code": code,
        "status": status.phrase,
        "message": str(message) if message else status.description or status.phrase,
        "errors": errors or {},
    }


# What a client is told of a failure on our side (the app's 500, gunicorn's own): nothing of its internals.
SERVER_ERROR_MESSAGE = _l("Something went wrong on our side. Please try again.")


class DomainError(Exception):
    """A refused use case; `http_status` is how the API reports it."""

    http_status = 409
    default_message = _l("The request conflicts with the current state.")

    def __init__(self, message: str | None = None, *, errors: dict[str, list[str]] | None = None) -> None:
        self.message = message if message is not None else self.default_message  # a lazy text stays lazy
        self.errors = errors or {}
        super().__init__(self.message)


class NotFound(DomainError):
    http_status = 404
    default_message = _l("Not found.")


class BookingNotFound(NotFound):
    default_message = _l("Booking not found.")


class ResultNotFound(NotFound):
    default_message = _l("Result not found.")


class InvalidRequest(DomainError):
    http_status = 422
    default_message = _l("The request is invalid.")


class NotOffered(InvalidRequest):
    """A doctor asked for at a clinic where they do not work, or a test at a clinic that does not offer it (see
    `catalog.offer_at`, the one check): the request's clinic field is wrong, so 422 naming it."""


class SlotTaken(DomainError):
    default_message = _l("This time has just been taken. Please choose another slot.")


class PatientBusy(DomainError):
    default_message = _l("You already have a booking at this time.")


class SlotUnavailable(DomainError):
    default_message = _l("This time is not available for booking.")


class CancelTooLate(DomainError):
    default_message = _l("It is too late to cancel this booking online. Please call the clinic.")


class IllegalTransition(DomainError):
    default_message = _l("This status change is not allowed.")


class ResultNotAccepted(DomainError):
    """A result for a visit that was cancelled or has not taken place yet."""

    default_message = _l("A result cannot be attached to this visit.")


class Forbidden(DomainError):
    """The caller is known, and their role may not do this (reception changing the catalog)."""

    http_status = 403
    default_message = _l("Your role does not allow this.")


class Unauthorized(DomainError):
    http_status = 401
    default_message = _l("Authentication required.")


class ResultFileDamaged(DomainError):
    """A stored result file failed its integrity check (tampered with, truncated, or encrypted with a key no longer in
    RESULTS_KEY): nothing of it is served, and the logs carry an alert."""

    http_status = 500
    default_message = _l("This result file failed its integrity check and cannot be shown. Please contact the clinic.")

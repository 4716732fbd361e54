"""The error answers an operation documents (each in the one error shape), and when each is given.

The schemas say what a well-formed request is; what the server refuses beyond that — rules between two fields,
rules that depend on stored data or on the time — is said here, beside the status it is refused with.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from medsync.api.schemas import ErrorSchema

PATIENT_AUTH = "No valid `Authorization: tma <initData>` (missing, badly signed, expired, or not a Telegram user)."
STAFF_AUTH = ("No valid `Authorization: Bearer <staff token>` (missing, unknown or revoked) nor a staff member's "
              "`Authorization: tma <initData>` (missing, badly signed or expired).")
STAFF_ROLE = "The caller's initData is not an active staff member's, or their role may not do this (the message says " \
             "who may)."
JSON_BODY = {
    400: "The body is not valid JSON, or not a JSON object.",
    413: "The body is larger than the server takes.",
    415: "A body that is not `application/json`.",
}
BOOKING_WRITES = "Too many booking writes by this patient (`BOOKING_RATE_LIMIT`); `Retry-After` says when to retry."


def refusals(blp: Blueprint, described: dict[int, str]) -> Callable[[Any], Any]:
    """Document these error answers of one operation: status → when the server gives it."""

    def document(view: Any) -> Any:
        for status, when in described.items():
            view = blp.alt_response(status, schema=ErrorSchema, description=when)(view)
        return view

    return document

"""What the OpenAPI document lists for an operation, for the tests that hold the server to it."""
from __future__ import annotations

from typing import Any


def listed_statuses(spec: dict[str, Any], operation: Any) -> set[int]:
    """The statuses the document names for this operation. flask-smorest adds a `default` response to every
    operation, and schemathesis' own status check passes anything when one is there: `default` is left out."""
    responses = spec["paths"][operation.path][operation.method.lower()]["responses"]
    return {int(status) for status in responses if status != "default"}


def assert_listed_status(spec: dict[str, Any], operation: Any, status: int, case: Any) -> None:
    """The server answered with a status the document names for the operation."""
    listed = listed_statuses(spec, operation)
    assert status in listed, f"{operation.label} answered {status}, not among the documented {sorted(listed)}: {case!r}"

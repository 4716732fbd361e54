"""The SQL an app sends, as it sends it: for the tests that look at statements rather than at their results."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from medsync.extensions import db

# What PostgreSQL can EXPLAIN (transaction control, PREPARE and SET are left out).
_PLANNABLE = {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "EXECUTE"}


@contextmanager
def statements_sent() -> Iterator[list[tuple[str, Any]]]:
    """The plannable statements (with their parameters) the app's engine sends meanwhile, in order."""
    statements: list[tuple[str, Any]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.split(None, 1)[0].upper() in _PLANNABLE:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

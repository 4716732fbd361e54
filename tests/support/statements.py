"""The SQL an app sends, as it sends it: for the tests that look at statements rather than at their results."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from medsync.extensions import db

# What PostgreSQL can EXPLAIN (transaction control, PREPARE and SET are left out).
_PLANNABLE = {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "EXECUTE"}


@contextmanager
def each_statement(look: Callable[[Any, str, Any], None]) -> Iterator[None]:
    """Meanwhile `look(dbapi_connection, statement, parameters)` sees every plannable statement the app's engine
    sends, just before it is sent."""

    def before(connection, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.split(None, 1)[0].upper() in _PLANNABLE:
            # A true executemany sends its statement once per parameter set: the first stands for the rest.
            look(connection.connection.dbapi_connection, statement,
                 parameters[0] if isinstance(parameters, list) else parameters)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@contextmanager
def statements_sent() -> Iterator[list[tuple[str, Any]]]:
    """The plannable statements (with their parameters) the app's engine sends meanwhile, in order."""
    statements: list[tuple[str, Any]] = []
    with each_statement(lambda _connection, statement, parameters: statements.append((statement, parameters))):
        yield statements

"""Statements PostgreSQL plans once per connection: PREPARE on a connection's first use, then EXECUTE by name.

psycopg2 sends every statement as text, and PostgreSQL parses and plans it again each time. For the
booking's one statement (four INSERTs in CTEs) planning cost about as much server CPU as running it. A
prepared statement is planned once per database connection and kept there (a ROLLBACK does not drop it);
which connections already have it is remembered in SQLAlchemy's per-DBAPI-connection `info`, which is
cleared when a connection is invalidated and replaced (a PostgreSQL restart), so a new connection
prepares again.

The SQL names its parameters `:name`; PostgreSQL takes each one's type from `types`, else from where it stands
(a comparison with a column, a LIMIT) or a CAST around it, and psycopg2 renders the values as literals in the
EXECUTE (as they are: SQLAlchemy's type processing, such as JSON serialisation, is not applied). A Core query
can be prepared too (`of_query`: the types are SQLAlchemy's). Not for a pooler that shares server
connections between clients per transaction (PgBouncer's transaction mode): there a prepared statement can
be missing on the next transaction's server connection. Should one go missing anyway (a `DEALLOCATE ALL` or
`DISCARD ALL` sent by something else), the error is taken as a lost connection: the pool replaces that one
connection, the request answers 503 like after a restart, and the next one prepares afresh.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.engine import Connection, CursorResult, Engine, ExceptionContext
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.sqltypes import NullType

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
_PREPARED = "medsync_prepared"
_DIALECT = PGDialect_psycopg2()
INVALID_SQL_STATEMENT_NAME = "26000"  # SQLSTATE: EXECUTE of a name this server connection does not have


class PreparedStatement:
    """One statement, prepared under `name` on each connection that runs it."""

    def __init__(self, name: str, sql: str, types: Mapping[str, str] | None = None,
                 constants: Mapping[str, Any] | None = None) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain SQL name: {name!r}")
        if "%" in sql:  # psycopg2 would read it as a placeholder of the EXECUTE's values
            raise ValueError("a prepared statement's SQL may not contain %")
        order: list[str] = []

        def positional(match: re.Match[str]) -> str:
            if match.group(1) not in order:
                order.append(match.group(1))
            return f"${order.index(match.group(1)) + 1}"

        body = _PARAMETER.sub(positional, sql)
        self.name = name
        self.parameters = tuple(order)
        self.constants = dict(constants or {})  # values of parameters every execution shares
        declared = f" ({', '.join((types or {}).get(parameter, 'unknown') for parameter in order)})" if types else ""
        self.prepare_sql = f"PREPARE {name}{declared} AS {body}"
        self.execute_sql = f"EXECUTE {name}({', '.join(f'%({parameter})s' for parameter in order)})"

    @classmethod
    def of_query(cls, name: str, query: Executable) -> PreparedStatement:
        """A Core statement prepared as `name`: its bound parameters become the statement's, and the constants
        SQLAlchemy bound from literals in it are filled in at each execution."""
        compiled = query.compile(dialect=_DIALECT)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            # Computed by SQLAlchemy per execution, which EXECUTE bypasses (INSERT ... SELECT with
            # include_defaults=False leaves the columns to the table's server defaults).
            raise ValueError(f"{name}: a prepared statement cannot take Python-side column defaults")
        sql = re.sub(r"%\((\w+)\)s", r":\1", compiled.string).replace("%%", "%")
        # Declared from SQLAlchemy's types where it knows them: PostgreSQL cannot infer `$1 * $2`'s.
        types = {key: _DIALECT.type_compiler_instance.process(bind.type) for key, bind in compiled.binds.items()
                 if not isinstance(bind.type, NullType)}
        constants = {key: value for key, value in compiled.params.items() if not compiled.binds[key].required}
        return cls(name, sql, types, constants)

    def execute(
        self, on: Session | scoped_session[Session] | Connection, values: Mapping[str, Any]
    ) -> CursorResult[Any]:
        """Run it in the session's (or connection's) transaction with these values (each parameter needs one)."""
        connection = self._prepared_on(on)
        return connection.exec_driver_sql(self.execute_sql, self._values(values))

    def _values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The value of each parameter: the caller's, else the statement's constant."""
        if self.constants:
            values = {**self.constants, **values}
        missing = set(self.parameters) - set(values)
        if missing:
            raise KeyError(f"{self.name}: no value for {', '.join(sorted(missing))}")
        return {name: values[name] for name in self.parameters}

    def _prepared_on(self, on: Session | scoped_session[Session] | Connection) -> Connection:
        """The connection it runs on (a session's: its pending changes flushed first), prepared there if it is not."""
        if isinstance(on, Connection):
            connection = on
        else:  # a Session or a scoped_session: the ORM's pending changes first
            if on.autoflush:
                on.flush()  # as Session.execute autoflushes; Session.connection() does not
            connection = on.connection()
        prepared = connection.info.setdefault(_PREPARED, set())
        if self.name not in prepared:
            connection.exec_driver_sql(self.prepare_sql)
            prepared.add(self.name)
        return connection


def watch_for_lost_statements(engine: Engine) -> None:
    """Take a missing prepared statement on this app's engine as a lost connection (create_app, once per engine)."""
    event.listen(engine, "handle_error", _missing_is_a_lost_connection)


def _missing_is_a_lost_connection(context: ExceptionContext) -> None:
    """A prepared statement this connection was believed to have is gone: replace the connection (its `info`
    with it), not the whole pool."""
    if (getattr(context.original_exception, "pgcode", None) == INVALID_SQL_STATEMENT_NAME
            and (context.statement or "").startswith("EXECUTE ")):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False

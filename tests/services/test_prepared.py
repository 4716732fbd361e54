"""PreparedStatement: planned once per database connection, run by name, prepared again on a new connection."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Integer, String, event

from medsync.extensions import db
from medsync.prepared import PreparedStatement

SUM = PreparedStatement(
    "medsync_test_sum",
    "SELECT CAST(:left AS integer) + CAST(:right AS integer) + CAST(:left AS integer), "
    "CAST(CAST(:labels AS text[]) AS jsonb[]), 'a:b' || CAST(:suffix AS text)",
)


@contextmanager
def sent(on_connection: list[int] | None = None) -> Iterator[list[str]]:
    """The statements sent (their first words); the DBAPI connection of each goes to `on_connection`."""
    statements: list[str] = []

    def record(conn, _cursor, sql, *_args) -> None:
        statements.append(sql.split("(", 1)[0].split(" AS ", 1)[0])
        if on_connection is not None:
            on_connection.append(id(conn.connection.dbapi_connection))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_the_sql_becomes_positional_parameters_named_once_each():
    assert SUM.parameters == ("left", "right", "labels", "suffix")
    assert SUM.prepare_sql.startswith("PREPARE medsync_test_sum AS SELECT CAST($1 AS integer) + CAST($2 AS integer) "
                                      "+ CAST($1 AS integer)")
    assert "'a:b' || CAST($4 AS text)" in SUM.prepare_sql  # a colon inside a literal is not a parameter
    assert SUM.execute_sql == "EXECUTE medsync_test_sum(%(left)s, %(right)s, %(labels)s, %(suffix)s)"


def test_it_is_prepared_once_per_connection_even_across_a_rollback(app_context):
    values = {"left": 2, "right": 3, "labels": ['{"offset": "2h"}', "{}"], "suffix": "!"}
    with db.engine.connect() as connection, sent(connections := []) as statements:  # one connection throughout
        already = SUM.name in connection.info.get("medsync_prepared", ())  # an earlier test used this connection
        first = SUM.execute(connection, values).one()
        connection.rollback()  # a ROLLBACK does not drop a prepared statement
        second = SUM.execute(connection, {**values, "right": 10}).one()
        connection.rollback()
    assert tuple(first) == (7, [{"offset": "2h"}, {}], "a:b!")
    assert second[0] == 14
    assert len(set(connections)) == 1
    assert statements == ([] if already else ["PREPARE medsync_test_sum"]) + ["EXECUTE medsync_test_sum"] * 2


def test_a_new_connection_prepares_it_again(app_context):
    values = {"left": 1, "right": 1, "labels": [], "suffix": ""}
    db.session.close()
    db.engine.dispose()  # one connection in the pool: the next checkout cannot be another that prepared it earlier
    SUM.execute(db.session, values).one()
    db.session.connection().invalidate()  # as after a PostgreSQL restart: the pool replaces the connection
    db.session.rollback()
    with sent() as statements:
        assert SUM.execute(db.session, values).one()[0] == 3
    db.session.rollback()
    assert statements == ["PREPARE medsync_test_sum", "EXECUTE medsync_test_sum"]


def test_every_parameter_needs_a_value_and_sql_may_not_hold_a_percent_sign(app_context):
    with pytest.raises(KeyError, match="right"):
        SUM.execute(db.session, {"left": 1, "labels": [], "suffix": ""})
    with pytest.raises(ValueError, match="%"):
        PreparedStatement("medsync_test_like", "SELECT 'a' LIKE 'a%'")
    with pytest.raises(ValueError, match="plain SQL name"):
        PreparedStatement("drop table x", "SELECT 1")


def test_a_core_query_is_prepared_with_its_literals_filled_in(app_context):
    from sqlalchemy import bindparam, literal, select

    query = select(literal("clinic") + bindparam("suffix", type_=String), bindparam("limit", type_=Integer) * 2)
    prepared = PreparedStatement.of_query("medsync_test_core", query)
    assert prepared.parameters == ("param_1", "suffix", "limit", "param_2")
    assert prepared.constants == {"param_1": "clinic", "param_2": 2}
    assert tuple(prepared.execute(db.session, {"suffix": "-7", "limit": 21}).one()) == ("clinic-7", 42)
    db.session.rollback()


def test_the_sessions_pending_changes_are_flushed_first_as_session_execute_would(app_context, make_doctor):
    from medsync.models import DoctorAbsence

    doctor = make_doctor()
    absences = PreparedStatement("medsync_test_absences", "SELECT count(*) FROM doctor_absences "
                                                          "WHERE doctor_id = CAST(:doctor_id AS integer)")
    db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=date(2026, 12, 3), last_day=date(2026, 12, 3)))
    assert absences.execute(db.session, {"doctor_id": doctor.id}).scalar() == 1
    with db.session.no_autoflush:
        db.session.add(DoctorAbsence(doctor_id=doctor.id, first_day=date(2026, 12, 4), last_day=date(2026, 12, 4)))
        assert absences.execute(db.session, {"doctor_id": doctor.id}).scalar() == 1
    db.session.rollback()


def test_a_statement_with_python_side_column_defaults_is_refused(app_context):
    from sqlalchemy.dialects.postgresql import insert

    from medsync.models import User

    with pytest.raises(ValueError, match="Python-side column defaults"):
        PreparedStatement.of_query("medsync_test_defaults", insert(User.__table__).values(telegram_id=1))

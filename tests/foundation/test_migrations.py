"""The migrations build the whole schema on an empty database and remove it again."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from medsync import create_app, sqlalchemy_url
from tests.conftest import _test_db_name
from tests.support.database import drop_database, recreate_database

EXPECTED_TABLES = {
    "clinics", "working_hours", "working_breaks", "clinic_closures", "specialties", "doctors", "doctor_ratings",
    "doctor_absences", "diagnostic_types", "clinic_diagnostics", "users", "staff_tokens", "bookings",
    "booking_events", "results", "outbox_messages", "staff_members", "staff_clinics", "clinic_staff_groups",
    "staff_group_events", "staff_reminder_runs",
}


@pytest.fixture
def empty_database_url():
    name = _test_db_name() + "_migrations"
    yield recreate_database(name)
    drop_database(name)


def test_upgrade_builds_everything_and_downgrade_removes_it(empty_database_url, tmp_path):
    app = create_app({"DATABASE_URL": empty_database_url, "RESULTS_DIR": str(tmp_path)})
    engine = create_engine(sqlalchemy_url(empty_database_url))
    with app.app_context():
        upgrade()
        tables = set(inspect(engine).get_table_names())
        assert EXPECTED_TABLES <= tables
        with engine.connect() as connection:
            exclusions = set(connection.scalars(text("SELECT conname FROM pg_constraint WHERE contype = 'x'")))
        assert exclusions == {
            "ex_bookings_doctor_overlap", "ex_bookings_diagnostic_overlap", "ex_bookings_patient_overlap"
        }
        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'btree_gist'")) == 0
            assert connection.scalar(text("SELECT count(*) FROM pg_proc WHERE proname = 'doctor_rating_summary'")) == 0
    engine.dispose()


def test_models_and_migrations_agree(app):
    """Autogenerate against the migrated test database finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from medsync.extensions import db

    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == []

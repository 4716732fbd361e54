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
    "staff_group_events", "staff_reminder_runs", "rotas", "rota_intervals", "day_overrides", "override_intervals",
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
            "ex_bookings_doctor_overlap", "ex_bookings_diagnostic_overlap", "ex_bookings_patient_overlap",
            "ex_rota_intervals_overlap", "ex_override_intervals_overlap",
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


def test_catalog_languages_and_currency_come_and_go_with_their_migration(empty_database_url, tmp_path):
    """Clinics present before 0006 are priced in hryvnias with English texts; downgrading drops only what 0006 added."""
    app = create_app({"DATABASE_URL": empty_database_url, "RESULTS_DIR": str(tmp_path)})
    engine = create_engine(sqlalchemy_url(empty_database_url))
    with app.app_context():
        upgrade(revision="0003")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO clinics (slug, name, address, timezone) VALUES ('kyiv', 'Kyiv', '1 Main St', 'Europe/Kyiv')"
            ))
        upgrade(revision="0006")
        with engine.begin() as connection:
            assert connection.execute(text("SELECT currency, default_language FROM clinics")).one() == ("UAH", "en")
            connection.execute(text("UPDATE clinics SET currency = 'PLN', default_language = 'pl'"))
        assert {"currency", "default_language"} <= columns(engine, "clinics")
        assert {"bio_translations", "services_translations", "experience_translations"} <= columns(engine, "doctors")
        downgrade(revision="0003")
        assert not {"currency", "default_language"} & columns(engine, "clinics")
        assert not {"name_translations", "description_translations"} & columns(engine, "diagnostic_types")
        assert "price" not in columns(engine, "clinic_diagnostics")
        upgrade(revision="0006")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT slug, currency FROM clinics")).one() == ("kyiv", "UAH")
    engine.dispose()


def columns(engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_patients_migration_keeps_every_booking_with_its_owner(empty_database_url, tmp_path):
    """0007: one patient per Telegram user who booked, from their latest booking's details, the phone in E.164 where
    the clinic's country reads it; every booking keeps its user and gets that patient; "I'll come" is carried over."""
    app = create_app({"DATABASE_URL": empty_database_url, "RESULTS_DIR": str(tmp_path)})
    engine = create_engine(sqlalchemy_url(empty_database_url))
    with app.app_context():
        upgrade(revision="0006")
        with engine.begin() as connection:
            connection.execute(text("""
                INSERT INTO clinics (slug, name, address, timezone) VALUES ('waw', 'Warszawa', 'ul. 1', 'Europe/Warsaw');
                INSERT INTO specialties (slug, name) VALUES ('gp', 'GP');
                INSERT INTO doctors (slug, clinic_id, specialty_id, full_name, price, appointment_minutes)
                VALUES ('dr', 1, 1, 'Dr. Nowak', 150, 60);
                INSERT INTO users (telegram_id, first_name) VALUES (701, 'Anna'), (702, 'Jan');
                INSERT INTO bookings (user_id, clinic_id, doctor_id, starts_at, ends_at, status, patient_first_name,
                                      patient_last_name, patient_phone, patient_email, ical_uid)
                VALUES (701, 1, 1, '2026-12-01 09:00Z', '2026-12-01 10:00Z', 'booked', 'Anna', 'Old', '+48 500 000 001',
                        NULL, 'a'),
                       (701, 1, 1, '2026-12-02 09:00Z', '2026-12-02 10:00Z', 'booked', 'Anna', 'Kowalska',
                        '601 234 567', 'anna@example.com', 'b'),
                       (702, 1, 1, '2026-12-03 09:00Z', '2026-12-03 10:00Z', 'booked', 'Jan', 'Nowak', 'call me',
                        NULL, 'c');
                INSERT INTO booking_events (booking_id, actor, actor_id, action, created_at)
                VALUES (3, 'patient', '702', 'attendance_confirmed', '2026-12-02 12:00Z');
            """))
        upgrade()
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT country FROM clinics")) == "PL"
            patients = connection.execute(text(
                "SELECT user_id, first_name, last_name, phone, email FROM patients ORDER BY user_id"
            )).all()
            owners = connection.execute(text(
                "SELECT bookings.id, bookings.user_id, patients.user_id, bookings.confirmed_at IS NOT NULL "
                "FROM bookings JOIN patients ON patients.id = bookings.patient_id ORDER BY bookings.id"
            )).all()
    engine.dispose()
    assert patients == [(701, "Anna", "Kowalska", "+48601234567", "anna@example.com"),
                        (702, "Jan", "Nowak", "call me", None)]
    assert owners == [(1, 701, 701, False), (2, 701, 701, False), (3, 702, 702, True)]

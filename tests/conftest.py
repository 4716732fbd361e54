"""Real PostgreSQL (schema from the migrations, created once per session) and real Redis; each test isolated.

Isolation is by TRUNCATE after each test rather than a rolled-back transaction, because the
concurrency and worker tests need other connections to see committed rows.
Set TEST_DB_NAME / TEST_REDIS_DB (and TEST_REDIS_PORT) to run two suites side by side on one machine.
"""
from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask_babel
import pytest
import redis
from flask import Flask
from sqlalchemy import text

from medsync import clock, create_app
from medsync.bot import use_bot_api
from medsync.extensions import db
from medsync.models import (
    Actor, Booking, BookingStatus, Clinic, ClinicDiagnostic, DiagnosticType, Doctor, Patient, Specialty, User,
    WorkingBreak, WorkingHours,
)
from medsync.services import bookings, changes, staff_tokens
from medsync.services.bookings import PatientDetails
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support import rabbitmq
from tests.support.database import _admin, database_url, recreate_database
from tests.support.initdata import sign_init_data

# No app built by a test may reach the real Telegram, whatever the developer's shell exports
# (pyTelegramBotAPI's Bot API base is process-global): apps without explicit settings get a dead end.
os.environ.pop("BOT_TOKEN", None)
os.environ["TELEGRAM_API_URL"] = "http://127.0.0.1:9"
# Nor a developer's .env: apps here get explicit settings, and the processes a test starts (Celery workers,
# `flask` commands) inherit this switch, which Flask and medsync.config.load_dotenv both obey.
os.environ["FLASK_SKIP_DOTENV"] = "1"
# Nor does a Celery worker a test starts serve metrics on the shared default port (one test asks for its own port).
os.environ["WORKER_METRICS_PORT"] = "0"
# Result files are encrypted with this key in every app and process a test starts (a fixed test key, nobody's
# secret), stored in a directory of the session's own: a developer's var/results (and its key check) stays out.
RESULTS_KEY = "bWVkc3luYy10ZXN0cy1yZXN1bHRzLWtleS0zMmJ5dGU="
os.environ["RESULTS_KEY"] = RESULTS_KEY
os.environ["RESULTS_DIR"] = tempfile.mkdtemp(prefix="medsync-test-results-")
BOT_TOKEN = "123456:TEST-medsync-token"
WEBHOOK_SECRET = "test-webhook-secret"
WEBAPP_URL = "https://webapp.medsync.test"
# A Tuesday morning in Kyiv (06:00 UTC = 08:00 local): the clinic opens at 09:00.
FROZEN_NOW = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_brokers: run each test with Redis and with RabbitMQ as Celery's broker "
                                       "(tests/workers/conftest.py)")


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


def _test_db_name() -> str:
    return os.environ.get("TEST_DB_NAME", "medsync_test") + f"_{_worker_index()}"


def _test_redis_url() -> str:
    base = int(os.environ.get("TEST_REDIS_DB", "10"))
    port = int(os.environ.get("TEST_REDIS_PORT", "6379"))
    return f"redis://127.0.0.1:{port}/{base + _worker_index()}"


def settings_for_tests(tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> dict[str, Any]:
    """Settings every test app uses; tests override single values."""
    settings = {
        "DATABASE_URL": database_url(_test_db_name()),
        "REDIS_URL": _test_redis_url(),
        "BOT_TOKEN": BOT_TOKEN,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WEBAPP_URL": WEBAPP_URL,
        "PUBLIC_URL": "https://api.medsync.test",
        "RESULTS_DIR": str(tmp_path_factory.mktemp("results")),
        "RESULTS_KEY": (RESULTS_KEY,),
        "BOOKING_RATE_LIMIT": "1000 per minute",
    }
    settings.update(overrides)
    return settings


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[FakeTelegramAPI]:
    """The fake Bot API for the whole session; the app's TELEGRAM_API_URL points at it."""
    with FakeTelegramAPI() as server:
        yield server


@pytest.fixture
def telegram_api(telegram_server: FakeTelegramAPI) -> Iterator[FakeTelegramAPI]:
    """The fake Bot API with no recorded calls and no failure switches left from other tests."""
    telegram_server.reset()
    yield telegram_server
    telegram_server.reset()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, telegram_server: FakeTelegramAPI) -> Iterator[Flask]:
    """One app and one freshly migrated database for the whole session."""
    from flask_migrate import upgrade

    recreate_database(_test_db_name())
    app = create_app(settings_for_tests(tmp_path_factory, TELEGRAM_API_URL=telegram_server.url))
    app.config["TESTING"] = True
    # Tests push one app context around many requests, and Flask-Babel keeps the language it selected on the app
    # context (in production each request has its own): here each request selects its own.
    app.before_request(flask_babel.refresh)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def amqp_app(app: Flask, tmp_path_factory: pytest.TempPathFactory, telegram_server: FakeTelegramAPI) -> Iterator[Flask]:
    """The same service with RabbitMQ as Celery's broker (CELERY_BROKER_URL: a virtual host named after the test
    database, so parallel suites never share a queue), on the same database and Redis: the delivery tests run on
    both brokers (tests/workers)."""
    url = rabbitmq.amqp_url(_test_db_name())
    rabbitmq.ensure_virtual_host(url)
    amqp_app = create_app(settings_for_tests(tmp_path_factory, TELEGRAM_API_URL=telegram_server.url,
                                             CELERY_BROKER_URL=url))
    amqp_app.config["TESTING"] = True
    amqp_app.before_request(flask_babel.refresh)
    rabbitmq.purge(url, amqp_app.config["CELERY"]["task_default_queue"])  # what an interrupted run left
    yield amqp_app
    with amqp_app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table and the test Redis database after each test that used the app."""
    if "app" in request.fixturenames:
        # Any other create_app() (config and health tests make some) made its Celery app the default,
        # and shared tasks would then enqueue to that app's broker.
        celery_app = request.getfixturevalue("app").extensions["celery"]
        celery_app.set_default()
        celery_app.set_current()
        # ... and its bot the process's Bot API address (pyTelegramBotAPI keeps one): the fake server's.
        use_bot_api(request.getfixturevalue("app").config["SETTINGS"].TELEGRAM_API_URL)
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    # What the test's commits handed over reaches the broker before the queue is emptied, not in the next test.
    app.extensions["task_queue"].wait_until_published()
    with app.app_context():
        db.session.remove()
        # DELETE is much cheaper than TRUNCATE for a few rows; sequences restart so ids are predictable.
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
            sequences = connection.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
            for sequence in list(sequences):
                connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    test_redis = redis.Redis.from_url(app.config["REDIS_URL"])
    test_redis.flushdb()
    if app.config["CELERY_BROKER_URL"]:  # the queue is RabbitMQ's, not in Redis
        rabbitmq.purge(app.config["CELERY_BROKER_URL"], app.config["CELERY"]["task_default_queue"])
    # The rows went behind the ORM's back: every app's cached catalog must go too, as after a catalog write.
    changes.announce_catalog_change(test_redis)


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Freeze medsync.clock.now at FROZEN_NOW; call the fixture's value to move time."""
    current = {"now": FROZEN_NOW}
    monkeypatch.setattr(clock, "now", lambda: current["now"])

    def move_to(instant: datetime) -> None:
        current["now"] = instant

    return move_to


# --- factories: each returns a committed row, with sensible defaults -------------------------------


@pytest.fixture
def make_clinic(app_context: None) -> Callable[..., Clinic]:
    counter = iter(range(1, 10_000))

    def make(
        *,
        timezone_name: str = "Europe/Kyiv",
        weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
        opens: time = time(9),
        closes: time = time(18),
        lunch: tuple[time, time] | None = (time(13), time(14)),
        **overrides: Any,
    ) -> Clinic:
        number = next(counter)
        clinic = Clinic(
            slug=overrides.pop("slug", f"clinic-{number}"), name=overrides.pop("name", f"Clinic {number}"),
            address=overrides.pop("address", f"{number} Khreshchatyk St, Kyiv"), timezone=timezone_name,
            **overrides,
        )
        for weekday in weekdays:
            hours = WorkingHours(weekday=weekday, opens_at=opens, closes_at=closes)
            if lunch:
                hours.breaks = [WorkingBreak(starts_at=lunch[0], ends_at=lunch[1])]
            clinic.hours.append(hours)
        db.session.add(clinic)
        db.session.commit()
        return clinic

    return make


@pytest.fixture
def make_doctor(app_context: None, make_clinic: Callable[..., Clinic]) -> Callable[..., Doctor]:
    counter = iter(range(1, 10_000))

    def make(*, clinic: Clinic | None = None, specialty_name: str = "Cardiologist", **overrides: Any) -> Doctor:
        number = next(counter)
        clinic = clinic or make_clinic()
        specialty = db.session.query(Specialty).filter_by(name=specialty_name).one_or_none()
        if specialty is None:
            specialty = Specialty(slug=specialty_name.lower().replace(" ", "-"), name=specialty_name)
            db.session.add(specialty)
        values: dict[str, Any] = {
            "slug": f"doctor-{number}", "full_name": f"Dr. Olena Test {number}", "price": Decimal("650.00"),
            "photo_url": f"https://medsync.test/d{number}.jpg", "appointment_minutes": 60,
            "experience": "10 years", "certificates": "Board certified", "services": "Consultation\nECG review",
        }
        values.update(overrides)
        doctor = Doctor(clinic_id=clinic.id, specialty=specialty, **values)
        db.session.add(doctor)
        db.session.commit()
        return doctor

    return make


@pytest.fixture
def make_diagnostic(app_context: None, make_clinic: Callable[..., Clinic]) -> Callable[..., DiagnosticType]:
    counter = iter(range(1, 10_000))

    def make(*, clinics: list[Clinic] | None = None, **overrides: Any) -> DiagnosticType:
        number = next(counter)
        values: dict[str, Any] = {
            "slug": f"diagnostic-{number}", "name": f"MRI {number}", "description": "Magnetic resonance imaging",
            "price": Decimal("2400.00"), "photo_url": None, "duration_minutes": 30,
        }
        values.update(overrides)
        diagnostic = DiagnosticType(**values)
        db.session.add(diagnostic)
        db.session.flush()
        for clinic in clinics if clinics is not None else [make_clinic()]:
            db.session.add(ClinicDiagnostic(clinic_id=clinic.id, diagnostic_id=diagnostic.id))
        db.session.commit()
        return diagnostic

    return make


@pytest.fixture
def make_user(app_context: None) -> Callable[..., User]:
    counter = iter(range(1, 100_000))

    def make(**overrides: Any) -> User:
        number = next(counter)
        values: dict[str, Any] = {
            "telegram_id": 700_000_000 + number, "username": f"patient{number}", "first_name": "Taras",
            "last_name": f"Patient{number}", "language_code": "en",
        }
        values.update(overrides)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_patient(app_context: None) -> Callable[..., Patient]:
    """A patient, without Telegram unless `user` is given."""
    counter = iter(range(1, 100_000))

    def make(*, user: User | None = None, **overrides: Any) -> Patient:
        number = next(counter)
        values: dict[str, Any] = {
            "first_name": "Olha", "last_name": f"Caller{number}", "phone": f"+38067{number:07d}",
            "user_id": user.telegram_id if user is not None else None,
        }
        values.update(overrides)
        patient = Patient(**values)
        db.session.add(patient)
        db.session.commit()
        return patient

    return make


PATIENT = PatientDetails(first_name="Taras", last_name="Shevchenko", phone="+380501234567", email="t@example.com")


@pytest.fixture
def make_booking(app_context: None, make_user: Callable[..., User], make_doctor: Callable[..., Doctor]):
    """Book through the service (so outbox and events are real) and commit."""

    def make(*, user: User | None = None, doctor: Doctor | None = None, starts_at: datetime | None = None,
             **overrides: Any):
        if user is None and "patient_id" not in overrides:  # a patient without Telegram when only it is given
            user = make_user()
        if doctor is None and "diagnostic_id" not in overrides:
            doctor = make_doctor()
        clinic_id = overrides.pop("clinic_id", doctor.clinic_id if doctor else None)
        starts_at = starts_at or next_local_slot(doctor.clinic if doctor else db.session.get(Clinic, clinic_id))
        booked = bookings.book(
            user_id=user.telegram_id if user is not None else None, clinic_id=clinic_id, starts_at=starts_at,
            doctor_id=doctor.id if doctor else None, patient=overrides.pop("patient", PATIENT), **overrides,
        )
        db.session.commit()
        return db.session.get(Booking, booked.id)  # the model (book answers with a copy of the row)

    return make


@pytest.fixture
def make_visit(make_booking) -> Callable[..., Booking]:
    """A visit that took place, as results need one: booked like `make_booking`, then the patient arrived."""

    def make(**overrides: Any) -> Booking:
        booking = make_booking(**overrides)
        bookings.change_status(booking.id, BookingStatus.ARRIVED, actor=Actor.STAFF, actor_id="staff:desk",
                               now=booking.starts_at)
        db.session.commit()
        return booking

    return make


def next_local_slot(clinic: Clinic, *, days_ahead: int = 1, hour: int = 10) -> datetime:
    """An aware datetime at `hour`:00 clinic time, `days_ahead` working days after now (skips Sundays)."""
    local_today = clock.now().astimezone(clinic.zone).date()
    day = local_today + timedelta(days=days_ahead)
    open_days = {hours.weekday for hours in clinic.hours}
    while day.isoweekday() not in open_days:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), clinic.zone)


@pytest.fixture
def results_dir(app: Flask) -> Path:
    return Path(app.config["RESULTS_DIR"])


@pytest.fixture
def init_data() -> Callable[..., str]:
    """Signed initData for a Telegram user, exactly as Telegram signs it for our test bot."""

    def sign(telegram_id: int = 700_000_001, **user: Any) -> str:
        profile = {"id": telegram_id, "first_name": "Taras", "last_name": "Shevchenko", "username": "taras",
                   "language_code": "en"}
        profile.update(user)
        return sign_init_data(BOT_TOKEN, profile, auth_date=int(clock.now().timestamp()))

    return sign


@pytest.fixture
def tma_headers(init_data: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Authorization headers of a Web App user: `tma <initData>`."""

    def headers(telegram_id: int = 700_000_001, **user: Any) -> dict[str, str]:
        return {"Authorization": f"tma {init_data(telegram_id, **user)}"}

    return headers


# --- staff: a token and the result upload form, for the staff API, worker and hardening tests ------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def staff_token(app_context: None) -> str:
    """A live staff token (the clear text, as the CLI prints it once)."""
    _, token = staff_tokens.issue("Reception desk")
    db.session.commit()
    return token


@pytest.fixture
def staff_headers(staff_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token}"}


@pytest.fixture
def upload(client, staff_headers: dict[str, str]) -> Callable[..., Any]:
    """POST a file as the staff result upload form does."""

    def post(booking_id: int, content: bytes = PDF, name: str = "mri.pdf"):
        return client.post(f"/api/v1/staff/bookings/{booking_id}/results", headers=staff_headers,
                           data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")

    return post


@pytest.fixture
def restart_postgresql_sessions(app):
    """What a PostgreSQL restart does to this app's pooled connections: every one of them is cut."""

    def restart() -> None:
        name = db.engine.url.database
        db.session.remove()
        _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
               "AND pid <> pg_backend_pid()")

    yield restart
    with app.app_context():
        db.engine.dispose()  # connections the test did not use are still cut: the next tests start afresh

"""Settings come from the environment; a malformed value stops start-up naming the variable."""
from __future__ import annotations

from datetime import timedelta

import pytest

from medsync.config import ConfigError, Settings, load_settings, parse_duration


def test_defaults_work_on_this_machine():
    settings = load_settings({})
    assert settings.DATABASE_URL == "postgresql://postgres@127.0.0.1:5432/medsync"
    assert settings.REDIS_URL == "redis://127.0.0.1:6379/0"
    assert settings.TELEGRAM_API_URL == "https://api.telegram.org"
    assert settings.INITDATA_MAX_AGE == 86400
    assert settings.REMINDER_OFFSETS == (timedelta(hours=24), timedelta(hours=2))
    assert settings.MIN_BOOKING_NOTICE == timedelta(minutes=60)
    assert settings.BOOKING_HORIZON_DAYS == 60
    assert settings.CANCEL_CUTOFF == timedelta(hours=2)


def test_values_are_parsed_from_the_environment():
    settings = load_settings({
        "REMINDER_OFFSETS": "2h, 1d,30m", "MIN_BOOKING_NOTICE": "90", "CANCEL_CUTOFF": "1d",
        "WEBAPP_URL": "https://app.example/", "BOOKING_HORIZON_DAYS": "30",
    })
    assert settings.REMINDER_OFFSETS == (timedelta(days=1), timedelta(hours=2), timedelta(minutes=30))
    assert settings.MIN_BOOKING_NOTICE == timedelta(minutes=90)
    assert settings.CANCEL_CUTOFF == timedelta(days=1)
    assert settings.WEBAPP_URL == "https://app.example"
    assert settings.BOOKING_HORIZON_DAYS == 30


@pytest.mark.parametrize(("name", "value"), [
    ("REMINDER_OFFSETS", "24 hours"),
    ("MIN_BOOKING_NOTICE", "soon"),
    ("BOOKING_HORIZON_DAYS", "-3"),
    ("INITDATA_MAX_AGE", "a day"),
    ("DATABASE_URL", "mysql://localhost/x"),
    ("REDIS_URL", "http://localhost"),
    ("CELERY_BROKER_URL", "http://rabbitmq.internal:15672"),
    ("WEBAPP_URL", "ftp://example"),
    ("RATELIMIT_ENABLED", "maybe"),
    ("BOOKING_RATE_LIMIT", "lots"),
    ("LOG_FORMAT", "yaml"),
    ("WORKER_METRICS_PORT", "70000"),
    ("WORKER_METRICS_HOST", "0.0.0.0:9101 extra"),
])
def test_a_malformed_value_names_its_variable(name, value):
    with pytest.raises(ConfigError, match=f"^{name}: "):
        load_settings({name: value})


def test_celery_uses_redis_url_unless_another_broker_is_set():
    from medsync import celery_config

    assert celery_config(load_settings({"REDIS_URL": "redis://cache:6379/3"}))["broker_url"] == "redis://cache:6379/3"
    rabbitmq = load_settings({"REDIS_URL": "redis://cache:6379/3",
                              "CELERY_BROKER_URL": "amqp://medsync:secret@rabbitmq:5672/medsync"})
    assert celery_config(rabbitmq)["broker_url"] == "amqp://medsync:secret@rabbitmq:5672/medsync"
    assert rabbitmq.REDIS_URL == "redis://cache:6379/3"  # the limiter, caches and dedupe stay on Redis


def test_the_app_refuses_to_start_with_a_malformed_value(monkeypatch):
    from medsync import create_app

    monkeypatch.setenv("CANCEL_CUTOFF", "two hours")
    with pytest.raises(ConfigError, match="CANCEL_CUTOFF"):
        create_app()


def test_without_a_bot_token_the_app_starts_with_one_warning(caplog):
    from medsync import create_app

    with caplog.at_level("WARNING"):
        app = create_app({"BOT_TOKEN": ""})
    assert "bot" not in app.extensions
    warnings = [record for record in caplog.records if "BOT_TOKEN" in record.getMessage()]
    assert len(warnings) == 1


def test_duration_units():
    assert parse_duration("45s") == timedelta(seconds=45)
    assert parse_duration("2H") == timedelta(hours=2)
    assert isinstance(load_settings({}), Settings)


def test_the_mini_app_url_defaults_to_this_service():
    assert load_settings({}).WEBAPP_URL == "http://127.0.0.1:8000/app"
    assert load_settings({"PORT": "9000"}).WEBAPP_URL == "http://127.0.0.1:9000/app"
    assert load_settings({"PUBLIC_URL": "https://clinic.example/"}).WEBAPP_URL == "https://clinic.example/app"
    assert load_settings({"WEBAPP_URL": "", "PUBLIC_URL": "https://clinic.example"}).WEBAPP_URL == "https://clinic.example/app"
    assert load_settings({"WEBAPP_URL": "https://other.example/mini", "PUBLIC_URL": "https://clinic.example"}).WEBAPP_URL \
        == "https://other.example/mini"

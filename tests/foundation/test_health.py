"""Liveness and readiness."""
from __future__ import annotations

import redis
from sqlalchemy import event

from medsync import create_app
from medsync.extensions import db
from tests.conftest import settings_for_tests


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_touches_neither_postgresql_nor_redis(app, client, monkeypatch):
    """The bench's baseline: what every request pays in this app, and nothing else."""
    redis_commands, checkouts = [], []
    monkeypatch.setattr(redis.Redis, "execute_command", lambda _client, *command, **_: redis_commands.append(command))
    with app.app_context():
        engine = db.engine

    def checked_out(*_: object) -> None:
        checkouts.append(1)

    event.listen(engine, "checkout", checked_out)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "checkout", checked_out)
    assert response.status_code == 200
    assert redis_commands == [] and checkouts == []


def test_readyz_is_200_when_postgres_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ready"
    assert response.get_json()["broker"] == "ok"


def test_readyz_reports_rabbitmq_as_the_broker(amqp_app):
    response = amqp_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["broker"] == "ok"


def test_readyz_reports_a_broker_that_is_down_and_stays_ready(app, tmp_path_factory, telegram_server):
    """Without the broker bookings still commit; their hand-overs wait in the outbox for the sweep."""
    # The Bot API's address is the process's (pyTelegramBotAPI keeps one): this app must name the same fake server.
    apart = create_app(settings_for_tests(tmp_path_factory, TELEGRAM_API_URL=telegram_server.url,
                                          CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:1//"))
    response = apart.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "postgresql": "ok", "redis": "ok", "broker": "down"}


def test_readyz_names_what_is_down(app, tmp_path):
    broken = create_app({
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "RESULTS_DIR": str(tmp_path),
    })
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == 503 and set(body["errors"]) == {"postgresql", "redis"}
    assert "postgresql" in body["message"] and "redis" in body["message"]

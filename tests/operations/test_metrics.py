"""/metrics: the series a booking journey moves, the backlog read when scraped, who may read it, and the Celery
worker's own metrics server."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from bench.server import free_port
from medsync.bot import callbacks
from medsync.extensions import redis_client
from medsync.models import MessageKind, MessageStatus
from medsync.services.outbox import DELIVER_TASK
from medsync.task_queue import TaskCall
from tests.api.conftest import v1_booking_body
from tests.bot.conftest import callback_update, message_update
from tests.conftest import FROZEN_NOW, next_local_slot
from tests.operations.conftest import parse_metrics, value
from tests.support.rabbitmq import purge
from tests.workers.conftest import QUEUE, message_rows, wait_for_status, wait_until

PATIENT_ID = 700_000_001
REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


def test_a_booking_journey_moves_the_request_booking_webhook_delivery_and_limiter_series(
    client, scrape, worker, telegram_api, make_doctor, tma_headers, post_update
):
    doctor, other_doctor = make_doctor(), make_doctor()
    starts_at = next_local_slot(doctor.clinic, days_ahead=3)  # no reminder falls due while this runs
    before = scrape()

    booked = client.post("/api/v1/bookings", json=v1_booking_body(doctor, starts_at), headers=tma_headers(PATIENT_ID))
    taken = client.post("/api/v1/bookings", json=v1_booking_body(doctor, starts_at), headers=tma_headers(700_000_002))
    busy = client.post("/api/v1/bookings", json=v1_booking_body(other_doctor, starts_at),
                       headers=tma_headers(PATIENT_ID))
    invalid = client.post("/api/v1/bookings", json={"doctor_id": doctor.id}, headers=tma_headers(PATIENT_ID))
    wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT)
    booking_id = booked.get_json()["id"]
    cancelled = post_update(callback_update(PATIENT_ID, callbacks.booking_cancel_yes.new(booking_id, "upcoming", 1)))
    wait_for_status(message_rows(MessageKind.CANCELLATION)[0].id, MessageStatus.SENT)
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert [booked.status_code, taken.status_code, busy.status_code, invalid.status_code] == [201, 409, 409, 422]
    assert cancelled.status_code == 200
    route = {"route": "/api/v1/bookings", "method": "POST"}
    assert [moved("medsync_http_requests_total", **route, status=status) for status in ("201", "409", "422")] == [1, 2, 1]
    assert moved("medsync_http_request_duration_seconds_count", **route) == 4
    assert moved("medsync_http_request_duration_seconds_bucket", **route, le="+Inf") == 4
    assert [moved("medsync_bookings_total", action="made", surface="api", outcome=outcome)
            for outcome in ("ok", "taken", "patient_busy", "invalid")] == [1, 1, 1, 1]
    assert moved("medsync_bookings_total", action="cancelled", surface="bot", outcome="ok") == 1
    assert moved("medsync_webhook_updates_total", kind="callback_query", outcome="handled") == 1
    assert moved("medsync_deliveries_total", kind="confirmation", result="sent") == 1
    assert moved("medsync_deliveries_total", kind="cancellation", result="sent") == 1
    assert moved("medsync_telegram_limiter_wait_seconds_count", chat="private") >= 2


def test_a_compatible_booking_counts_on_its_own_surface(client, scrape, telegram_api, make_doctor, init_data):
    from tests.api.conftest import book_slot_body

    doctor = make_doctor()
    body = book_slot_body(doctor, next_local_slot(doctor.clinic, days_ahead=3), init_data(PATIENT_ID))
    before = scrape()

    response = client.post("/api/doctors/book_slot", json=body)

    assert response.status_code == 200
    labels = {"action": "made", "surface": "compat", "outcome": "ok"}
    assert value(scrape(), "medsync_bookings_total", **labels) - value(before, "medsync_bookings_total", **labels) == 1


def test_telegram_refusals_count_as_429_and_403(app_context, scrape, telegram_api, make_booking):
    from workers.delivery import deliver_message

    first, second = make_booking(), make_booking()
    rows = message_rows(MessageKind.CONFIRMATION)
    before = scrape()
    telegram_api.fail_next("sendMessage", status=429, retry_after=1)
    deliver_message(rows[0].id)
    telegram_api.fail_next("sendMessage", status=403)
    deliver_message(rows[1].id)
    after = scrape()

    assert [first.id, second.id] == [rows[0].booking_id, rows[1].booking_id]
    for result in ("429", "403"):
        labels = {"kind": "confirmation", "result": result}
        assert value(after, "medsync_deliveries_total", **labels) - value(before, "medsync_deliveries_total", **labels) == 1


def test_webhook_updates_count_by_kind_and_outcome(scrape, post_update, telegram_api, make_user):
    user = make_user()
    update = message_update(user, "/bookings")
    before = scrape()

    post_update(update)
    post_update(update)  # Telegram delivering it again
    post_update(message_update(user, "/bookings"), secret="wrong")
    after = scrape()

    def moved(kind: str, outcome: str) -> float:
        labels = {"kind": kind, "outcome": outcome}
        return value(after, "medsync_webhook_updates_total", **labels) - value(before, "medsync_webhook_updates_total",
                                                                               **labels)

    assert [moved("message", "handled"), moved("message", "duplicate"), moved("unknown", "unauthorized")] == [1, 1, 1]


def test_the_outbox_backlog_and_the_queue_length_are_read_when_scraped(app, scrape, make_booking, frozen_now):
    make_booking()  # its confirmation is due now, its two reminders later
    assert app.extensions["task_queue"].wait_until_published()  # the confirmation's task is in the queue
    frozen_now(FROZEN_NOW + timedelta(seconds=90))

    samples = scrape()

    assert value(samples, "medsync_outbox_pending_messages", when="due") == 1
    assert value(samples, "medsync_outbox_pending_messages", when="scheduled") == 2
    assert value(samples, "medsync_outbox_oldest_due_age_seconds") == 90
    assert ("medsync_celery_queue_length", frozenset({("queue", "medsync")})) in samples
    assert value(samples, "medsync_celery_queue_length", queue="medsync") == redis_client.llen("medsync") == 1


def test_the_queue_length_is_read_from_rabbitmq_when_it_is_the_broker(amqp_app):
    """A passive declare answers RabbitMQ's message_count, as LLEN does on Redis."""
    task_queue = amqp_app.extensions["task_queue"]
    purge(amqp_app.config["CELERY_BROKER_URL"], QUEUE)
    task_queue.send([TaskCall(DELIVER_TASK, (message_id,)) for message_id in (1, 2, 3)])
    try:
        response = amqp_app.test_client().get("/metrics")
        samples = parse_metrics(response.get_data(as_text=True))
    finally:
        purge(amqp_app.config["CELERY_BROKER_URL"], QUEUE)
    assert value(samples, "medsync_celery_queue_length", queue=QUEUE) == 3


def test_with_nothing_due_the_oldest_due_age_is_zero(scrape, make_booking, frozen_now):
    make_booking()
    frozen_now(FROZEN_NOW - timedelta(minutes=5))  # before the confirmation was due

    samples = scrape()

    assert value(samples, "medsync_outbox_pending_messages", when="due") == 0
    assert value(samples, "medsync_outbox_oldest_due_age_seconds") == 0


def test_metrics_are_served_to_this_machine(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    assert "medsync_http_requests_total" in response.get_data(as_text=True)


def test_from_elsewhere_without_a_configured_token_metrics_are_forbidden(client):
    response = client.get("/metrics", environ_base=REMOTE, headers={"Authorization": "Bearer anything"})

    assert response.status_code == 403
    assert response.get_json()["code"] == 403


@pytest.fixture
def metrics_token(app, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "SETTINGS", replace(app.config["SETTINGS"], METRICS_TOKEN="s3cret-metrics-token"))
    return "s3cret-metrics-token"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic s3cret-metrics-token", "Bearer "])
def test_from_elsewhere_a_missing_or_wrong_token_is_401(client, metrics_token, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.get("/metrics", environ_base=REMOTE, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert response.get_json()["status"] == "Unauthorized"


def test_from_elsewhere_the_bearer_token_opens_metrics(client, metrics_token):
    response = client.get("/metrics", environ_base=REMOTE, headers={"Authorization": f"Bearer {metrics_token}"})

    assert response.status_code == 200
    assert "medsync_http_requests_total" in response.get_data(as_text=True)


def test_a_request_a_proxy_forwarded_from_elsewhere_is_not_from_this_machine(client):
    # Behind a reverse proxy on this machine every request comes from loopback; without TRUSTED_PROXIES the
    # forwarded client is unknown, and may be anyone.
    response = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})

    assert response.status_code == 403


def test_the_celery_worker_serves_its_own_metrics_on_its_port(app_context, worker_process, telegram_api, make_booking):
    port = free_port()
    worker_process("metrics", WORKER_METRICS_PORT=str(port))
    make_booking()

    wait_for_status(message_rows(MessageKind.CONFIRMATION)[0].id, MessageStatus.SENT, timeout=30)
    scraped: dict[str, str] = {}

    def served() -> bool:
        try:
            scraped["text"] = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except requests.ConnectionError:
            return False
        return True

    wait_until(served, 30, "the worker's metrics server")
    samples = parse_metrics(scraped["text"])
    assert value(samples, "medsync_deliveries_total", kind="confirmation", result="sent") == 1
    assert value(samples, "medsync_telegram_limiter_wait_seconds_count", chat="private") == 1
